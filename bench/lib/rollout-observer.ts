// Watches the Rollouts of one namespace from a worker thread and timestamps every change on
// arrival. A worker, because the bench's main thread also runs the node simulator and the load
// generators: an event waiting behind their callbacks would be timestamped late. The same file is
// the worker's entry point.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const WATCH_SECONDS = 600;
const MAX_RESTARTS = 20;

export interface RolloutEvent {
  /** Date.now() when the event reached the worker. */
  t: number;
  name: string;
  /** status.currentStepIndex */
  idx: number | undefined;
  /** startTime of the CanaryPauseStep pause condition, if any. */
  pause: string | undefined;
  og: string | undefined;
  gen: number | undefined;
  phase: string | undefined;
  /** Came from a re-list after a watch ended, so `t` is not its arrival. */
  relisted?: true;
}

export interface RolloutState {
  name: string;
  gen: number | undefined;
  og: string | undefined;
  phase: string | undefined;
  idx: number | undefined;
}

export interface RolloutObserver {
  /** Start or stop keeping events (states are always kept). */
  record(on: boolean): Promise<void>;
  /** The events kept since the last drain. */
  drain(): Promise<RolloutEvent[]>;
  states(): Promise<RolloutState[]>;
  /** Watches that ended and were replaced by a list + watch. */
  restarts(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRolloutObserver(opts: { kubeconfigPath: string; namespace: string }): Promise<RolloutObserver> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'rollout-observer', ...opts } });
  let nextId = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  let failed: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { id?: number; value?: unknown; ready?: true }) => {
      if (m.ready) resolve();
      else if (m.id !== undefined) {
        waiting.get(m.id)?.(m.value);
        waiting.delete(m.id);
      }
    });
    worker.on('error', (err) => {
      failed = err;
      reject(err);
    });
    setTimeout(() => reject(new Error('rollout observer: no initial list in 60 s')), 60_000).unref();
  });
  await ready.catch(async (err: Error) => {
    await worker.terminate();
    throw err;
  });
  const call = <T>(op: string, arg?: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failed) return reject(failed);
      const id = nextId++;
      const timer = setTimeout(() => (waiting.delete(id), reject(new Error(`rollout observer: '${op}' timed out`))), 30_000);
      waiting.set(id, (v) => (clearTimeout(timer), resolve(v as T)));
      worker.postMessage({ id, op, arg });
    });
  return {
    record: (on) => call('record', on),
    drain: () => call('drain'),
    states: () => call('states'),
    restarts: () => call('restarts'),
    async stop() {
      await call('stop').catch(() => undefined);
      await worker.terminate();
    },
  };
}

// ---- the worker -------------------------------------------------------------------------------

type Ro = {
  metadata?: { name?: string; generation?: number; resourceVersion?: string };
  status?: { currentStepIndex?: number; observedGeneration?: string; phase?: string; pauseConditions?: Array<{ reason: string; startTime: string }> };
};

async function runWorker(opts: { kubeconfigPath: string; namespace: string }): Promise<void> {
  const { KubeConfig, Watch } = await import('@kubernetes/client-node');
  const { KubeClient } = await import('../../src/kube/kube-client.ts');
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfigPath);
  const client = new KubeClient(kc, { fieldManager: 'bench-observer' });
  const watch = new Watch(kc);
  const states = new Map<string, RolloutState>();
  let events: RolloutEvent[] = [];
  let recording = false;
  let stopped = false;
  let restarts = 0;
  let abort: AbortController | undefined;

  const see = (ro: Ro, t: number, relisted: boolean) => {
    const name = ro.metadata?.name ?? '';
    const s = ro.status ?? {};
    const st: RolloutState = { name, gen: ro.metadata?.generation, og: s.observedGeneration, phase: s.phase, idx: s.currentStepIndex };
    states.set(name, st);
    if (recording) {
      const pause = s.pauseConditions?.find((c) => c.reason === 'CanaryPauseStep')?.startTime;
      events.push({ t, ...st, pause, ...(relisted ? { relisted: true as const } : {}) });
    }
  };

  const listAndWatch = async (first: boolean): Promise<void> => {
    const list = await client.list<Ro & { metadata: object }>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: opts.namespace });
    const t = Date.now();
    const seen = new Set<string>();
    for (const ro of list.items) {
      seen.add(ro.metadata?.name ?? '');
      see(ro, t, !first);
    }
    for (const name of [...states.keys()]) if (!seen.has(name)) states.delete(name);
    if (first) parentPort?.postMessage({ ready: true });
    await new Promise<void>((resolve) => {
      void watch
        .watch(
          `/apis/argoproj.io/v1alpha1/namespaces/${opts.namespace}/rollouts`,
          { resourceVersion: list.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_SECONDS },
          (type: string, obj: Ro) => {
            const t2 = Date.now();
            if (type === 'ADDED' || type === 'MODIFIED') see(obj, t2, false);
            else if (type === 'DELETED') states.delete(obj.metadata?.name ?? '');
          },
          () => resolve(),
        )
        .then((ac) => (abort = ac))
        .catch(() => resolve());
    });
  };

  parentPort?.on('message', (m: { id: number; op: string; arg?: unknown }) => {
    const reply = (value?: unknown) => parentPort?.postMessage({ id: m.id, value });
    switch (m.op) {
      case 'record':
        recording = m.arg === true;
        return reply();
      case 'drain': {
        const out = events;
        events = [];
        return reply(out);
      }
      case 'states':
        return reply([...states.values()]);
      case 'restarts':
        return reply(restarts);
      case 'stop':
        stopped = true;
        abort?.abort();
        client.close();
        return reply();
    }
  });

  await listAndWatch(true);
  // The watch ended (timeout, 410 Gone, a dropped connection): list again and carry on, bounded.
  while (!stopped && restarts < MAX_RESTARTS) {
    restarts++;
    await new Promise((r) => setTimeout(r, 200));
    await listAndWatch(false).catch(() => undefined);
  }
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === 'rollout-observer') {
  await runWorker(workerData as { kubeconfigPath: string; namespace: string });
}
