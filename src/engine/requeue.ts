// When the shell should call decide again without any watch event: a pause step expiring, the
// progress deadline, a future restartAt (Argo checkEnqueueRolloutDuringWait, requeueStuckRollout).
import type { RolloutStatus } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { getCondition, TimedOutReason } from './conditions.ts';
import { isIndefiniteStep, progressDeadlineSeconds, rolloutHealthy } from './status.ts';
import { parseTime } from './time.ts';

/** requeueStuckRollout: wake up when the Progressing condition would pass the deadline. */
export function progressDeadlineRequeue(ctx: ReconcileContext, next: RolloutStatus): number | undefined {
  const prev = ctx.rollout.status ?? {};
  const cond = getCondition(next, 'Progressing');
  if (!cond) return undefined;
  const isPaused = (next.pauseConditions?.length ?? 0) > 0 || ctx.rollout.spec.paused === true;
  if (rolloutHealthy(ctx, next) || cond.reason === TimedOutReason || isPaused || next.abort || prev.abort || isIndefiniteStep(ctx)) return undefined;
  const from = parseTime(cond.lastUpdateTime);
  if (from === undefined) return undefined;
  const after = from + progressDeadlineSeconds(ctx) * 1000 - ctx.now.getTime();
  // +1s: the deadline is exceeded strictly after lastUpdateTime + progressDeadlineSeconds.
  return after < 1000 ? 0 : after + 1000;
}

export function earliest(candidates: Array<number | undefined>): number | undefined {
  const valid = candidates.filter((c): c is number => c !== undefined && Number.isFinite(c));
  return valid.length ? Math.min(...valid) : undefined;
}
