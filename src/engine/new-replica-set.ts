// The new ReplicaSet of a reconcile, for either strategy (Argo rollout/sync.go
// getAllReplicaSetsAndSyncRevision): create it for the current template, or bring the existing one's
// revision and annotations up to date, and keep the Rollout's revision annotation in step.
import type { JsonObject, Observed, ReplicaSet, RolloutStatus } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { classify, recordEvent } from './reconcile-context.ts';
import * as C from './conditions.ts';
import { computePodTemplateHash, podTemplateHashOf } from './pod-template-hash.ts';
import { buildReplicaSet, maxRevision, newReplicaSetAnnotationUpdates, replicaSetName, REVISION_ANNOTATION, revisionOf } from './replica-sets.ts';
import { generateReplicaSetAffinity, injectedAntiAffinityRuleIsStale, injectedAntiAffinityRuleNeedsUpdate, sameAffinity } from './anti-affinity.ts';
import { ephemeralMetadataOf, injectEphemeralMetadata } from './ephemeral-metadata.ts';

export function setRolloutRevision(ctx: ReconcileContext, revision: string): void {
  if (ctx.rollout.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
  ctx.rollout.metadata.annotations = { ...(ctx.rollout.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
  ctx.actions.push({ kind: 'patchRolloutAnnotations', annotations: { [REVISION_ANNOTATION]: revision } });
  recordEvent(ctx, 'Normal', C.RolloutUpdatedReason, C.rolloutUpdatedMessage(revision));
}

/**
 * syncReplicaSetRevision: the existing new ReplicaSet gets the newest revision and the Rollout's
 * annotations; when those change, or its injected anti-affinity term points at a ReplicaSet that
 * is no longer the stable one (or at one with no pods left, once it is stable itself), its pod
 * template's affinity is generated afresh (IfInjectedAntiAffinityRuleNeedsUpdate →
 * GenerateReplicaSetAffinity).
 */
export function syncReplicaSetRevision(ctx: ReconcileContext): void {
  const rs = ctx.newRS;
  if (!rs) return;
  const newRevision = maxRevision(ctx.allRSs.filter((r) => r !== rs)) + 1;
  const updates = newReplicaSetAnnotationUpdates(ctx.rollout, rs, newRevision);
  const annotationsUpdated = Object.keys(updates).length > 0;
  if (annotationsUpdated) {
    ctx.actions.push({ kind: 'patchReplicaSetAnnotations', name: rs.metadata.name, annotations: updates });
    rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), ...updates };
  }
  const hash = podTemplateHashOf(rs);
  const current = rs.spec.template?.spec?.affinity as JsonObject | undefined;
  const affinityNeedsUpdate = injectedAntiAffinityRuleNeedsUpdate(current, ctx.rollout, hash) || injectedAntiAffinityRuleIsStale(current, ctx.rollout, hash, ctx.allRSs);
  if (annotationsUpdated || affinityNeedsUpdate) {
    const desired = generateReplicaSetAffinity(ctx.rollout, hash);
    if (!sameAffinity(current, desired)) {
      ctx.actions.push({ kind: 'updateReplicaSetPodTemplate', name: rs.metadata.name, affinity: desired ?? null });
      const template = (rs.spec.template ??= {});
      const spec = (template.spec ??= {});
      if (desired) spec.affinity = desired;
      else delete spec.affinity;
    }
  }
  setRolloutRevision(ctx, String(revisionOf(rs)));
  const status = ctx.rollout.status ?? {};
  if (!C.getCondition(status, 'Progressing')) {
    C.setCondition(status, C.newCondition('Progressing', 'True', C.FoundNewRSReason, C.foundNewRSMessage(rs.metadata.name), ctx.nowStr));
  }
}

/**
 * createDesiredReplicaSet. Returns false on a hash collision: a ReplicaSet of that name exists with
 * another template (or is not ours); collisionCount is bumped and the next reconcile retries.
 */
export function createReplicaSet(ctx: ReconcileContext, observed: Observed): boolean {
  const status = ctx.rollout.status ?? {};
  const hash = computePodTemplateHash(ctx.rollout.spec.template, status.collisionCount);
  const name = replicaSetName(ctx.rollout, hash);
  if (ctx.allRSs.some((rs) => rs.metadata.name === name) || (observed.foreignReplicaSetNames ?? []).includes(name)) {
    status.collisionCount = (status.collisionCount ?? 0) + 1;
    return false;
  }
  const revision = maxRevision(ctx.allRSs) + 1;
  const rs = buildReplicaSet(ctx.rollout, hash, revision);
  // The anti-affinity term against the stable ReplicaSet, and the ephemeral metadata of the role the
  // new ReplicaSet starts in: canary/preview while there is a stable one, else stable/active.
  const affinity = generateReplicaSetAffinity(ctx.rollout, hash);
  if (affinity) (rs.spec.template ??= {}).spec = { ...(rs.spec.template?.spec ?? {}), affinity };
  const { newMetadata, stableMetadata } = ephemeralMetadataOf(ctx.rollout);
  injectEphemeralMetadata(rs, ctx.stableRS ? newMetadata : stableMetadata);
  ctx.actions.push({ kind: 'createReplicaSet', replicaSet: JSON.parse(JSON.stringify(rs)) as ReplicaSet });
  rs.metadata.creationTimestamp = ctx.nowStr;
  rs.status = {};
  ctx.allRSs.push(rs);
  classify(ctx);
  setRolloutRevision(ctx, String(revision));
  recordEvent(ctx, 'Normal', C.NewReplicaSetReason, C.newReplicaSetDetailedMessage(name, revision));
  C.setCondition(status, C.newCondition('Progressing', 'True', C.NewReplicaSetReason, C.newReplicaSetMessage(name), ctx.nowStr));
  return true;
}

/** After a hash collision Argo writes only the bumped collisionCount; the next reconcile uses the new hash. */
export function collisionStatus(ctx: ReconcileContext): RolloutStatus {
  const s = JSON.parse(JSON.stringify(ctx.rollout.status ?? {})) as RolloutStatus;
  s.canary = s.canary ?? {};
  s.blueGreen = s.blueGreen ?? {};
  return s;
}

