// The new ReplicaSet of a reconcile, for either strategy (Argo rollout/sync.go
// getAllReplicaSetsAndSyncRevision): create it for the current template, or bring the existing one's
// revision and annotations up to date, and keep the Rollout's revision annotation in step.
import type { Observed, ReplicaSet, RolloutStatus } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { classify, recordEvent } from './reconcile-context.ts';
import * as C from './conditions.ts';
import { computePodTemplateHash } from './pod-template-hash.ts';
import { buildReplicaSet, maxRevision, newReplicaSetAnnotationUpdates, replicaSetName, REVISION_ANNOTATION, revisionOf } from './replica-sets.ts';

export function setRolloutRevision(ctx: ReconcileContext, revision: string): void {
  if (ctx.rollout.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
  ctx.rollout.metadata.annotations = { ...(ctx.rollout.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
  ctx.actions.push({ kind: 'patchRolloutAnnotations', annotations: { [REVISION_ANNOTATION]: revision } });
  recordEvent(ctx, 'Normal', C.RolloutUpdatedReason, C.rolloutUpdatedMessage(revision));
}

/** syncReplicaSetRevision: the existing new ReplicaSet gets the newest revision and the Rollout's annotations. */
export function syncReplicaSetRevision(ctx: ReconcileContext): void {
  const rs = ctx.newRS;
  if (!rs) return;
  const newRevision = maxRevision(ctx.allRSs.filter((r) => r !== rs)) + 1;
  const updates = newReplicaSetAnnotationUpdates(ctx.rollout, rs, newRevision);
  if (Object.keys(updates).length > 0) {
    ctx.actions.push({ kind: 'patchReplicaSetAnnotations', name: rs.metadata.name, annotations: updates });
    rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), ...updates };
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

