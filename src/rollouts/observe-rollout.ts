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

type PodObject = KubeObject & { status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> } };

function podAvailable(pod: PodObject, minReadySeconds: number, now: Date): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds || !ready.lastTransitionTime) return true;
  return now.getTime() - Date.parse(ready.lastTransitionTime) >= minReadySeconds * 1000;
}

export function observeRollout(rollout: Rollout, caches: RolloutCaches, now: Date): Observed {
  const ns = rollout.metadata.namespace ?? 'default';
  const uid = rollout.metadata.uid;
  const inNamespace = caches.replicaSets.list(ns);
  const owned = inNamespace.filter((rs) => controllerOf(rs)?.uid === uid);
  const ownedNames = new Set(owned.map((rs) => rs.metadata?.name));
  // Only names that could collide with `<rollout>-<hash>` matter.
  const foreign = inNamespace.filter((rs) => !ownedNames.has(rs.metadata?.name) && rs.metadata?.name?.startsWith(`${rollout.metadata.name}-`)).map((rs) => rs.metadata?.name ?? '');
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
