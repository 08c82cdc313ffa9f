// The canary's analysis gates (Argo rollout/analysis.go reconcileAnalysisRuns with
// reconcileStepBasedAnalysisRun and reconcileBackgroundAnalysisRun): create the run a step or the
// background analysis needs, read its verdict (Successful: the step completes; Failed/Error: abort;
// Inconclusive: pause with InconclusiveAnalysisRun), terminate runs nobody waits on, and delete
// runs beyond the history limits.
import type { Observed, RolloutStatus } from './types.ts';
import type { AnalysisRun } from './analysis/types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { getPauseCondition } from './pause-context.ts';
import { STEP_INDEX_LABEL } from './analysis/rollout-analysis.ts';
import { currentStepIndex } from './replica-math.ts';
import { SCALE_DOWN_DEADLINE_ANNOTATION } from './reconcile-context.ts';
import { cancel, createRun, emitStatusChange, nameOf, needsNewRun, observedRuns, pauseOrAbort, retireRuns, rollbackWithinWindow, runStatus } from './analysis-runs.ts';

interface CurrentRuns {
  step?: AnalysisRun | undefined;
  background?: AnalysisRun | undefined;
}

/** FilterCurrentRolloutAnalysisRuns: the runs the previous status names, and all the others. */
function splitRuns(status: RolloutStatus, runs: readonly AnalysisRun[]): { current: CurrentRuns; others: AnalysisRun[] } {
  const stepName = status.canary?.currentStepAnalysisRunStatus?.name;
  const bgName = status.canary?.currentBackgroundAnalysisRunStatus?.name;
  const current: CurrentRuns = {};
  const others: AnalysisRun[] = [];
  for (const run of runs) {
    if (stepName && nameOf(run) === stepName) current.step = run;
    else if (bgName && nameOf(run) === bgName) current.background = run;
    else others.push(run);
  }
  return { current, others };
}

/** SetCurrentAnalysisRuns: the runs this reconcile waits on go into status.canary. */
function setCurrentRuns(ctx: ReconcileContext, runs: CurrentRuns): void {
  const canary = (ctx.newStatus.canary ??= {});
  if (runs.step) canary.currentStepAnalysisRunStatus = runStatus(runs.step);
  else delete canary.currentStepAnalysisRunStatus;
  if (runs.background) canary.currentBackgroundAnalysisRunStatus = runStatus(runs.background);
  else delete canary.currentBackgroundAnalysisRunStatus;
}

function reconcileStepRun(ctx: ReconcileContext, observed: Observed, current: AnalysisRun | undefined, taken: Set<string>): AnalysisRun | undefined {
  const s = ctx.rollout.status ?? {};
  if ((s.pauseConditions?.length ?? 0) > 0 || s.abort) return current;
  const index = currentStepIndex(ctx.rollout);
  const step = index === undefined ? undefined : ctx.rollout.spec.strategy?.canary?.steps?.[index];
  const fromPreviousStep = step?.analysis && current && current.metadata?.labels?.[STEP_INDEX_LABEL] !== String(index);
  if (!step?.analysis || index === undefined || fromPreviousStep) {
    cancel(ctx, [current]);
    return undefined;
  }
  if (needsNewRun(ctx, current)) return createRun(ctx, observed, taken, step.analysis, 'Step', String(index), index);
  pauseOrAbort(ctx, current);
  return current;
}

/** BeforeStartingStep: background analysis waits for `startingStep`. */
function beforeStartingStep(ctx: ReconcileContext): boolean {
  const starting = ctx.rollout.spec.strategy?.canary?.analysis?.startingStep;
  const index = currentStepIndex(ctx.rollout);
  return starting !== undefined && index !== undefined && index < starting;
}

function reconcileBackgroundRun(ctx: ReconcileContext, observed: Observed, current: AnalysisRun | undefined, taken: Set<string>): AnalysisRun | undefined {
  const analysis = ctx.rollout.spec.strategy?.canary?.analysis;
  if (!analysis || (analysis.templates ?? []).length === 0) {
    cancel(ctx, [current]);
    return undefined;
  }
  const s = ctx.rollout.status ?? {};
  const fullyPromoted = !!s.stableRS && s.stableRS === s.currentPodHash;
  if (fullyPromoted || !s.stableRS || !s.currentPodHash || beforeStartingStep(ctx)) return undefined;
  if (getPauseCondition(s, 'InconclusiveAnalysisRun')) return current;
  if (needsNewRun(ctx, current)) return createRun(ctx, observed, taken, analysis, 'Background', '');
  pauseOrAbort(ctx, current);
  return current;
}

/**
 * reconcileAnalysisRuns for a canary. Returns true when the reconcile must stop here and only
 * write the status (a run came back Inconclusive and the Rollout pauses).
 */
export function reconcileCanaryAnalysisRuns(ctx: ReconcileContext, observed: Observed): boolean {
  const runs = observedRuns(observed);
  const status = ctx.rollout.status ?? {};
  const { current, others } = splitRuns(status, runs);
  const taken = new Set(runs.map(nameOf));

  const skip = ctx.pause.isAborted() || status.promoteFull || (ctx.newRS?.metadata.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION] !== undefined) || !status.stableRS || rollbackWithinWindow(ctx);
  if (skip) {
    setCurrentRuns(ctx, current);
    cancel(ctx, [current.step, current.background, ...others]);
    return false;
  }

  const next: CurrentRuns = {};
  next.step = reconcileStepRun(ctx, observed, current.step, taken);
  next.background = reconcileBackgroundRun(ctx, observed, current.background, taken);
  setCurrentRuns(ctx, next);

  const waitedOn = new Set([next.step, next.background].filter((r): r is AnalysisRun => !!r).map(nameOf));
  const notWaitedOn = [...others, ...[current.step, current.background].filter((r): r is AnalysisRun => !!r)].filter((r) => !waitedOn.has(nameOf(r)));
  retireRuns(ctx, notWaitedOn);

  emitStatusChange(ctx, status.canary?.currentStepAnalysisRunStatus, next.step, 'Step');
  emitStatusChange(ctx, status.canary?.currentBackgroundAnalysisRunStatus, next.background, 'Background');
  return ctx.pause.hasAddPause();
}

/** The run the current step waits on, for completedCurrentCanaryStep. */
export function currentStepRunPhase(ctx: ReconcileContext): string | undefined {
  return ctx.newStatus.canary?.currentStepAnalysisRunStatus?.status;
}
