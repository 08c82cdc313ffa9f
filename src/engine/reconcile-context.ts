// The state of one reconcile: the Rollout as the engine now sees it, its ReplicaSets sorted into
// new / stable / other, and what has been decided so far. Mutated only inside one `decide` call.
import type { Action, EventType, ReplicaSet, Rollout, RolloutStatus } from './types.ts';
import { templateAsWritten } from './template-as-written.ts';
import { PauseContext } from './pause-context.ts';
import { findNewReplicaSet } from './pod-template-hash.ts';
import { findStableReplicaSet, replicasAnnotationNeedsUpdate, DESIRED_REPLICAS_ANNOTATION, revisionOf } from './replica-sets.ts';
import { rsReplicas, specReplicas } from './replica-math.ts';
import { formatTime } from './time.ts';
import { scalingReplicaSetMessage, ScalingReplicaSetReason } from './conditions.ts';

export const SCALE_DOWN_DEADLINE_ANNOTATION = 'scale-down-deadline';

export interface ReconcileContext {
  /** The Rollout with the status this reconcile builds on (Argo's c.rollout). */
  rollout: Rollout;
  now: Date;
  nowStr: string;
  allRSs: ReplicaSet[];
  newRS: ReplicaSet | undefined;
  stableRS: ReplicaSet | undefined;
  otherRSs: ReplicaSet[];
  pause: PauseContext;
  /** Fields set along the way that end up in the new status (Argo's c.newStatus). */
  newStatus: RolloutStatus;
  actions: Action[];
  requeueCandidates: number[];
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function newContext(rollout: Rollout, replicaSets: ReplicaSet[], now: Date): ReconcileContext {
  const ro = clone(rollout);
  ro.status = ro.status ?? {};
  const allRSs = clone(replicaSets);
  const ctx: ReconcileContext = {
    rollout: ro,
    now,
    nowStr: formatTime(now),
    allRSs,
    newRS: undefined,
    stableRS: undefined,
    otherRSs: [],
    pause: new PauseContext(ro.status),
    newStatus: {},
    actions: [],
    requeueCandidates: [],
  };
  if (ro.status.restartedAt) ctx.newStatus.restartedAt = ro.status.restartedAt;
  classify(ctx);
  // A fully promoted rollout has nothing to abort (Argo newRolloutContext).
  if (ro.status.stableRS && ro.status.stableRS === ro.status.currentPodHash && ctx.pause.isAborted()) ctx.pause.removeAbort();
  return ctx;
}

/** Sorts the ReplicaSets into new, stable and other (FindNewReplicaSet, GetStableRS, GetOtherRSs). */
export function classify(ctx: ReconcileContext): void {
  const status = ctx.rollout.status ?? {};
  ctx.newRS = findNewReplicaSet(ctx.rollout.spec.template, status.collisionCount, ctx.allRSs, (rs) => templateAsWritten(ctx.rollout, rs));
  ctx.stableRS = findStableReplicaSet(status.stableRS, ctx.newRS, ctx.allRSs);
  ctx.otherRSs = ctx.allRSs.filter((rs) => rs !== ctx.newRS && rs !== ctx.stableRS);
}

export function recordEvent(ctx: ReconcileContext, type: EventType, reason: string, message: string): void {
  ctx.actions.push({ kind: 'recordEvent', type, reason, message });
}

export function requeueAfter(ctx: ReconcileContext, ms: number): void {
  ctx.requeueCandidates.push(Math.max(0, Math.round(ms)));
}

/**
 * scaleReplicaSetAndRecordEvent: sets spec.replicas (and the desired-replicas annotation); records
 * ScalingReplicaSet when the size changes. Returns whether the size changed. A full scale-down
 * drops the scale-down deadline, unless `keepScaleDownDeadline` (an aborted update keeps it, as
 * Argo's shouldDelayScaleDownOnAbort does, so the deadline is not set again).
 */
export function scaleReplicaSet(ctx: ReconcileContext, rs: ReplicaSet, replicas: number, opts: { keepScaleDownDeadline?: boolean } = {}): boolean {
  const rolloutReplicas = specReplicas(ctx.rollout);
  const sizeChanged = rsReplicas(rs) !== replicas;
  if (!sizeChanged && !replicasAnnotationNeedsUpdate(rs, rolloutReplicas)) return false;
  const annotations: Record<string, string | null> = { [DESIRED_REPLICAS_ANNOTATION]: String(rolloutReplicas) };
  const dropDeadline = replicas === 0 && !opts.keepScaleDownDeadline;
  if (dropDeadline && rs.metadata.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION] !== undefined) annotations[SCALE_DOWN_DEADLINE_ANNOTATION] = null;
  ctx.actions.push({ kind: 'scaleReplicaSet', name: rs.metadata.name, replicas, annotations });
  const from = rsReplicas(rs);
  rs.spec.replicas = replicas;
  const next: Record<string, string> = { ...(rs.metadata.annotations ?? {}), [DESIRED_REPLICAS_ANNOTATION]: String(rolloutReplicas) };
  if (dropDeadline) delete next[SCALE_DOWN_DEADLINE_ANNOTATION];
  rs.metadata.annotations = next;
  if (sizeChanged) {
    recordEvent(ctx, 'Normal', ScalingReplicaSetReason, scalingReplicaSetMessage(from < replicas ? 'up' : 'down', rs.metadata.name, revisionOf(rs), from, replicas));
  }
  return sizeChanged;
}
