// Carries out the engine's actions against the cluster, in order. Each action is idempotent here
// (a ReplicaSet that already exists is fine, a deleted object already gone is fine), so a
// reconcile interrupted half-way and run again converges without duplicates.
import type { Cluster, KubeObject } from '../ports/cluster.ts';
import { apiStatusOf } from '../ports/cluster.ts';
import type { EventSink } from '../ports/event-sink.ts';
import type { Action, Rollout } from '../engine/types.ts';

export const MANAGED_BY_ROLLOUTS_ANNOTATION = 'argo-rollouts.argoproj.io/managed-by-rollouts';
export const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash';

export interface ExecuteResult {
  /** The Rollout as last returned by the API server, when an action wrote to it. */
  rollout?: KubeObject;
}

/** Pods patched at once for ephemeral metadata (Argo's --ephemeral-metadata-threads default). */
export const POD_PATCH_CONCURRENCY = 10;

type PodPatch = Extract<Action, { kind: 'patchPodMetadata' }>;

export async function executeActions(actions: Action[], rollout: Rollout, deps: { cluster: Cluster; events: EventSink }): Promise<ExecuteResult> {
  const ns = rollout.metadata.namespace ?? 'default';
  const rs = (name: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: ns, name });
  const analysisRun = (name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', namespace: ns, name });
  const patchPod = async (a: PodPatch) => {
    const metadata: Record<string, unknown> = {};
    if (a.labels) metadata.labels = a.labels;
    if (a.annotations) metadata.annotations = a.annotations;
    try {
      await deps.cluster.patch({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: a.name }, { metadata });
    } catch (err) {
      // The pod went away meanwhile (scaled down, evicted): nothing left to label.
      if (apiStatusOf(err) !== 404) throw err;
    }
  };
  const result: ExecuteResult = {};
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i] as Action;
    switch (action.kind) {
      case 'createReplicaSet':
        try {
          await deps.cluster.create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', ...(action.replicaSet as unknown as KubeObject), metadata: { ...action.replicaSet.metadata, namespace: ns } });
        } catch (err) {
          // Created by an earlier, interrupted reconcile: the name is deterministic, so it is ours.
          if (apiStatusOf(err) !== 409) throw err;
        }
        break;
      case 'scaleReplicaSet':
        await deps.cluster.patch(rs(action.name), { spec: { replicas: action.replicas }, ...(action.annotations ? { metadata: { annotations: action.annotations } } : {}) });
        break;
      case 'patchReplicaSetAnnotations':
        await deps.cluster.patch(rs(action.name), { metadata: { annotations: action.annotations } });
        break;
      case 'updateReplicaSetPodTemplate': {
        // JSON merge patch for the maps (null removes a key, and is a no-op for a key already gone);
        // the affinity is replaced whole by a JSON patch `add`, so no stale term can survive a merge.
        const templateMeta: Record<string, unknown> = {};
        if (action.templateLabels) templateMeta.labels = action.templateLabels;
        if (action.templateAnnotations) templateMeta.annotations = action.templateAnnotations;
        const template: Record<string, unknown> = {};
        if (Object.keys(templateMeta).length > 0) template.metadata = templateMeta;
        if (action.affinity === null) template.spec = { affinity: null };
        const merge: Record<string, unknown> = {};
        if (action.annotations) merge.metadata = { annotations: action.annotations };
        if (Object.keys(template).length > 0) merge.spec = { template };
        if (Object.keys(merge).length > 0) await deps.cluster.patch(rs(action.name), merge);
        if (action.affinity) await deps.cluster.patch(rs(action.name), [{ op: 'add', path: '/spec/template/spec/affinity', value: action.affinity }], { type: 'json' });
        break;
      }
      case 'patchPodMetadata': {
        // Consecutive pod patches (one ReplicaSet's pods) go out POD_PATCH_CONCURRENCY at a time.
        const batch: PodPatch[] = [action];
        while (actions[i + 1]?.kind === 'patchPodMetadata') batch.push(actions[++i] as PodPatch);
        for (let j = 0; j < batch.length; j += POD_PATCH_CONCURRENCY) await Promise.all(batch.slice(j, j + POD_PATCH_CONCURRENCY).map(patchPod));
        break;
      }
      case 'deleteReplicaSet':
        await deps.cluster.delete(rs(action.name), { propagationPolicy: 'Background' });
        break;
      case 'setServiceSelector':
        await deps.cluster.patch(
          { apiVersion: 'v1', kind: 'Service', namespace: ns, name: action.service },
          { metadata: { annotations: { [MANAGED_BY_ROLLOUTS_ANNOTATION]: action.rollout } }, spec: { selector: { [POD_TEMPLATE_HASH_LABEL]: action.podTemplateHash } } },
        );
        break;
      case 'patchRolloutAnnotations':
        result.rollout = await deps.cluster.patch({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: ns, name: rollout.metadata.name }, { metadata: { annotations: action.annotations } });
        break;
      case 'evictPod':
        try {
          await deps.cluster.evictPod(ns, action.name);
        } catch (err) {
          // A PodDisruptionBudget said not now (429): the next reconcile tries again.
          if (apiStatusOf(err) !== 429) throw err;
        }
        break;
      case 'createAnalysisRun':
        // An AlreadyExists means our cache was behind (the name is free among the runs we saw):
        // the error makes the reconcile retry once the cache has caught up.
        await deps.cluster.create(action.analysisRun as unknown as KubeObject);
        break;
      case 'terminateAnalysisRun':
        try {
          await deps.cluster.patch(analysisRun(action.name), { spec: { terminate: true } });
        } catch (err) {
          if (apiStatusOf(err) !== 404) throw err;
        }
        break;
      case 'deleteAnalysisRun':
        await deps.cluster.delete(analysisRun(action.name));
        break;
      case 'recordEvent':
        // Not awaited: Events are for people and notifications, never for the next decision, and
        // waiting for each POST put half of a busy controller's requests on the reconcile's path.
        // record() never rejects (a failure is logged).
        void deps.events.record({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: rollout.metadata as KubeObject['metadata'] }, { type: action.type, reason: action.reason, message: action.message });
        break;
    }
  }
  return result;
}
