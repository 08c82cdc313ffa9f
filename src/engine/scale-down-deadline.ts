// The `scale-down-deadline` annotation: how long an old or aborted ReplicaSet stays up (Argo
// rollout/replicaset.go addScaleDownDelay, removeScaleDownDelay, shouldDelayScaleDownOnAbort;
// utils/replicaset HasScaleDownDeadline, GetTimeRemainingBeforeScaleDownDeadline; utils/defaults
// GetScaleDownDelaySecondsOrDefault, GetAbortScaleDownDelaySecondsOrDefault).
import type { ReplicaSet, Rollout } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { SCALE_DOWN_DEADLINE_ANNOTATION } from './reconcile-context.ts';
import { formatTime, parseTime } from './time.ts';

export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;
export const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30;

export function hasScaleDownDeadline(rs: ReplicaSet | undefined): boolean {
  return rs?.metadata.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION] !== undefined;
}

/**
 * GetTimeRemainingBeforeScaleDownDeadline: ms until the deadline, 0 once it has passed, undefined
 * when the annotation is absent or unreadable (which Argo treats as "scale down now").
 */
export function msBeforeScaleDownDeadline(rs: ReplicaSet, now: Date): number | undefined {
  const deadline = parseTime(rs.metadata.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION]);
  if (deadline === undefined) return undefined;
  return Math.max(0, deadline - now.getTime());
}

/** Blue-green scaleDownDelaySeconds (default 30). Canary needs traffic routing, which this engine rejects. */
export function scaleDownDelaySeconds(rollout: Rollout): number {
  return rollout.spec.strategy?.blueGreen?.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS;
}

/** abortScaleDownDelaySeconds: seconds (default 30), or undefined for an explicit 0 (never scale down). */
export function abortScaleDownDelaySeconds(rollout: Rollout): { seconds: number | undefined; wasSet: boolean } {
  const bg = rollout.spec.strategy?.blueGreen;
  const canary = rollout.spec.strategy?.canary;
  const set = bg ? bg.abortScaleDownDelaySeconds : canary?.trafficRouting ? canary.abortScaleDownDelaySeconds : undefined;
  if (set === undefined) return { seconds: DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS, wasSet: false };
  return { seconds: set === 0 ? undefined : set, wasSet: true };
}

/** shouldDelayScaleDownOnAbort: aborted with a stable to return to, and a delay configured. */
export function shouldDelayScaleDownOnAbort(ctx: ReconcileContext): boolean {
  if (!ctx.pause.isAborted() || !ctx.stableRS) return false;
  const canary = ctx.rollout.spec.strategy?.canary;
  if (canary && !canary.trafficRouting) return false; // basic canary rolls back instead
  const { seconds, wasSet } = abortScaleDownDelaySeconds(ctx.rollout);
  if (seconds === undefined) return false;
  return !(canary?.dynamicStableScale && !wasSet);
}

/**
 * addScaleDownDelay: annotate the deadline now + `seconds` (a delay of 0 removes any deadline).
 * The in-memory ReplicaSet is left as observed, as in Argo, where the patched copy is not the one
 * the rest of the reconcile reads.
 */
export function addScaleDownDelay(ctx: ReconcileContext, rs: ReplicaSet, seconds: number): void {
  if (seconds === 0) {
    removeScaleDownDelay(ctx, rs);
    return;
  }
  const deadline = formatTime(new Date(ctx.now.getTime() + seconds * 1000));
  ctx.actions.push({ kind: 'patchReplicaSetAnnotations', name: rs.metadata.name, annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: deadline } });
}

/** removeScaleDownDelay: drop the deadline if there is one (the in-memory copy keeps it, see above). */
export function removeScaleDownDelay(ctx: ReconcileContext, rs: ReplicaSet): void {
  if (!hasScaleDownDeadline(rs)) return;
  ctx.actions.push({ kind: 'patchReplicaSetAnnotations', name: rs.metadata.name, annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: null } });
}
