// A child process the Rollout benchmarks measure from outside (/proc VmRSS, utime+stime): either
// Sluice itself (startService, exactly as `sluice serve` builds it, logging at warn to a null sink)
// or the peer, bare client-node informers over the same kinds. Why a child: the bench process also
// hosts the node simulator (the kubelet stand-in for every pod), the observers and the load
// generators, so its own RSS and CPU would not be Sluice's; a separate process is also what runs
// in production. The same file is the child's entry point (argv[2] === CHILD_FLAG).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { procStats } from './rollout-bench.ts';

const CHILD_FLAG = '--sluice-bench-child';
const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 60_000;

export type ChildMode = 'sluice' | 'informers';

export interface ChildOptions {
  mode: ChildMode;
  kubeconfigPath: string;
  namespace: string;
}

export interface ChildUsage {
  /** process.cpuUsage() of the child, microseconds. */
  cpu: { user: number; system: number };
  mem: NodeJS.MemoryUsage;
}

export interface MeasuredChild {
  pid: number;
  /** Sluice's HTTP server (loopback), for /metrics; '' for the informer peer. */
  url: string;
  usage(): Promise<ChildUsage>;
  /** Two full GCs, then a pause so the heap settles before RSS is read. */
  gc(): Promise<void>;
  /** API requests the child's KubeClient made since the last call, by `VERB resource[/sub]` (Sluice only). */
  requests(): Promise<Record<string, number>>;
  proc(): Promise<{ rssBytes: number; cpuSeconds: number }>;
  /** Graceful stop (the service's own stop()), then SIGKILL if it does not exit in time. */
  stop(): Promise<void>;
}

type Reply = { id: number; ok: boolean; value?: unknown; error?: string };

export async function startMeasuredChild(opts: ChildOptions): Promise<MeasuredChild> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, JSON.stringify(opts)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, KUBECONFIG: '' },
  });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (m: Reply | { ready: true; url: string } | { failed: string }) => {
    if ('id' in m) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(new Error(m.error));
    }
  });
  child.once('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`${opts.mode} child exited (${code}): ${output.slice(-800)}`));
    waiting.clear();
  });
  const call = <T>(op: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null || !child.connected) return reject(new Error(`${opts.mode} child is not running: ${output.slice(-800)}`));
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${opts.mode} child: '${op}' timed out`));
      }, REQUEST_TIMEOUT_MS);
      waiting.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v as T)), reject: (e) => (clearTimeout(timer), reject(e)) });
      child.send({ id, op });
    });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.mode} child did not start in ${START_TIMEOUT_MS / 1000}s: ${output.slice(-800)}`)), START_TIMEOUT_MS);
    child.on('message', (m: { ready?: true; url?: string; failed?: string }) => {
      if (m.ready) (clearTimeout(timer), resolve(m.url ?? ''));
      if (m.failed) (clearTimeout(timer), reject(new Error(`${opts.mode} child failed to start: ${m.failed}`)));
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${opts.mode} child exited (${code}) while starting: ${output.slice(-800)}`))));
  }).catch(async (err: Error) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid as number,
    url,
    usage: () => call<ChildUsage>('usage'),
    gc: () => call<void>('gc'),
    requests: () => call<Record<string, number>>('requests'),
    proc: () => procStats(child.pid as number),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null) return;
        await Promise.race([call('stop').catch(() => undefined), exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      })();
      return stopping;
    },
  };
}

// ---- the child --------------------------------------------------------------------------------

/** `VERB resource[/subresource]` of an API path, e.g. `PATCH rollouts/status`. */
function requestKey(method: string, path: string): string {
  const parts = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  // /api/v1/... or /apis/group/version/...
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const resource = rest[0] ?? '?';
  const sub = rest[2];
  const verb = method === 'GET' && rest.length === 1 ? 'LIST' : method;
  return `${verb} ${resource}${sub ? `/${sub}` : ''}`;
}

async function runChild(opts: ChildOptions): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  let stop: () => Promise<void> = async () => {};
  const counts: Record<string, number> = {};
  let url = '';
  try {
    if (opts.mode === 'sluice') {
      const { KubeClient } = await import('../../src/kube/kube-client.ts');
      const { parseConfig } = await import('../../src/config/load-config.ts');
      const { createLogger } = await import('../../src/observability/logger.ts');
      const { startService } = await import('../../src/service/start-service.ts');
      // Count every request Sluice's client sends (watches go through client-node's Watch, not here).
      const proto = KubeClient.prototype as unknown as { requestWithStatus: (o: { method: string; path: string }) => Promise<unknown> };
      const original = proto.requestWithStatus;
      proto.requestWithStatus = function (this: unknown, o: { method: string; path: string }) {
        const key = requestKey(o.method, o.path);
        counts[key] = (counts[key] ?? 0) + 1;
        return original.call(this, o);
      };
      const config = parseConfig(
        `server:\n  host: 127.0.0.1\n  port: 0\nlog:\n  level: warn\n  format: json\nkubernetes:\n  kubeconfig: ${JSON.stringify(opts.kubeconfigPath)}\n  namespace: ${JSON.stringify(opts.namespace)}\n`,
        'bench',
      );
      const logger = createLogger({ level: 'warn', format: 'json', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
      const service = await startService({ config, logger });
      url = service.url;
      stop = () => service.stop();
      // Ready = every cache synced, as the readiness endpoint reports it.
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!(await fetch(`${url}/readyz`).then((r) => r.ok).catch(() => false))) {
        if (Date.now() > deadline) throw new Error('Sluice did not become ready');
        await new Promise((r) => setTimeout(r, 100));
      }
    } else {
      const k8s = await import('@kubernetes/client-node');
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(opts.kubeconfigPath);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const namespace = opts.namespace;
      const hash = 'rollouts-pod-template-hash';
      // The same kinds and label selectors Sluice's caches watch (src/service/start-service.ts).
      const informers = [
        k8s.makeInformer(kc, `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts`, () => custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace, plural: 'rollouts' }) as never),
        k8s.makeInformer(kc, `/apis/apps/v1/namespaces/${namespace}/replicasets`, () => apps.listNamespacedReplicaSet({ namespace, labelSelector: hash }), hash),
        k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/services`, () => core.listNamespacedService({ namespace })),
        k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace, labelSelector: hash }), hash),
      ];
      for (const inf of informers) inf.on('error', () => setTimeout(() => void inf.start().catch(() => undefined), 1000));
      await Promise.all(informers.map((i) => i.start()));
      stop = async () => {
        await Promise.all(informers.map((i) => i.stop()));
      };
    }
  } catch (err) {
    send({ failed: (err as Error).stack ?? String(err) });
    process.exit(1);
  }

  process.on('message', (m: { id: number; op: string }) => {
    const reply = (value?: unknown) => send({ id: m.id, ok: true, value });
    const fail = (err: unknown) => send({ id: m.id, ok: false, error: (err as Error).message });
    switch (m.op) {
      case 'usage':
        return reply({ cpu: process.cpuUsage(), mem: process.memoryUsage() });
      case 'gc': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (!gc) return fail(new Error('run with --expose-gc'));
        gc();
        // Let finalizers and freed buffers go, then collect again.
        return void setTimeout(() => (gc(), setTimeout(() => reply(), 500)), 200);
      }
      case 'requests': {
        const snapshot = { ...counts };
        for (const k of Object.keys(counts)) delete counts[k];
        return reply(snapshot);
      }
      case 'stop':
        return void stop().then(
          () => (reply(), setTimeout(() => process.exit(0), 50)),
          (err) => (fail(err), setTimeout(() => process.exit(1), 50)),
        );
      default:
        return fail(new Error(`unknown op ${m.op}`));
    }
  });
  // The parent went away: don't linger.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  send({ ready: true, url });
}

if (process.argv[2] === CHILD_FLAG) {
  await runChild(JSON.parse(process.argv[3] ?? '{}') as ChildOptions);
}
