// The one door to the Kubernetes API: get/list/create/apply/delete any kind, status-subresource
// patches and API reachability, each taking an options object. It speaks raw JSON over client-node's
// authenticated HTTPS options rather than client-node's generic KubernetesObjectApi, because that
// API turns built-in kinds into model classes (Dates, unknown fields dropped), which would corrupt
// diffs of desired against live objects.
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { KubeApiError } from './kube-api-error.ts';
import type { ApiResource, ApplyOptions, Cluster, DeleteOptions, KubeObject, ListQuery, ObjectRef, PatchType } from '../ports/cluster.ts';

export type { ApiResource, ApplyOptions, DeleteOptions, PatchType } from '../ports/cluster.ts';

export const FIELD_MANAGER = 'sluice';
/** How long auth headers taken from the kubeconfig are reused (see KubeClient.credentials). */
const CREDENTIALS_TTL_MS = 1000;

interface Credentials {
  headers: Record<string, string>;
  basic: string | undefined;
  agent: HttpsAgent | HttpAgent;
}

export interface RequestOptionsLike {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
  contentType?: string | undefined;
  /** What the request is about, for error messages. */
  what?: string | undefined;
  timeoutMs?: number | undefined;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface List<T> {
  items: T[];
  resourceVersion: string;
}

export class KubeClient implements Cluster {
  readonly kubeConfig: KubeConfig;
  readonly fieldManager: string;
  private readonly server: URL;
  private readonly discovery = new Map<string, Promise<Map<string, ApiResource>>>();
  private readonly agent: HttpsAgent | HttpAgent;
  private readonly maxSockets: number;
  private tlsAgent: HttpsAgent | undefined;
  private credentialCache: { at: number; value: Promise<Credentials> } | undefined;

  constructor(kubeConfig: KubeConfig, options: { fieldManager?: string; maxSockets?: number } = {}) {
    this.kubeConfig = kubeConfig;
    this.fieldManager = options.fieldManager ?? FIELD_MANAGER;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    // Keep-alive: a sync applies hundreds of objects; a TLS handshake each would dominate. 64: the
    // Rollout controller alone may have 10 reconciles and 40 wake-ups (pause ends) in flight, plus
    // Events; a request beyond the limit waits in the agent for a free socket.
    this.maxSockets = options.maxSockets ?? 64;
    const agentOpts = { keepAlive: true, maxSockets: this.maxSockets };
    this.agent = this.server.protocol === 'http:' ? new HttpAgent(agentOpts) : new HttpsAgent(agentOpts);
  }

  /** One raw JSON request; resolves with the parsed body, rejects with KubeApiError. */
  async request<T = unknown>(opts: RequestOptionsLike): Promise<T> {
    return (await this.requestWithStatus<T>(opts)).body;
  }

  async requestWithStatus<T = unknown>(opts: RequestOptionsLike): Promise<{ status: number; body: T }> {
    const url = new URL(this.server.pathname.replace(/\/$/, '') + opts.path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const auth = await this.credentials();
    const reqOpts: RequestOptions = { method: opts.method, headers: { accept: 'application/json', ...auth.headers }, agent: auth.agent };
    if (auth.basic !== undefined) reqOpts.auth = auth.basic;
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers = reqOpts.headers as Record<string, string>;
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const what = opts.what ?? `${opts.method} ${opts.path}`;
    const send = this.server.protocol === 'http:' ? httpRequest : httpsRequest;
    return await new Promise<{ status: number; body: T }>((resolve, reject) => {
      const req = send(url, reqOpts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve({ status, body: (text ? JSON.parse(text) : undefined) as T });
            } catch (err) {
              reject(new Error(`${what}: unparsable response: ${(err as Error).message}`));
            }
          } else {
            reject(KubeApiError.fromResponse(status, text, what));
          }
        });
        res.on('error', reject);
      });
      req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`${what}: timed out after ${(opts.timeoutMs ?? 30_000) / 1000}s`)));
      req.on('error', (err) => reject(err instanceof KubeApiError ? err : new Error(`${what}: ${err.message}`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * What a request needs from the kubeconfig: its auth headers (tokens, exec plugins) and a
   * keep-alive agent. client-node's applyToHTTPSOptions reads the TLS material and builds a new
   * agent on every call, a quarter of the client's CPU per request when applying a thousand
   * objects; so the agent is built once (its CA and client certificate are read once, as client-go
   * does) and the headers are taken again at most once a second, so refreshed tokens still arrive.
   */
  private credentials(): Promise<Credentials> {
    const now = Date.now();
    if (this.credentialCache && now - this.credentialCache.at < CREDENTIALS_TTL_MS) return this.credentialCache.value;
    const value = (async (): Promise<Credentials> => {
      const applied: RequestOptions = { headers: {} };
      await this.kubeConfig.applyToHTTPSOptions(applied);
      let agent: HttpsAgent | HttpAgent = this.agent;
      if (this.server.protocol !== 'http:') {
        const built = applied.agent;
        this.tlsAgent ??= built instanceof HttpsAgent ? new HttpsAgent({ ...built.options, keepAlive: true, maxSockets: this.maxSockets }) : (this.agent as HttpsAgent);
        if (built instanceof HttpsAgent && built !== this.tlsAgent) built.destroy();
        agent = this.tlsAgent;
      }
      return { headers: { ...(applied.headers as Record<string, string>) }, basic: applied.auth ?? undefined, agent };
    })();
    this.credentialCache = { at: now, value };
    // A failure (an exec plugin that errored) is not kept: the next request tries again.
    value.catch(() => {
      if (this.credentialCache?.value === value) this.credentialCache = undefined;
    });
    return value;
  }

  /** Discovery: which resource serves a kind, and whether it is namespaced. Cached per group/version. */
  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource> {
    const lookup = async () => {
      try {
        return (await this.groupVersion(apiVersion)).get(kind);
      } catch (err) {
        // The whole group/version is not served: the usual sign of a CRD not installed yet.
        if (err instanceof KubeApiError && err.status === 404) return undefined;
        throw err;
      }
    };
    let found = await lookup();
    if (!found) {
      // A CRD may have been installed since the last look.
      this.discovery.delete(apiVersion);
      found = await lookup();
    }
    if (!found) throw new KubeApiError(404, 'NotFound', `the server has no resource for ${kind} in ${apiVersion} (is its CustomResourceDefinition installed?)`);
    return found;
  }

  private groupVersion(apiVersion: string): Promise<Map<string, ApiResource>> {
    let cached = this.discovery.get(apiVersion);
    if (!cached) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      cached = this.request<{ resources: Array<{ name: string; namespaced: boolean; kind: string }> }>({ method: 'GET', path, what: `discovery of ${apiVersion}` }).then(
        (list) => new Map(list.resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, { name: r.name, namespaced: r.namespaced, kind: r.kind }])),
      );
      cached.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, cached);
    }
    return cached;
  }

  /** The URL path of a collection (no name) or of one object. */
  async pathFor(target: { apiVersion: string; kind: string; namespace?: string | undefined; name?: string | undefined }): Promise<string> {
    const res = await this.resourceFor(target.apiVersion, target.kind);
    const base = target.apiVersion.includes('/') ? `/apis/${target.apiVersion}` : `/api/${target.apiVersion}`;
    const ns = res.namespaced && target.namespace ? `/namespaces/${encodeURIComponent(target.namespace)}` : '';
    const name = target.name ? `/${encodeURIComponent(target.name)}` : '';
    return `${base}${ns}/${res.name}${name}`;
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.request<T>({ method: 'GET', path: await this.pathFor(ref), what: `get ${ref.kind} ${ref.name}` });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject = KubeObject>(query: ListQuery): Promise<List<T>> {
    const path = await this.pathFor(query);
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    // Page through large collections instead of one huge response.
    do {
      const page = await this.request<{ items: T[]; metadata?: { resourceVersion?: string; continue?: string } }>({
        method: 'GET',
        path,
        query: { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector, limit: query.limit ?? 500, continue: continueToken },
        what: `list ${query.kind}`,
      });
      // List items carry no apiVersion/kind; put them back so every object is self-describing.
      for (const item of page.items ?? []) items.push({ ...item, apiVersion: query.apiVersion, kind: query.kind });
      resourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  async create<T extends KubeObject = KubeObject>(obj: KubeObject, options: { dryRun?: boolean } = {}): Promise<T> {
    const path = await this.pathFor({ apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', namespace: obj.metadata?.namespace });
    return await this.request<T>({
      method: 'POST',
      path,
      body: obj,
      query: { fieldManager: this.fieldManager, dryRun: options.dryRun ? 'All' : undefined },
      what: `create ${obj.kind} ${obj.metadata?.name ?? obj.metadata?.generateName ?? ''}`,
    });
  }

  /** Server-side apply under our field manager. */
  async apply<T extends KubeObject = KubeObject>(obj: KubeObject, options: ApplyOptions = {}): Promise<T> {
    return (await this.applyDetailed<T>(obj, options)).object;
  }

  /** Server-side apply, telling a creation (201) from an update (200). */
  async applyDetailed<T extends KubeObject = KubeObject>(obj: KubeObject, options: ApplyOptions = {}): Promise<{ object: T; created: boolean }> {
    const name = obj.metadata?.name;
    if (!name) throw new Error(`cannot apply a ${obj.kind} without metadata.name`);
    const path = await this.pathFor({ apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', namespace: obj.metadata?.namespace, name });
    const res = await this.requestWithStatus<T>({
      method: 'PATCH',
      path,
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: options.fieldManager ?? this.fieldManager, force: options.force ?? true, dryRun: options.dryRun ? 'All' : undefined },
      what: `apply ${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${name}`,
    });
    return { object: res.body, created: res.status === 201 };
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, options: { type?: PatchType; subresource?: 'status' | 'scale' } = {}): Promise<T> {
    const sub = options.subresource ? `/${options.subresource}` : '';
    return await this.request<T>({
      method: 'PATCH',
      path: (await this.pathFor(ref)) + sub,
      body: patch,
      contentType: PATCH_CONTENT_TYPES[options.type ?? 'merge'],
      query: { fieldManager: this.fieldManager },
      what: `patch ${ref.kind} ${ref.name}${sub}`,
    });
  }

  /** A patch of the status subresource: the only way a controller should write status. */
  async patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, options: { type?: PatchType } = {}): Promise<T> {
    return await this.patch<T>(ref, patch, { type: options.type ?? 'merge', subresource: 'status' });
  }

  /** Deletes; resolves false when the object was already gone. */
  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<boolean> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.uid) body.preconditions = { uid: options.uid };
    try {
      await this.request({ method: 'DELETE', path: await this.pathFor(ref), body, what: `delete ${ref.kind} ${ref.name}` });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return false;
      throw err;
    }
  }

  async evictPod(namespace: string, name: string): Promise<boolean> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`;
    const body = (apiVersion: string) => ({ apiVersion, kind: 'Eviction', metadata: { name, namespace } });
    try {
      try {
        await this.request({ method: 'POST', path, body: body('policy/v1'), what: `evict pod ${namespace}/${name}` });
      } catch (err) {
        // Clusters before 1.22 know only policy/v1beta1 Evictions.
        if (!(err instanceof KubeApiError) || (err.status !== 400 && err.status !== 404) || /pods? .* not found/i.test(err.message)) throw err;
        await this.request({ method: 'POST', path, body: body('policy/v1beta1'), what: `evict pod ${namespace}/${name}` });
      }
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return false;
      throw err;
    }
  }

  /** Does the API server answer? Used by /readyz. */
  async ping(timeoutMs = 3000): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
    try {
      const v = await this.request<{ gitVersion?: string }>({ method: 'GET', path: '/version', timeoutMs, what: 'GET /version' });
      return { ok: true, version: v?.gitVersion ?? 'unknown' };
    } catch (err) {
      return { ok: false, reason: `Kubernetes API at ${this.server.origin} does not answer: ${(err as Error).message}` };
    }
  }

  close(): void {
    this.agent.destroy();
    this.tlsAgent?.destroy();
  }
}
