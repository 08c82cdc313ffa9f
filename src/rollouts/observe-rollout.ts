// What the engine needs to see of the cluster for one Rollout, read from the watch caches: the
// ReplicaSets it controls, the Services its strategy names, and (for restarts and ephemeral
// metadata) its pods.
import type { KubeObject } from '../ports/cluster.ts';
import type { ObjectCache } from '../ports/object-cache.ts';
import type { Observed, Pod, ReplicaSet, Rollout, Service } from '../engine/types.ts';
import type { AnalysisRun, AnalysisTemplate } from '../engine/analysis/types.ts';
import { lookupReferencedTemplates, usesAnalysis } from '../engine/analysis/rollout-analysis.ts';
import { needsPodsForEphemeralMetadata } from '../engine/ephemeral-metadata.ts';

export interface RolloutCaches {
  rollouts: ObjectCache;
  replicaSets: ObjectCache;
  services: ObjectCache;
  pods: ObjectCache;
  /** Optional so that a cluster without the analysis CRDs still runs plain canaries. */
  analysisRuns?: ObjectCache;
  analysisTemplates?: ObjectCache;
  clusterAnalysisTemplates?: ObjectCache;
}

/** Names of the AnalysisRuns the Rollout's status says it waits on. */
export function analysisRunNamesInStatus(rollout: Rollout): string[] {
  const c = rollout.status?.canary;
  const bg = rollout.status?.blueGreen as { prePromotionAnalysisRunStatus?: { name?: string }; postPromotionAnalysisRunStatus?: { name?: string } } | undefined;
  return [c?.currentStepAnalysisRunStatus?.name, c?.currentBackgroundAnalysisRunStatus?.name, bg?.prePromotionAnalysisRunStatus?.name, bg?.postPromotionAnalysisRunStatus?.name].filter((n): n is string => !!n);
}

export function controllerOf(obj: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return obj.metadata?.ownerReferences?.find((o) => o.controller === true);
}

/** The Service names a Rollout's strategy refers to. */
export function serviceNamesOf(rollout: Rollout): string[] {
  const s = rollout.spec.strategy ?? {};
  const names = [s.canary?.canaryService, s.canary?.stableService, (s.blueGreen as { activeService?: string } | undefined)?.activeService, (s.blueGreen as { previewService?: string } | undefined)?.previewService];
  return names.filter((n): n is string => typeof n === 'string' && n.length > 0);
}

/**
 * ReplicaSets by the uid of the object controlling them, and by the name of the Rollout they could
 * collide with (`<rollout>-<hash>`: the part before the last dash), kept up to date from the cache's
 * events. With hundreds of Rollouts in a namespace, a reconcile then looks up its own ReplicaSets
 * instead of scanning every one in the namespace. Only keys are kept: objects are read from the
 * cache, and a stale key is harmless (its object is checked again).
 */
export class ReplicaSetIndex {
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly byRolloutName = new Map<string, Set<string>>();
  private readonly ownerOf = new Map<string, string>();

  private static key(ns: string | undefined, name: string | undefined): string {
    return `${ns ?? ''}/${name ?? ''}`;
  }

  private static prefixKey(ns: string | undefined, name: string): string {
    return `${ns ?? ''}/${name.slice(0, Math.max(0, name.lastIndexOf('-')))}`;
  }

  private static addTo(map: Map<string, Set<string>>, k: string, v: string): void {
    let set = map.get(k);
    if (!set) map.set(k, (set = new Set()));
    set.add(v);
  }

  private static removeFrom(map: Map<string, Set<string>>, k: string, v: string): void {
    const set = map.get(k);
    if (!set) return;
    set.delete(v);
    if (set.size === 0) map.delete(k);
  }

  upsert(rs: KubeObject): void {
    const name = rs.metadata?.name ?? '';
    const ns = rs.metadata?.namespace;
    const key = ReplicaSetIndex.key(ns, name);
    const uid = controllerOf(rs)?.uid;
    const before = this.ownerOf.get(key);
    if (before !== uid) {
      if (before !== undefined) ReplicaSetIndex.removeFrom(this.byOwner, before, name);
      if (uid !== undefined) {
        ReplicaSetIndex.addTo(this.byOwner, uid, name);
        this.ownerOf.set(key, uid);
      } else {
        this.ownerOf.delete(key);
      }
    }
    if (name.includes('-')) ReplicaSetIndex.addTo(this.byRolloutName, ReplicaSetIndex.prefixKey(ns, name), name);
  }

  remove(rs: KubeObject): void {
    const name = rs.metadata?.name ?? '';
    const ns = rs.metadata?.namespace;
    const key = ReplicaSetIndex.key(ns, name);
    const before = this.ownerOf.get(key);
    if (before !== undefined) ReplicaSetIndex.removeFrom(this.byOwner, before, name);
    this.ownerOf.delete(key);
    if (name.includes('-')) ReplicaSetIndex.removeFrom(this.byRolloutName, ReplicaSetIndex.prefixKey(ns, name), name);
  }

  /** Names of the ReplicaSets (in `namespace`) the object with this uid controls. */
  ownedBy(uid: string | undefined): Iterable<string> {
    return (uid && this.byOwner.get(uid)) || [];
  }

  /** Names `<rolloutName>-<anything without a dash>` in the namespace. */
  namedAfter(namespace: string, rolloutName: string): Iterable<string> {
    return this.byRolloutName.get(`${namespace}/${rolloutName}`) ?? [];
  }
}

type PodObject = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> } };

function podAvailable(pod: PodObject, minReadySeconds: number, now: Date): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds || !ready.lastTransitionTime) return true;
  return now.getTime() - Date.parse(ready.lastTransitionTime) >= minReadySeconds * 1000;
}

/** The ReplicaSets the Rollout controls, and the names of others that could collide with `<rollout>-<hash>`. */
function replicaSetsOf(rollout: Rollout, caches: RolloutCaches, index: ReplicaSetIndex | undefined): { owned: KubeObject[]; foreign: string[] } {
  const ns = rollout.metadata.namespace ?? 'default';
  const uid = rollout.metadata.uid;
  if (!index) {
    const inNamespace = caches.replicaSets.list(ns);
    const owned = inNamespace.filter((rs) => controllerOf(rs)?.uid === uid);
    const ownedNames = new Set(owned.map((rs) => rs.metadata?.name));
    const prefix = `${rollout.metadata.name}-`;
    const foreign = inNamespace.filter((rs) => !ownedNames.has(rs.metadata?.name) && rs.metadata?.name?.startsWith(prefix) && !rs.metadata.name.slice(prefix.length).includes('-')).map((rs) => rs.metadata?.name ?? '');
    return { owned, foreign };
  }
  const owned: KubeObject[] = [];
  for (const name of index.ownedBy(uid)) {
    const rs = caches.replicaSets.get(name, ns);
    if (rs && controllerOf(rs)?.uid === uid) owned.push(rs);
  }
  const ownedNames = new Set(owned.map((rs) => rs.metadata?.name));
  const foreign: string[] = [];
  for (const name of index.namedAfter(ns, rollout.metadata.name)) if (!ownedNames.has(name) && caches.replicaSets.get(name, ns)) foreign.push(name);
  return { owned, foreign };
}

export function observeRollout(rollout: Rollout, caches: RolloutCaches, now: Date, index?: ReplicaSetIndex): Observed {
  const ns = rollout.metadata.namespace ?? 'default';
  const uid = rollout.metadata.uid;
  const { owned, foreign } = replicaSetsOf(rollout, caches, index);
  const ownedNames = new Set(owned.map((rs) => rs.metadata?.name));
  const services: Record<string, Service | undefined> = {};
  for (const name of serviceNamesOf(rollout)) services[name] = caches.services.get(name, ns) as unknown as Service | undefined;
  const observed: Observed = { replicaSets: owned as unknown as ReplicaSet[], services, foreignReplicaSetNames: foreign };
  if (caches.analysisRuns && (usesAnalysis(rollout) || analysisRunNamesInStatus(rollout).length > 0)) {
    observed.analysisRuns = caches.analysisRuns.list(ns).filter((ar) => controllerOf(ar)?.uid === uid) as unknown as AnalysisRun[];
    const templates = caches.analysisTemplates;
    const clusterTemplates = caches.clusterAnalysisTemplates;
    Object.assign(observed, lookupReferencedTemplates(
      rollout,
      (name) => templates?.get(name, ns) as unknown as AnalysisTemplate | undefined,
      (name) => clusterTemplates?.get(name) as unknown as AnalysisTemplate | undefined,
    ));
  }
  if (rollout.spec.restartAt || needsPodsForEphemeralMetadata(rollout, observed.replicaSets)) {
    const minReady = rollout.spec.minReadySeconds ?? 0;
    observed.pods = caches.pods
      .list(ns)
      .filter((p) => {
        const owner = controllerOf(p);
        return owner?.kind === 'ReplicaSet' && ownedNames.has(owner.name);
      })
      .map((p) => ({ metadata: p.metadata as Pod['metadata'], available: podAvailable(p as PodObject, minReady, now) }));
  }
  return observed;
}
