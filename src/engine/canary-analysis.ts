// The canary's analysis gates (Argo rollout/analysis.go reconcileAnalysisRuns with
// reconcileStepBasedAnalysisRun and reconcileBackgroundAnalysisRun): create the run a step or the
// background analysis needs, read its verdict (Successful: the step completes; Failed/Error: abort;
// Inconclusive: pause with InconclusiveAnalysisRun), terminate runs nobody waits on, and delete
// runs beyond the history limits.
import type { Observed, RolloutAnalysisRunStatus, RolloutStatus } from './types.ts';
import type { AnalysisRun } from './analysis/types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { recordEvent } from './reconcile-context.ts';
import { getPauseCondition } from './pause-context.ts';
import { phaseCompleted } from './analysis/decide-analysis-run.ts';
import { analysisRunsToDelete, buildRolloutArgs, DEFAULT_RUN_HISTORY_LIMIT, newAnalysisRunFromRollout, runLabels, STEP_INDEX_LABEL, type RolloutAnalysisType } from './analysis/rollout-analysis.ts';
import type { RolloutAnalysis } from './types.ts';
import { currentStepIndex } from './replica-math.ts';
import { podTemplateHashOf } from './pod-template-hash.ts';
import { SCALE_DOWN_DEADLINE_ANNOTATION } from './reconcile-context.ts';

interface CurrentRuns {
  step?: AnalysisRun | undefined;
  background?: AnalysisRun | undefined;
}

/** Argo's `analysisRunStatus` phase: '' until the analysis controller first wrote the status. */
const phaseOf = (run: AnalysisRun | undefined) => run?.status?.phase ?? '';
const nameOf = (run: AnalysisRun) => run.metadata?.name ?? '';

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

function runStatus(run: AnalysisRun): RolloutAnalysisRunStatus {
  const s: RolloutAnalysisRunStatus = { name: nameOf(run), status: (phaseOf(run) as RolloutAnalysisRunStatus['status']) };
  if (run.status?.message) s.message = run.status.message;
  return s;
}

/** SetCurrentAnalysisRuns: the runs this reconcile waits on go into status.canary. */
function setCurrentRuns(ctx: ReconcileContext, runs: CurrentRuns): void {
  const canary = (ctx.newStatus.canary ??= {});
  if (runs.step) canary.currentStepAnalysisRunStatus = runStatus(runs.step);
  else delete canary.currentStepAnalysisRunStatus;
  if (runs.background) canary.currentBackgroundAnalysisRunStatus = runStatus(runs.background);
  else delete canary.currentBackgroundAnalysisRunStatus;
}

/** cancelAnalysisRuns: terminate each run that is neither completed nor already terminating. */
function cancel(ctx: ReconcileContext, runs: ReadonlyArray<AnalysisRun | undefined>): void {
  for (const run of runs) {
    if (!run || run.spec.terminate || phaseCompleted(phaseOf(run)) || run.metadata?.deletionTimestamp) continue;
    ctx.actions.push({ kind: 'terminateAnalysisRun', name: nameOf(run) });
    run.spec.terminate = true;
  }
}

/**
 * needsNewAnalysisRun: none yet; or the Rollout was promoted out of an Inconclusive pause (the
 * controller paused, no step pause is pending, and the run is Inconclusive); or it was aborted.
 */
function needsNewRun(ctx: ReconcileContext, current: AnalysisRun | undefined): boolean {
  if (!current) return true;
  const s = ctx.rollout.status ?? {};
  if (s.controllerPause && !getPauseCondition(s, 'CanaryPauseStep') && !getPauseCondition(s, 'BlueGreenPause')) return phaseOf(current) === 'Inconclusive';
  return s.abortedAt !== undefined;
}

/** setPauseOrAbort: an Inconclusive run pauses the Rollout, a Failed or Error run aborts it. */
function pauseOrAbort(ctx: ReconcileContext, run: AnalysisRun | undefined): void {
  const phase = phaseOf(run);
  if (phase === 'Inconclusive') ctx.pause.addPause('InconclusiveAnalysisRun');
  else if (phase === 'Error' || phase === 'Failed') ctx.pause.addAbort(run?.status?.message ?? '');
}

/** createAnalysisRun: the run object goes into the actions and is treated as existing from now on. */
function createRun(ctx: ReconcileContext, observed: Observed, taken: Set<string>, analysis: RolloutAnalysis, type: RolloutAnalysisType, infix: string, stepIndex?: number): AnalysisRun | undefined {
  const podHash = ctx.newRS ? podTemplateHashOf(ctx.newRS) : '';
  if (!podHash) return undefined;
  const args = buildRolloutArgs(analysis.args, ctx.rollout, ctx.stableRS, ctx.newRS);
  const made = newAnalysisRunFromRollout({ rollout: ctx.rollout, analysis, args, podHash, infix, labels: runLabels(type, podHash, stepIndex), observed, takenNames: taken });
  if (!made.ok) {
    // Validation checked the templates and args, so this is a race (a template deleted meanwhile):
    // say so on the Rollout and try again at the next reconcile.
    recordEvent(ctx, 'Warning', 'AnalysisRunError', `Failed to create ${type} AnalysisRun: ${made.error}`);
    ctx.requeueCandidates.push(20_000);
    return undefined;
  }
  ctx.actions.push({ kind: 'createAnalysisRun', analysisRun: JSON.parse(JSON.stringify(made.run)) as AnalysisRun });
  taken.add(nameOf(made.run));
  return made.run;
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

/** isRollbackWithinWindow: returning to a recent ReplicaSet skips analysis as it skips steps. */
function rollbackWithinWindow(ctx: ReconcileContext): boolean {
  const window = ctx.rollout.spec.rollbackWindow?.revisions ?? 0;
  if (window <= 0 || !ctx.newRS || !ctx.stableRS) return false;
  const newCreated = ctx.newRS.metadata.creationTimestamp ?? '';
  const stableCreated = ctx.stableRS.metadata.creationTimestamp ?? '';
  if (!(newCreated < stableCreated)) return false;
  const between = ctx.allRSs.filter((rs) => (rs.metadata.creationTimestamp ?? '') < stableCreated && newCreated < (rs.metadata.creationTimestamp ?? '')).length;
  return between < window;
}

/** emitAnalysisRunStatusChanges: `AnalysisRun<Phase>` when a run we wait on changes phase. */
function emitStatusChange(ctx: ReconcileContext, prev: RolloutAnalysisRunStatus | undefined, run: AnalysisRun | undefined, type: RolloutAnalysisType): void {
  const phase = phaseOf(run);
  if (!run || !phase) return;
  if (prev && !(prev.name === nameOf(run) && prev.status !== phase)) return;
  const warning = phase === 'Failed' || phase === 'Error';
  recordEvent(ctx, warning ? 'Warning' : 'Normal', `AnalysisRun${phase}`, `${type} Analysis Run '${nameOf(run)}' Status New: '${phase}' Previous: '${prev?.status || 'NoPreviousStatus'}'`);
}

/**
 * reconcileAnalysisRuns for a canary. Returns true when the reconcile must stop here and only
 * write the status (a run came back Inconclusive and the Rollout pauses).
 */
export function reconcileCanaryAnalysisRuns(ctx: ReconcileContext, observed: Observed): boolean {
  const runs = (observed.analysisRuns ?? []).map((r) => JSON.parse(JSON.stringify(r)) as AnalysisRun);
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
  cancel(ctx, notWaitedOn);
  const limits = ctx.rollout.spec.analysis ?? {};
  const doomed = analysisRunsToDelete(
    notWaitedOn.filter((r) => !r.metadata?.deletionTimestamp),
    ctx.allRSs,
    limits.successfulRunHistoryLimit ?? DEFAULT_RUN_HISTORY_LIMIT,
    limits.unsuccessfulRunHistoryLimit ?? DEFAULT_RUN_HISTORY_LIMIT,
  );
  for (const run of doomed) ctx.actions.push({ kind: 'deleteAnalysisRun', name: nameOf(run) });

  emitStatusChange(ctx, status.canary?.currentStepAnalysisRunStatus, next.step, 'Step');
  emitStatusChange(ctx, status.canary?.currentBackgroundAnalysisRunStatus, next.background, 'Background');
  return ctx.pause.hasAddPause();
}

/** The run the current step waits on, for completedCurrentCanaryStep. */
export function currentStepRunPhase(ctx: ReconcileContext): string | undefined {
  return ctx.newStatus.canary?.currentStepAnalysisRunStatus?.status;
}
