// A watched, cached view of one kind (client-node's ListWatch underneath) that keeps itself alive:
// a failed list or watch is retried with backoff, watches are renewed on a bounded lifetime (a
// silently dead TCP connection would otherwise freeze the cache), and a periodic resync replays
// every cached object so that level-based reconcilers converge even if an event was missed.
import { ListWatch, Watch, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from './kube-client.ts';
import type { KubeObject } from './kube-object.ts';

export type InformerEvent = 'add' | 'update' | 'delete' | 'resync';
type Handler<T> = (obj: T) => void;

export interface InformerOptions {
  client: KubeClient;
  apiVersion: string;
  kind: string;
  /** Watch one namespace; omit for all namespaces. */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  /** Replay every cached object to 'resync' handlers this often. 0 disables. Default 15 minutes. */
  resyncMs?: number | undefined;
  /** Longest life of one watch request before it is renewed. Default 300 s. */
  watchTimeoutSeconds?: number | undefined;
  log?: Logger | undefined;
  /** Injected for tests; default setTimeout. */
  delay?: ((ms: number) => Promise<void>) | undefined;
}

export interface Informer<T extends KubeObject> {
  readonly name: string;
  /** True once the first full list has landed in the cache. */
  readonly synced: boolean;
  /** Last list/watch failure, cleared by the next success. */
  readonly lastError: string | undefined;
  on(event: InformerEvent, handler: Handler<T>): void;
  start(): void;
  whenSynced(): Promise<void>;
  stop(): Promise<void>;
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): T[];
}

export function createInformer<T extends KubeObject>(opts: InformerOptions): Informer<T> {
  const name = `${opts.kind}${opts.namespace ? `/${opts.namespace}` : ''}`;
  const handlers: Record<InformerEvent, Handler<T>[]> = { add: [], update: [], delete: [], resync: [] };
  const delay = opts.delay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
  // client-node's cache is typed on its own object model; ours is plain JSON, hence the casts.
  let lw: ListWatch<KubernetesObject> | undefined;
  let stopped = false;
  let synced = false;
  let lastError: string | undefined;
  let failures = 0;
  let resyncTimer: NodeJS.Timeout | undefined;
  let resolveSynced: () => void = () => {};
  const syncedPromise = new Promise<void>((r) => (resolveSynced = r));

  const watchTimeout = opts.watchTimeoutSeconds ?? 300;
  const watch = new Watch(opts.client.kubeConfig);
  const boundedWatch = {
    watch: (path: string, query: Record<string, string | number | boolean | undefined>, cb: (phase: string, obj: unknown) => void, done: (err: unknown) => void) =>
      watch.watch(path, { ...query, timeoutSeconds: watchTimeout, allowWatchBookmarks: true }, cb, done),
  } as unknown as Watch;

  const emit = (event: InformerEvent, obj: T) => {
    for (const h of handlers[event]) {
      try {
        h(obj);
      } catch (err) {
        opts.log?.error({ err, informer: name, event }, 'informer handler threw');
      }
    }
  };

  const fail = (err: unknown) => {
    lastError = (err as Error)?.message ?? String(err);
    failures++;
    const backoff = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6));
    opts.log?.warn({ informer: name, err: lastError, retryInMs: backoff }, 'list/watch failed; retrying');
    void delay(backoff).then(() => {
      if (!stopped) void connect();
    });
  };

  const markSynced = () => {
    failures = 0;
    lastError = undefined;
    if (synced) return;
    synced = true;
    resolveSynced();
    opts.log?.debug({ informer: name, objects: lw?.list().length ?? 0 }, 'cache synced');
  };

  // Watch events carry apiVersion/kind, list items got them from KubeClient.list; make sure anyway.
  const withType = (o: T): T => (o.kind ? o : ({ ...o, apiVersion: opts.apiVersion, kind: opts.kind } as T));

  // One attempt: resolve the resource path (the CRD may not exist yet), then list and watch.
  // A failure anywhere lands in fail(), which schedules the next attempt.
  const connect = async (): Promise<void> => {
    if (stopped) return;
    const before = failures;
    if (!lw) {
      let path: string;
      try {
        path = await opts.client.pathFor({ apiVersion: opts.apiVersion, kind: opts.kind, namespace: opts.namespace });
      } catch (err) {
        fail(err);
        return;
      }
      const listFn = async () => {
        const list = await opts.client.list<T>({ apiVersion: opts.apiVersion, kind: opts.kind, namespace: opts.namespace, labelSelector: opts.labelSelector });
        return { items: list.items, metadata: { resourceVersion: list.resourceVersion } };
      };
      lw = new ListWatch<KubernetesObject>(path, boundedWatch, listFn as never, false, opts.labelSelector);
      lw.on('add', (o) => emit('add', withType(o as T)));
      lw.on('update', (o) => emit('update', withType(o as T)));
      lw.on('delete', (o) => emit('delete', withType(o as T)));
      lw.on('error', (err) => fail(err));
    }
    await lw.start();
    if (!stopped && failures === before) markSynced();
  };

  return {
    name,
    get synced() {
      return synced;
    },
    get lastError() {
      return lastError;
    },
    on(event, handler) {
      handlers[event].push(handler);
    },
    start() {
      stopped = false;
      void connect();
      const resyncMs = opts.resyncMs ?? 15 * 60_000;
      if (resyncMs > 0) {
        resyncTimer = setInterval(() => {
          if (lw && synced) for (const o of lw.list()) emit('resync', withType(o as T));
        }, resyncMs);
        resyncTimer.unref();
      }
    },
    whenSynced() {
      return syncedPromise;
    },
    async stop() {
      stopped = true;
      if (resyncTimer) clearInterval(resyncTimer);
      await lw?.stop();
    },
    get(objName, namespace) {
      return lw?.get(objName, namespace) as T | undefined;
    },
    list(namespace) {
      return [...(lw?.list(namespace) ?? [])] as T[];
    },
  };
}
