// The Rollout controller: the imperative shell around the pure engine. Watch events (Rollouts,
// their ReplicaSets, pods and Services) enqueue the owning Rollout; one reconcile per Rollout at a
// time observes the caches, calls decide(), executes the actions, writes the status once, and asks
// to be woken when a pause or deadline expires. All state lives in the cluster (status, ReplicaSet
// annotations), so a restarted Sluice resumes where the last one stopped.
import type { Logger } from 'pino';
import type { Cluster, KubeObject } from '../ports/cluster.ts';
import type { EventSink } from '../ports/event-sink.ts';
import { decide } from '../engine/decide.ts';
import { statusMergePatch } from '../engine/status-patch.ts';
import type { Rollout } from '../engine/types.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { analysisRunNamesInStatus, controllerOf, observeRollout, ReplicaSetIndex, serviceNamesOf, type RolloutCaches } from './observe-rollout.ts';
import type { AnalysisRun } from '../engine/analysis/types.ts';
import type { Observed } from '../engine/types.ts';
import { usesAnalysis } from '../engine/analysis/rollout-analysis.ts';
import { needsPodsForEphemeralMetadata } from '../engine/ephemeral-metadata.ts';
import type { ReplicaSet } from '../engine/types.ts';
import { executeActions } from './execute-actions.ts';

export interface RolloutControllerMetrics {
  reconciled(result: 'success' | 'error', seconds: number): void;
  /** A key started: how long it waited in the queue (a wake-up: since its time came), by lane. */
  queueWait?(lane: 'due' | 'event', seconds: number): void;
  /** One status write, request to answer. */
  statusPatched?(seconds: number): void;
}

export interface RolloutControllerDeps {
  cluster: Cluster;
  caches: RolloutCaches;
  events: EventSink;
  log: Logger;
  now?: () => Date;
  workers?: number;
  /** Extra workers only for wake-ups (pause expiry, deadlines); default: four times `workers`. */
  dueWorkers?: number;
  metrics?: RolloutControllerMetrics;
}

export interface RolloutController {
  start(): void;
  stop(): Promise<void>;
  /** Keys waiting or running; for tests and benchmarks. */
  readonly queue: KeyedQueue;
}

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? 'default'}/${name ?? ''}`;

export function createRolloutController(deps: RolloutControllerDeps): RolloutController {
  const now = deps.now ?? (() => new Date());
  const { caches, cluster } = deps;
  // Our own writes reach the watch cache a little later. Until then the cache holds versions of
  // the Rollout older than what we wrote; reconciling from those would repeat a step's work.
  const written = new Map<string, { staleVersions: Set<string>; rollout: KubeObject }>();

  const current = (key: string, cached: KubeObject): KubeObject => {
    const w = written.get(key);
    if (!w) return cached;
    if (w.staleVersions.has(cached.metadata?.resourceVersion ?? '')) return w.rollout;
    written.delete(key);
    return cached;
  };

  // Before every cache has had its first list, a Rollout would look as if it had no ReplicaSets (a
  // first deploy, promoted at once): wait for all of them, as Argo's WaitForCacheSync does.
  const cachesSynced = (): boolean => Object.values(caches).every((c) => !c || c.synced);

  const reconcile = async (key: string): Promise<void> => {
    if (!cachesSynced()) {
      queue.addAfter(key, 100);
      return;
    }
    const slash = key.indexOf('/');
    const cached = caches.rollouts.get(key.slice(slash + 1), key.slice(0, slash));
    if (!cached) {
      written.delete(key);
      return;
    }
    const obj = current(key, cached);
    if (obj.metadata?.deletionTimestamp) return;
    const rollout = obj as unknown as Rollout;
    const started = Date.now();
    try {
      const at = now();
      const observed = observeRollout(rollout, caches, at, replicaSetIndex);
      await addRunsMissingFromCache(rollout, observed);
      // decide() copies what it changes (its context is a deep copy) and never writes to its
      // arguments (test/unit/engine/decide-inputs.test.ts), so the cached objects go in as they are.
      const decision = decide(rollout, observed, at);
      const stale = new Set([obj.metadata?.resourceVersion ?? '']);
      const executed = await executeActions(decision.actions, rollout, { cluster, events: deps.events });
      let latest: KubeObject = obj;
      if (executed.rollout) {
        stale.add(executed.rollout.metadata?.resourceVersion ?? '');
        latest = executed.rollout;
      }
      const patch = statusMergePatch(rollout.status, decision.status);
      if (patch.status) {
        const sent = Date.now();
        latest = await cluster.patchStatus({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: rollout.metadata.namespace, name: rollout.metadata.name }, patch);
        deps.metrics?.statusPatched?.((Date.now() - sent) / 1000);
      }
      if (latest !== obj) written.set(key, { staleVersions: stale, rollout: latest });
      // requeueAfterMs counts from `at`, when the engine decided; the actions and the status write
      // since then (a few hundred ms under load) must not push a pause's end back by as much.
      if (decision.requeueAfterMs !== undefined) queue.addAfter(key, decision.requeueAfterMs - (Date.now() - started));
      deps.metrics?.reconciled('success', (Date.now() - started) / 1000);
      if (decision.actions.length || patch.status) {
        deps.log.debug({ rollout: key, actions: decision.actions.map((a) => a.kind), phase: decision.status.phase, step: decision.status.currentStepIndex }, 'reconciled');
      }
    } catch (err) {
      deps.metrics?.reconciled('error', (Date.now() - started) / 1000);
      throw err;
    }
  };

  // A run we created and named in the status may not be in the watch cache yet; without it the
  // engine would think the run is missing and create another (Argo's getAnalysisRunsForRollout).
  const addRunsMissingFromCache = async (rollout: Rollout, observed: Observed): Promise<void> => {
    if (!observed.analysisRuns) return;
    const have = new Set(observed.analysisRuns.map((r) => r.metadata?.name));
    for (const name of analysisRunNamesInStatus(rollout)) {
      if (have.has(name)) continue;
      const run = await cluster.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', namespace: rollout.metadata.namespace, name });
      if (run && controllerOf(run)?.uid === rollout.metadata.uid) observed.analysisRuns.push(run as unknown as AnalysisRun);
    }
  };

  const queue = new KeyedQueue({
    workers: deps.workers ?? 10,
    dueWorkers: deps.dueWorkers ?? 4 * (deps.workers ?? 10),
    process: reconcile,
    onStart: (_key, waited, lane) => deps.metrics?.queueWait?.(lane, waited / 1000),
    onError: (key, err, retryInMs) => deps.log.warn({ rollout: key, err: (err as Error).message, retryInMs }, 'reconcile failed; retrying'),
  });

  const replicaSetIndex = new ReplicaSetIndex();
  const enqueueRollout = (obj: KubeObject) => queue.add(keyOf(obj.metadata?.namespace, obj.metadata?.name));
  const enqueueOwnerOfReplicaSet = (rs: KubeObject | undefined) => {
    const owner = rs && controllerOf(rs);
    if (rs && owner?.kind === 'Rollout') queue.add(keyOf(rs.metadata?.namespace, owner.name));
  };
  // A reconcile reads pods only for restarts and ephemeral metadata (observeRollout); a pod change
  // wakes its Rollout only then. Otherwise the ReplicaSet's own status (ready, available) carries
  // every pod change the engine looks at, and a thousand pods coming up would each cost a reconcile.
  const enqueueOwnerOfPod = (pod: KubeObject) => {
    const owner = controllerOf(pod);
    if (owner?.kind !== 'ReplicaSet') return;
    const rs = caches.replicaSets.get(owner.name, pod.metadata?.namespace);
    const rsOwner = rs && controllerOf(rs);
    if (!rs || rsOwner?.kind !== 'Rollout') return;
    const ns = rs.metadata?.namespace;
    const ro = caches.rollouts.get(rsOwner.name, ns) as unknown as Rollout | undefined;
    if (ro && !ro.spec?.restartAt) {
      const owned: ReplicaSet[] = [];
      for (const name of replicaSetIndex.ownedBy(ro.metadata.uid)) {
        const r = caches.replicaSets.get(name, ns);
        if (r && controllerOf(r)?.uid === ro.metadata.uid) owned.push(r as unknown as ReplicaSet);
      }
      if (!needsPodsForEphemeralMetadata(ro, owned)) return;
    }
    queue.add(keyOf(ns, rsOwner.name));
  };
  const enqueueOwnerOfRun = (run: KubeObject) => {
    const owner = controllerOf(run);
    if (owner?.kind === 'Rollout') queue.add(keyOf(run.metadata?.namespace, owner.name));
  };
  // A template that appears or changes may unblock (or invalidate) the Rollouts that use analysis.
  const enqueueAnalysisUsers = (template: KubeObject) => {
    for (const ro of caches.rollouts.list(template.metadata?.namespace)) {
      if (usesAnalysis(ro as unknown as Rollout)) enqueueRollout(ro);
    }
  };
  const enqueueUsersOfService = (svc: KubeObject) => {
    for (const ro of caches.rollouts.list(svc.metadata?.namespace)) {
      if (serviceNamesOf(ro as unknown as Rollout).includes(svc.metadata?.name ?? '')) enqueueRollout(ro);
    }
  };

  return {
    queue,
    start() {
      for (const ev of ['add', 'update', 'resync'] as const) caches.rollouts.on(ev, enqueueRollout);
      caches.rollouts.on('delete', (o) => written.delete(keyOf(o.metadata?.namespace, o.metadata?.name)));
      // The index first, so the enqueue handlers below see it up to date.
      for (const rs of caches.replicaSets.list()) replicaSetIndex.upsert(rs);
      caches.replicaSets.on('add', (rs) => replicaSetIndex.upsert(rs));
      caches.replicaSets.on('update', (rs) => replicaSetIndex.upsert(rs));
      caches.replicaSets.on('delete', (rs) => replicaSetIndex.remove(rs));
      for (const ev of ['add', 'update', 'delete'] as const) {
        caches.replicaSets.on(ev, enqueueOwnerOfReplicaSet);
        caches.pods.on(ev, enqueueOwnerOfPod);
        caches.services.on(ev, enqueueUsersOfService);
        caches.analysisRuns?.on(ev, enqueueOwnerOfRun);
        caches.analysisTemplates?.on(ev, enqueueAnalysisUsers);
        caches.clusterAnalysisTemplates?.on(ev, enqueueAnalysisUsers);
      }
    },
    stop: () => queue.stop(),
  };
}
