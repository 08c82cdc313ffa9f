// The kubelet stand-in for a control plane without nodes: binds every unscheduled pod to one fake
// node and writes the pod status a kubelet would write, so the real ReplicaSet, Job, Deployment and
// namespace controllers see pods become ready, crash, finish or go away as on a real cluster.
//
// What each pod does is chosen by the annotation `testbed.sluice.dev/behavior` on the pod (tests set
// it in the pod template), else on its Namespace, else `ready` (or `succeed` for Job pods):
//   ready            Running and Ready (after `testbed.sluice.dev/ready-after`, e.g. `2s`, if set)
//   never-ready      Running, containers running but never Ready
//   crash            Running, containers in CrashLoopBackOff with a growing restartCount
//   succeed | fail   Running, then after `testbed.sluice.dev/exit-after` (default 1s) Succeeded
//                    (exit 0) or Failed (exit `testbed.sluice.dev/exit-code`, default 1)
//   image-pull-error Pending, containers waiting with reason ErrImagePull
//
// The desired status is a pure function of the pod, its behaviour and the time since the pod's
// startTime, so a restarted simulator picks up where the previous one left off.
import { ApiException, CoreV1Api, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, V1NodeStatus, V1Pod } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';

export const BEHAVIOR_ANNOTATION = 'testbed.sluice.dev/behavior';
export const READY_AFTER_ANNOTATION = 'testbed.sluice.dev/ready-after';
export const EXIT_AFTER_ANNOTATION = 'testbed.sluice.dev/exit-after';
export const EXIT_CODE_ANNOTATION = 'testbed.sluice.dev/exit-code';

export const BEHAVIORS = ['ready', 'never-ready', 'crash', 'succeed', 'fail', 'image-pull-error'] as const;
export type Behavior = (typeof BEHAVIORS)[number];

export interface NodeSimulatorOptions {
  kubeConfig: KubeConfig;
  log?: (line: string) => void;
  nodeName?: string;
}

export interface NodeSimulator {
  stop(): Promise<void>;
}

const HOST_IP = '10.240.0.2';
const DEFAULT_EXIT_AFTER_MS = 1000;
// Crash loops restart every few seconds at first, then slow down so a forgotten crashing pod costs
// one status patch every half minute instead of a steady stream.
const CRASH_FAST_INTERVAL_MS = 3000;
const CRASH_FAST_RESTARTS = 10;
const CRASH_SLOW_INTERVAL_MS = 30_000;
// The API server ends watches after timeoutSeconds; a fresh list follows, which also repairs
// anything a lost event left behind.
const WATCH_TIMEOUT_SECONDS = 240;
const NAMESPACE_CACHE_MS = 5000;
const STATUS_PATCH_ATTEMPTS = 5;

type Json = Record<string, unknown>;
type Time = Date | string | undefined | null;

interface Desired {
  status: Json;
  /** When the desired status changes next without any event (ms since epoch). */
  nextAt?: number;
}

export async function startNodeSimulator(options: NodeSimulatorOptions): Promise<NodeSimulator> {
  const { kubeConfig } = options;
  const log = options.log ?? (() => undefined);
  const nodeName = options.nodeName ?? 'sluice-sim-node';
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  let stopped = false;
  let abortWatch: AbortController | undefined;
  let wakeLoop: (() => void) | undefined;
  let ipCounter = Math.floor(Math.random() * 60_000);

  // Per pod uid: the newest object seen, a coalescing work queue, a re-evaluation timer and the
  // behaviour chosen when the pod was first handled.
  const latest = new Map<string, V1Pod>();
  const dirty = new Set<string>();
  const workers = new Map<string, Promise<void>>();
  const timers = new Map<string, { at: number; handle: NodeJS.Timeout }>();
  const behaviors = new Map<string, Behavior>();
  const deleting = new Set<string>();
  const namespaceCache = new Map<string, { at: number; annotations: Record<string, string> }>();

  await ensureNode();
  const loopDone = watchLoop();

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      abortWatch?.abort();
      wakeLoop?.();
      for (const { handle } of timers.values()) clearTimeout(handle);
      timers.clear();
      // In-flight API calls are short; don't let a hung one hold stop() past its budget.
      const pending = Promise.allSettled([...workers.values(), loopDone]);
      await Promise.race([pending, sleepMs(1500)]);
      log(`stopped (node ${nodeName})`);
    },
  };

  async function ensureNode(): Promise<void> {
    const now = new Date();
    const resources = { cpu: '32', memory: '128Gi', pods: '1000', 'ephemeral-storage': '500Gi' };
    const status: V1NodeStatus = {
      capacity: resources,
      allocatable: resources,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'sluice node simulator is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      addresses: [
        { type: 'InternalIP', address: HOST_IP },
        { type: 'Hostname', address: nodeName },
      ],
      nodeInfo: {
        machineID: 'sluice-sim', systemUUID: 'sluice-sim', bootID: 'sluice-sim', kernelVersion: 'simulated',
        osImage: 'sluice node simulator', containerRuntimeVersion: 'simulated://1.0', kubeletVersion: 'v1.20.2',
        kubeProxyVersion: 'v1.20.2', operatingSystem: 'linux', architecture: 'amd64',
      },
    };
    const metadata = {
      name: nodeName,
      labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'sluice.dev/simulated': 'true' },
    };
    try {
      // The node strategy keeps status given on create, which saves a round trip.
      await core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata, status } });
      log(`created node ${nodeName}`);
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      await core.patchNodeStatus({ name: nodeName, body: { status } }, mergePatch);
      log(`node ${nodeName} already existed, marked Ready`);
    }
  }

  async function watchLoop(): Promise<void> {
    let backoffMs = 500;
    while (!stopped) {
      let failure: string | undefined;
      try {
        const list = await core.listPodForAllNamespaces({});
        if (stopped) return;
        const seen = new Set<string>();
        for (const pod of list.items) {
          const uid = pod.metadata?.uid;
          if (!uid) continue;
          seen.add(uid);
          observe(pod);
        }
        // Pods deleted while no watch was open.
        for (const uid of [...latest.keys()]) if (!seen.has(uid)) forget(uid);
        const ended = await watchOnce(list.metadata?.resourceVersion ?? '');
        if (stopped) return;
        if (ended.failed) failure = `pod watch failed (${ended.reason})`;
        else {
          backoffMs = 500;
          log(`pod watch ended (${ended.reason}), re-listing`);
        }
      } catch (err) {
        if (stopped) return;
        failure = `listing pods failed (${describe(err)})`;
      }
      if (failure) {
        log(`${failure}, retrying in ${backoffMs} ms`);
        await interruptibleSleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  }

  /** Watches pods from `resourceVersion` until the stream ends, and says why it ended. */
  function watchOnce(resourceVersion: string): Promise<{ reason: string; failed: boolean }> {
    return new Promise((resolve) => {
      const watch = new Watch(kubeConfig);
      const query = { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS };
      let gotEvent = false;
      const onEvent = (type: string, obj: unknown): void => {
        if (stopped) return;
        const pod = obj as V1Pod;
        if (type === 'ADDED' || type === 'MODIFIED') observe(pod);
        else if (type === 'DELETED') {
          if (pod.metadata?.uid) forget(pod.metadata.uid);
        } else if (type === 'ERROR') {
          // Usually 410 Gone (resourceVersion too old); ending this watch makes the loop re-list.
          log(`watch error event ${JSON.stringify(obj)}`);
          abortWatch?.abort();
          return;
        }
        gotEvent = true;
      };
      const onDone = (err: unknown): void => {
        // An error after a healthy stream (a dropped connection) deserves a quick retry, a failing
        // one (refused, 403) a growing back-off.
        resolve(err ? { reason: describe(err), failed: !gotEvent } : { reason: 'closed by server', failed: false });
      };
      watch.watch('/api/v1/pods', query, onEvent, onDone).then(
        (controller) => {
          abortWatch = controller;
          if (stopped) controller.abort();
        },
        (err: unknown) => resolve({ reason: describe(err), failed: true }),
      );
    });
  }

  function observe(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const nodeOfPod = pod.spec?.nodeName;
    // Pods on other nodes belong to someone else (a real kubelet, or another simulator).
    if (nodeOfPod && nodeOfPod !== nodeName) return;
    const known = latest.get(uid);
    if (known && isOlder(pod, known)) return;
    latest.set(uid, pod);
    enqueue(uid);
  }

  function forget(uid: string): void {
    latest.delete(uid);
    behaviors.delete(uid);
    deleting.delete(uid);
    dirty.delete(uid);
    const timer = timers.get(uid);
    if (timer) clearTimeout(timer.handle);
    timers.delete(uid);
  }

  // One worker per pod at a time; events that arrive meanwhile coalesce into one more pass.
  function enqueue(uid: string): void {
    if (stopped) return;
    dirty.add(uid);
    if (workers.has(uid)) return;
    const run = (async () => {
      while (dirty.has(uid) && !stopped) {
        dirty.delete(uid);
        const pod = latest.get(uid);
        if (!pod) break;
        try {
          await sync(pod);
        } catch (err) {
          // Transient API trouble: try again shortly rather than wait for the next event.
          log(`${podRef(pod)}: ${describe(err)}, retrying in 2 s`);
          schedule(uid, Date.now() + 2000);
        }
      }
    })().finally(() => workers.delete(uid));
    workers.set(uid, run);
  }

  function schedule(uid: string, at: number): void {
    if (stopped) return;
    const existing = timers.get(uid);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.handle);
    const handle = setTimeout(() => {
      timers.delete(uid);
      enqueue(uid);
    }, Math.max(0, at - Date.now()) + 5);
    handle.unref();
    timers.set(uid, { at, handle });
  }

  async function sync(initial: V1Pod): Promise<void> {
    let pod = initial;
    const uid = pod.metadata!.uid!;
    const name = pod.metadata!.name!;
    const namespace = pod.metadata!.namespace!;

    if (pod.metadata?.deletionTimestamp) {
      await confirmDeletion(pod);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;

    if (!pod.spec?.nodeName) {
      const bound = await bind(pod);
      if (!bound) return;
      pod = bound;
    }
    if (pod.spec?.nodeName !== nodeName) return;

    for (let attempt = 1; ; attempt++) {
      const behavior = await behaviorOf(pod);
      const desired = desiredStatus(pod, behavior, Date.now());
      if (fingerprint(desired.status) !== fingerprint(statusJson(pod))) {
        try {
          const updated = await core.patchNamespacedPodStatus({ name, namespace, body: { status: desired.status } }, mergePatch);
          // Our own patch's watch event is then recognised as nothing new (unless the pod went away).
          if (updated.metadata?.uid === uid && latest.has(uid)) latest.set(uid, updated);
          log(`${podRef(pod)} -> ${describeStatus(desired.status)} (${behavior})`);
        } catch (err) {
          const code = statusCode(err);
          if (code === 404) return forget(uid);
          if (attempt >= STATUS_PATCH_ATTEMPTS) throw err;
          // 409 and transient failures: re-read and decide again on the current object.
          await sleepMs(100 * attempt);
          if (stopped) return;
          const fresh = await readPod(namespace, name, uid);
          if (!fresh) return forget(uid);
          if (fresh.metadata?.deletionTimestamp) return confirmDeletion(fresh);
          pod = fresh;
          continue;
        }
      }
      if (desired.nextAt !== undefined) schedule(uid, desired.nextAt);
      return;
    }
  }

  async function bind(pod: V1Pod): Promise<V1Pod | undefined> {
    const name = pod.metadata!.name!;
    const namespace = pod.metadata!.namespace!;
    const uid = pod.metadata!.uid!;
    try {
      await core.createNamespacedPodBinding({
        name,
        namespace,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
      });
      log(`bound ${namespace}/${name} to ${nodeName}`);
      // The Binding only sets spec.nodeName (and PodScheduled); carry on with that locally.
      return { ...pod, spec: { ...pod.spec!, nodeName } };
    } catch (err) {
      const code = statusCode(err);
      if (code === 404) {
        forget(uid);
        return undefined;
      }
      if (code !== 409) throw err;
      // Already bound (by us in an earlier pass, or by somebody else): look at what it is now.
      const fresh = await readPod(namespace, name, uid);
      if (!fresh) forget(uid);
      return fresh;
    }
  }

  /** A real kubelet finishes graceful deletion once containers stop; ours stop at once. */
  async function confirmDeletion(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const timer = timers.get(uid);
    if (timer) clearTimeout(timer.handle);
    timers.delete(uid);
    const nodeOfPod = pod.spec?.nodeName;
    if (nodeOfPod && nodeOfPod !== nodeName) return;
    if (deleting.has(uid)) return;
    deleting.add(uid);
    try {
      await core.deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        gracePeriodSeconds: 0,
        // The uid precondition keeps us from deleting a new pod that reuses the name.
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
      log(`confirmed deletion of ${podRef(pod)}`);
    } catch (err) {
      const code = statusCode(err);
      if (code === 404 || code === 409) return; // gone, or replaced by a pod with the same name
      deleting.delete(uid); // let the next event try again
      throw err;
    }
  }

  async function readPod(namespace: string, name: string, uid: string): Promise<V1Pod | undefined> {
    try {
      const pod = await core.readNamespacedPod({ name, namespace });
      return pod.metadata?.uid === uid ? pod : undefined;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  async function behaviorOf(pod: V1Pod): Promise<Behavior> {
    const uid = pod.metadata!.uid!;
    const known = behaviors.get(uid);
    if (known) return known;
    let chosen = parseBehavior(pod.metadata?.annotations?.[BEHAVIOR_ANNOTATION], `pod ${podRef(pod)}`);
    if (!chosen) {
      const nsAnnotations = await namespaceAnnotations(pod.metadata!.namespace!);
      chosen = parseBehavior(nsAnnotations[BEHAVIOR_ANNOTATION], `namespace ${pod.metadata!.namespace}`);
    }
    if (!chosen) chosen = pod.metadata?.ownerReferences?.some((ref) => ref.kind === 'Job') ? 'succeed' : 'ready';
    behaviors.set(uid, chosen);
    return chosen;
  }

  function parseBehavior(value: string | undefined, where: string): Behavior | undefined {
    if (value === undefined || value === '') return undefined;
    if ((BEHAVIORS as readonly string[]).includes(value)) return value as Behavior;
    log(`ignoring unknown ${BEHAVIOR_ANNOTATION}=${JSON.stringify(value)} on ${where} (known: ${BEHAVIORS.join(', ')})`);
    return undefined;
  }

  async function namespaceAnnotations(namespace: string): Promise<Record<string, string>> {
    const cached = namespaceCache.get(namespace);
    if (cached && Date.now() - cached.at < NAMESPACE_CACHE_MS) return cached.annotations;
    try {
      const ns = await core.readNamespace({ name: namespace });
      const annotations = ns.metadata?.annotations ?? {};
      namespaceCache.set(namespace, { at: Date.now(), annotations });
      return annotations;
    } catch (err) {
      if (statusCode(err) === 404) return {};
      throw err;
    }
  }

  function desiredStatus(pod: V1Pod, behavior: Behavior, now: number): Desired {
    const current = statusJson(pod);
    const annotations = pod.metadata?.annotations ?? {};
    const startTime = (current.startTime as string | undefined) ?? new Date(now).toISOString();
    const started = Date.parse(startTime);
    const podIP = (current.podIP as string | undefined) || nextPodIP();
    const base: Json = { hostIP: HOST_IP, podIP, podIPs: [{ ip: podIP }], startTime };
    const containers = pod.spec?.containers ?? [];
    const initStatuses = (pod.spec?.initContainers ?? []).map((c) => ({
      ...containerBasics(pod, c.name, c.image),
      ready: true,
      started: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: startTime, finishedAt: startTime, containerID: containerID(pod, c.name) } },
    }));
    const conditions = (ready: boolean, notReadyReason = 'ContainersNotReady', initialized = true): Json[] => {
      const names = containers.map((c) => c.name).join(' ');
      const notReady = { reason: notReadyReason, message: notReadyReason === 'PodCompleted' ? '' : `containers with unready status: [${names}]` };
      return [
        condition(current, 'Initialized', initialized),
        condition(current, 'Ready', ready, ready ? {} : notReady),
        condition(current, 'ContainersReady', ready, ready ? {} : notReady),
        condition(current, 'PodScheduled', true),
      ];
    };
    const running = (ready: boolean): Json[] =>
      containers.map((c) => ({
        ...containerBasics(pod, c.name, c.image),
        ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: startTime } },
      }));

    switch (behavior) {
      case 'ready':
      case 'never-ready': {
        const readyAfter = behavior === 'ready' ? parseDuration(annotations[READY_AFTER_ANNOTATION], READY_AFTER_ANNOTATION, pod) ?? 0 : Infinity;
        const ready = now >= started + readyAfter;
        return {
          status: { ...base, phase: 'Running', conditions: conditions(ready), initContainerStatuses: initStatuses, containerStatuses: running(ready) },
          ...(ready || readyAfter === Infinity ? {} : { nextAt: started + readyAfter }),
        };
      }
      case 'crash': {
        const elapsed = Math.max(0, now - started);
        const fastSpan = CRASH_FAST_RESTARTS * CRASH_FAST_INTERVAL_MS;
        const restarts = elapsed < fastSpan
          ? 1 + Math.floor(elapsed / CRASH_FAST_INTERVAL_MS)
          : 1 + CRASH_FAST_RESTARTS + Math.floor((elapsed - fastSpan) / CRASH_SLOW_INTERVAL_MS);
        const lastRestart = elapsed < fastSpan
          ? started + (restarts - 1) * CRASH_FAST_INTERVAL_MS
          : started + fastSpan + (restarts - 1 - CRASH_FAST_RESTARTS) * CRASH_SLOW_INTERVAL_MS;
        const nextAt = elapsed < fastSpan ? lastRestart + CRASH_FAST_INTERVAL_MS : lastRestart + CRASH_SLOW_INTERVAL_MS;
        const lastExit = new Date(lastRestart).toISOString();
        const statuses = containers.map((c) => ({
          ...containerBasics(pod, c.name, c.image),
          ready: false,
          started: false,
          restartCount: restarts,
          state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})` } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: lastExit, finishedAt: lastExit, containerID: containerID(pod, c.name) } },
        }));
        return { status: { ...base, phase: 'Running', conditions: conditions(false), initContainerStatuses: initStatuses, containerStatuses: statuses }, nextAt };
      }
      case 'succeed':
      case 'fail': {
        const exitAfter = parseDuration(annotations[EXIT_AFTER_ANNOTATION], EXIT_AFTER_ANNOTATION, pod) ?? DEFAULT_EXIT_AFTER_MS;
        const exitAt = started + exitAfter;
        if (now < exitAt) {
          return {
            status: { ...base, phase: 'Running', conditions: conditions(true), initContainerStatuses: initStatuses, containerStatuses: running(true) },
            nextAt: exitAt,
          };
        }
        const exitCode = behavior === 'succeed' ? 0 : parseExitCode(annotations[EXIT_CODE_ANNOTATION], pod);
        const finishedAt = new Date(Math.max(exitAt, started)).toISOString();
        const statuses = containers.map((c) => ({
          ...containerBasics(pod, c.name, c.image),
          ready: false,
          started: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: startTime, finishedAt, containerID: containerID(pod, c.name) } },
        }));
        return {
          status: {
            ...base,
            phase: behavior === 'succeed' ? 'Succeeded' : 'Failed',
            conditions: conditions(false, 'PodCompleted'),
            initContainerStatuses: initStatuses,
            containerStatuses: statuses,
          },
        };
      }
      case 'image-pull-error': {
        const statuses = containers.map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: false,
          started: false,
          restartCount: 0,
          state: { waiting: { reason: 'ErrImagePull', message: `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image ?? ''}": not found` } },
        }));
        return { status: { ...base, phase: 'Pending', conditions: conditions(false), initContainerStatuses: initStatuses, containerStatuses: statuses } };
      }
    }
  }

  function parseDuration(value: string | undefined, key: string, pod: V1Pod): number | undefined {
    if (value === undefined || value.trim() === '') return undefined;
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
    if (!match) {
      log(`ignoring ${key}=${JSON.stringify(value)} on ${podRef(pod)} (expected e.g. 500ms, 2s, 1m)`);
      return undefined;
    }
    const n = Number(match[1]);
    return match[2] === 'ms' ? n : match[2] === 'm' ? n * 60_000 : n * 1000;
  }

  function parseExitCode(value: string | undefined, pod: V1Pod): number {
    if (value === undefined || value.trim() === '') return 1;
    const n = Number(value);
    if (Number.isInteger(n) && n >= 0 && n <= 255) return n;
    log(`ignoring ${EXIT_CODE_ANNOTATION}=${JSON.stringify(value)} on ${podRef(pod)} (expected 0-255)`);
    return 1;
  }

  function nextPodIP(): string {
    ipCounter = (ipCounter + 1) % 65_024;
    return `10.244.${Math.floor(ipCounter / 254)}.${(ipCounter % 254) + 1}`;
  }

  function interruptibleSleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = setTimeout(done, ms);
      function done(): void {
        clearTimeout(handle);
        wakeLoop = undefined;
        resolve();
      }
      wakeLoop = done;
    });
  }
}

function containerBasics(pod: V1Pod, name: string, image: string | undefined): Json {
  const img = image ?? '';
  const imageID = img.includes('@sha256:') ? img : `${img}@sha256:${sha256(img)}`;
  return { name, image: img, imageID, containerID: containerID(pod, name) };
}

function containerID(pod: V1Pod, name: string): string {
  return `containerd://${sha256(`${pod.metadata?.uid}/${name}`)}`;
}

/** Keeps lastTransitionTime when the condition's status doesn't change, like the kubelet. */
function condition(current: Json, type: string, ok: boolean, extra: Json = {}): Json {
  const status = ok ? 'True' : 'False';
  const previous = (current.conditions as Json[] | undefined)?.find((c) => c.type === type);
  const lastTransitionTime = previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : new Date().toISOString();
  return { type, status, lastProbeTime: null, lastTransitionTime, ...extra };
}

/** The parts of a pod status that matter for deciding whether a patch is needed. */
function fingerprint(status: Json): string {
  const containers = (list: unknown) =>
    ((list as Json[] | undefined) ?? []).map((c) => {
      const state = (c.state ?? {}) as Record<string, Json | undefined>;
      const kind = Object.keys(state).find((k) => state[k]) ?? '';
      const detail = state[kind] ?? {};
      return [c.name, kind, detail.reason ?? '', detail.exitCode ?? '', c.ready, c.restartCount ?? 0];
    });
  const conditions = ((status.conditions as Json[] | undefined) ?? []).map((c) => `${c.type}=${c.status}`).sort();
  return JSON.stringify([status.phase, status.podIP ?? '', Boolean(status.startTime), conditions, containers(status.containerStatuses), containers(status.initContainerStatuses)]);
}

/** Pod status as plain JSON (list results carry Date objects, watch events carry strings). */
function statusJson(pod: V1Pod): Json {
  return JSON.parse(JSON.stringify(pod.status ?? {})) as Json;
}

function describeStatus(status: Json): string {
  const ready = (status.conditions as Json[]).find((c) => c.type === 'Ready')?.status;
  const first = (status.containerStatuses as Json[] | undefined)?.[0];
  const state = first ? Object.entries(first.state as Json).map(([k, v]) => `${k}${(v as Json).reason ? `:${(v as Json).reason}` : ''}`)[0] : '';
  const restarts = first && (first.restartCount as number) > 0 ? ` restarts=${first.restartCount}` : '';
  return `${status.phase} Ready=${ready}${state ? ` ${state}` : ''}${restarts}`;
}

/** Watch events and list results can interleave; never let an older copy replace a newer one. */
function isOlder(candidate: V1Pod, known: V1Pod): boolean {
  const a = candidate.metadata?.resourceVersion;
  const b = known.metadata?.resourceVersion;
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

function podRef(pod: V1Pod): string {
  return `pod ${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown; code?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function describe(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as { message?: string } | string | undefined;
    const message = typeof body === 'string' ? body : body?.message;
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
