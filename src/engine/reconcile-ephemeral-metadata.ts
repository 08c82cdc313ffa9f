// reconcileEphemeralMetadata (Argo rollout/ephemeralmetadata.go): which ReplicaSet gets which
// ephemeral metadata in this reconcile, and the ReplicaSet and pod updates that bring it about.
import type { Pod, PodTemplateMetadata, ReplicaSet } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { podTemplateHashOf } from './pod-template-hash.ts';
import { rsReplicas } from './replica-math.ts';
import { EPHEMERAL_METADATA_ANNOTATION, ephemeralMetadataOf, marshalPodMetadata, parseExistingPodMetadata, setTemplateMetadata, syncEphemeralPodMetadata } from './ephemeral-metadata.ts';

type StringMap = Record<string, string>;

/** Pods controlled by the ReplicaSet (GetPodsOwnedByReplicaSet). */
function podsOf(rs: ReplicaSet, pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.controller === true && o.kind === 'ReplicaSet' && o.name === rs.metadata.name && (!o.uid || !rs.metadata.uid || o.uid === rs.metadata.uid)));
}

/**
 * syncEphemeralMetadata: bring the ReplicaSet's template (and annotation) in line with `desired`,
 * then, when `withPods`, its live pods. The ReplicaSet is updated first so pods it creates in the
 * meantime already carry the new metadata. Pods are looked at only when the ReplicaSet has pods
 * and was just changed or carries injected metadata.
 */
function syncEphemeralMetadata(ctx: ReconcileContext, rs: ReplicaSet | undefined, desired: PodTemplateMetadata | undefined, pods: readonly Pod[] | undefined, withPods: boolean): void {
  if (!rs) return;
  const existing = parseExistingPodMetadata(rs);
  const meta = rs.spec.template?.metadata ?? {};
  const sync = syncEphemeralPodMetadata({ ...(meta.labels ? { labels: meta.labels } : {}), ...(meta.annotations ? { annotations: meta.annotations } : {}) }, existing, desired);
  if (sync.modified) {
    const action: Extract<ReconcileContext['actions'][number], { kind: 'updateReplicaSetPodTemplate' }> = {
      kind: 'updateReplicaSetPodTemplate',
      name: rs.metadata.name,
      annotations: { [EPHEMERAL_METADATA_ANNOTATION]: desired ? marshalPodMetadata(desired) : null },
    };
    if (Object.keys(sync.labels).length > 0) action.templateLabels = sync.labels;
    if (Object.keys(sync.annotations).length > 0) action.templateAnnotations = sync.annotations;
    ctx.actions.push(action);
    setTemplateMetadata(rs, sync);
    const annotations: StringMap = { ...(rs.metadata.annotations ?? {}) };
    if (desired) annotations[EPHEMERAL_METADATA_ANNOTATION] = marshalPodMetadata(desired);
    else delete annotations[EPHEMERAL_METADATA_ANNOTATION];
    rs.metadata.annotations = annotations;
  }
  if (!withPods || rsReplicas(rs) === 0) return;
  if (!sync.modified && existing === undefined) return;
  for (const pod of podsOf(rs, pods ?? [])) {
    const podSync = syncEphemeralPodMetadata(pod.metadata, existing, desired);
    const labels = Object.keys(podSync.labels).length > 0;
    const annotations = Object.keys(podSync.annotations).length > 0;
    if (!labels && !annotations) continue;
    ctx.actions.push({ kind: 'patchPodMetadata', name: pod.metadata.name, ...(labels ? { labels: podSync.labels } : {}), ...(annotations ? { annotations: podSync.annotations } : {}) });
  }
}

/**
 * reconcileEphemeralMetadata: fully rolled out (no stable yet, or the new ReplicaSet is the stable
 * one) → the new ReplicaSet and its pods get the stable/active metadata; otherwise the new one gets
 * the canary/preview metadata and the stable one the stable/active metadata. Every other ReplicaSet
 * loses injected metadata from its template (its pods are going away and are left alone).
 *
 * DEVIATION: Argo does nothing at all once both fields are removed from the spec, leaving the last
 * injected labels on the ReplicaSets and pods; here the ReplicaSets that still record injected
 * metadata are cleaned up as if both fields were empty.
 */
export function reconcileEphemeralMetadata(ctx: ReconcileContext, pods: readonly Pod[] | undefined): void {
  const { configured, newMetadata, stableMetadata } = ephemeralMetadataOf(ctx.rollout);
  if (!configured && !ctx.allRSs.some((rs) => rs.metadata.annotations?.[EPHEMERAL_METADATA_ANNOTATION] !== undefined)) return;
  const stableHash = ctx.rollout.status?.stableRS ?? '';
  const fullyRolledOut = stableHash === '' || (ctx.newRS !== undefined && stableHash === podTemplateHashOf(ctx.newRS));
  if (fullyRolledOut) {
    syncEphemeralMetadata(ctx, ctx.newRS, stableMetadata, pods, true);
  } else {
    syncEphemeralMetadata(ctx, ctx.newRS, newMetadata, pods, true);
    syncEphemeralMetadata(ctx, ctx.stableRS, stableMetadata, pods, true);
  }
  for (const rs of ctx.otherRSs) syncEphemeralMetadata(ctx, rs, undefined, pods, false);
}
