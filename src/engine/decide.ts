// The engine's entry point: one reconcile of one Rollout, as a pure function
// (Argo rollout/context.go reconcile): validate → paused conditions → scaling event or strategy
// (canary or blue-green).
import type { Decision, Observed, Rollout, RolloutStatus } from './types.ts';
import { invalidSpecMessage, validateRollout } from './validate-rollout.ts';
import { newContext } from './reconcile-context.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import * as C from './conditions.ts';
import { rolloutCanary, syncReplicasOnly } from './canary.ts';
import { rolloutBlueGreen, syncReplicasOnlyBlueGreen } from './blue-green.ts';
import { normalizeStatus } from './status.ts';
import { calculateRolloutPhase } from './phase.ts';
import { earliest, progressDeadlineRequeue } from './requeue.ts';
import { DESIRED_REPLICAS_ANNOTATION } from './replica-sets.ts';
import { rsReplicas, specReplicas } from './replica-math.ts';
import { formatTime } from './time.ts';

/** Argo requeues an invalid Rollout after 20 s: a missing Service may appear. */
export const INVALID_SPEC_REQUEUE_MS = 20_000;

/**
 * Decide what to do for `rollout` given the cluster as `observed` at time `now`. Pure and
 * deterministic: the same inputs give the same decision, and calling it again on its own output
 * status (with the cluster unchanged) gives no actions and no events.
 */
export function decide(rollout: Rollout, observed: Observed, now: Date): Decision {
  const errors = validateRollout(rollout, observed);
  const first = errors[0];
  if (first) return invalidSpec(rollout, invalidSpecMessage(rollout, first), now);

  const ctx = newContext(rollout, observed.replicaSets, now);
  checkPausedConditions(ctx);
  const blueGreen = rollout.spec.strategy?.blueGreen !== undefined;
  let status: RolloutStatus;
  if (isScalingEvent(ctx)) status = blueGreen ? syncReplicasOnlyBlueGreen(ctx, observed) : syncReplicasOnly(ctx);
  else status = blueGreen ? rolloutBlueGreen(ctx, observed) : rolloutCanary(ctx, observed);
  const requeueAfterMs = earliest([...ctx.requeueCandidates, progressDeadlineRequeue(ctx, status)]);
  const decision: Decision = { status, actions: ctx.actions };
  if (requeueAfterMs !== undefined) decision.requeueAfterMs = requeueAfterMs;
  return decision;
}

/** createInvalidRolloutCondition: InvalidSpec with the first field error; nothing else is touched. */
function invalidSpec(rollout: Rollout, message: string, now: Date): Decision {
  const s: RolloutStatus = JSON.parse(JSON.stringify(rollout.status ?? {})) as RolloutStatus;
  const prevCond = C.getCondition(s, 'InvalidSpec');
  if (prevCond && prevCond.message !== message) C.removeCondition(s, 'InvalidSpec');
  if (!prevCond || prevCond.message !== message) C.setCondition(s, C.newCondition('InvalidSpec', 'True', C.InvalidSpecReason, message, formatTime(now)));
  s.observedGeneration = String(rollout.metadata.generation ?? 0);
  const { phase, message: phaseMessage } = calculateRolloutPhase(rollout.spec, s);
  s.phase = phase;
  s.message = phaseMessage;
  return { status: normalizeStatus(s), actions: [], requeueAfterMs: INVALID_SPEC_REQUEUE_MS };
}

/**
 * checkPausedConditions: Progressing=Unknown RolloutPaused/RolloutResumed, Progressing RolloutRetry
 * after an abort is cleared, and the Paused condition. Argo patches these on their own before the
 * reconcile; here they are folded into the status the reconcile builds on.
 */
function checkPausedConditions(ctx: ReconcileContext): void {
  const status = ctx.rollout.status ?? {};
  const now = ctx.nowStr;
  const prog = C.getCondition(status, 'Progressing');
  const progPaused = prog?.reason === C.RolloutPausedReason;
  const isPaused = (status.pauseConditions?.length ?? 0) > 0 || ctx.rollout.spec.paused === true;
  const abortCondExists = prog?.reason === C.RolloutAbortedReason;
  const updates = [];
  if (isPaused !== progPaused && !abortCondExists) {
    updates.push(isPaused
      ? C.newCondition('Progressing', 'Unknown', C.RolloutPausedReason, C.RolloutPausedMessage, now)
      : C.newCondition('Progressing', 'Unknown', C.RolloutResumedReason, C.RolloutResumedMessage, now));
  }
  if (!status.abort && abortCondExists) updates.push(C.newCondition('Progressing', 'Unknown', C.RolloutRetryReason, C.RolloutRetryMessage, now));
  const pausedCond = C.getCondition(status, 'Paused');
  const pausedTrue = pausedCond?.status === 'True';
  if (isPaused !== pausedTrue && !abortCondExists) {
    updates.push(C.newCondition('Paused', isPaused ? 'True' : 'False', C.RolloutPausedReason, C.RolloutPausedMessage, now));
  }
  for (const c of updates) C.setCondition(status, c);
  ctx.rollout.status = status;
}

/** isScalingEvent: an active ReplicaSet was sized for another spec.replicas (HPA or a manual scale). */
function isScalingEvent(ctx: ReconcileContext): boolean {
  const replicas = specReplicas(ctx.rollout);
  return ctx.allRSs.some((rs) => {
    if (rsReplicas(rs) === 0) return false;
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
    return desired !== undefined && Number(desired) !== replicas;
  });
}
