// The Rollout side of AnalysisRuns, shared by the canary and blue-green gates (Argo
// rollout/analysis.go): read a run's verdict, create, terminate and delete runs, and the events
// and status entries that follow a run's phase.
import type { Observed, RolloutAnalysis, RolloutAnalysisRunStatus } from './types.ts';
import type { AnalysisRun } from './analysis/types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { recordEvent } from './reconcile-context.ts';
import { getPauseCondition } from './pause-context.ts';
import { phaseCompleted } from './analysis/decide-analysis-run.ts';
import { analysisRunsToDelete, buildRolloutArgs, DEFAULT_RUN_HISTORY_LIMIT, newAnalysisRunFromRollout, runLabels, type RolloutAnalysisType } from './analysis/rollout-analysis.ts';
import { podTemplateHashOf } from './pod-template-hash.ts';

/** Argo's `analysisRunStatus` phase: '' until the analysis controller first wrote the status. */
export const phaseOf = (run: AnalysisRun | undefined): string => run?.status?.phase ?? '';
export const nameOf = (run: AnalysisRun): string => run.metadata?.name ?? '';

/** The runs as observed, copied so that marking one terminated stays inside this reconcile. */
export function observedRuns(observed: Observed): AnalysisRun[] {
  return (observed.analysisRuns ?? []).map((r) => JSON.parse(JSON.stringify(r)) as AnalysisRun);
}

/** RolloutAnalysisRunStatus for the status: name, phase and the run's message. */
export function runStatus(run: AnalysisRun): RolloutAnalysisRunStatus {
  const s: RolloutAnalysisRunStatus = { name: nameOf(run), status: phaseOf(run) as RolloutAnalysisRunStatus['status'] };
  if (run.status?.message) s.message = run.status.message;
  return s;
}

/** cancelAnalysisRuns: terminate each run that is neither completed nor already terminating. */
export function cancel(ctx: ReconcileContext, runs: ReadonlyArray<AnalysisRun | undefined>): void {
  for (const run of runs) {
    if (!run || run.spec.terminate || phaseCompleted(phaseOf(run)) || run.metadata?.deletionTimestamp) continue;
    ctx.actions.push({ kind: 'terminateAnalysisRun', name: nameOf(run) });
    run.spec.terminate = true;
  }
}

/**
 * needsNewAnalysisRun: none yet; or the Rollout was promoted out of an Inconclusive pause (the
 * controller paused, no step or blue-green pause is pending, and the run is Inconclusive); or it
 * was aborted.
 */
export function needsNewRun(ctx: ReconcileContext, current: AnalysisRun | undefined): boolean {
  if (!current) return true;
  const s = ctx.rollout.status ?? {};
  if (s.controllerPause && !getPauseCondition(s, 'CanaryPauseStep') && !getPauseCondition(s, 'BlueGreenPause')) return phaseOf(current) === 'Inconclusive';
  return s.abortedAt !== undefined;
}

/** setPauseOrAbort: an Inconclusive run pauses the Rollout, a Failed or Error run aborts it. */
export function pauseOrAbort(ctx: ReconcileContext, run: AnalysisRun | undefined): void {
  const phase = phaseOf(run);
  if (phase === 'Inconclusive') ctx.pause.addPause('InconclusiveAnalysisRun');
  else if (phase === 'Error' || phase === 'Failed') ctx.pause.addAbort(run?.status?.message ?? '');
}

/**
 * createAnalysisRun for the new ReplicaSet: the run goes into the actions and is treated as existing
 * from now on (`taken` holds the names in use, so a second run of the same name gets `.1`).
 */
export function createRun(ctx: ReconcileContext, observed: Observed, taken: Set<string>, analysis: RolloutAnalysis, type: RolloutAnalysisType, infix: string, stepIndex?: number): AnalysisRun | undefined {
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

/** isRollbackWithinWindow: returning to a recent ReplicaSet skips analysis (and steps). */
export function rollbackWithinWindow(ctx: ReconcileContext): boolean {
  const window = ctx.rollout.spec.rollbackWindow?.revisions ?? 0;
  if (window <= 0 || !ctx.newRS || !ctx.stableRS) return false;
  const newCreated = ctx.newRS.metadata.creationTimestamp ?? '';
  const stableCreated = ctx.stableRS.metadata.creationTimestamp ?? '';
  if (!(newCreated < stableCreated)) return false;
  const between = ctx.allRSs.filter((rs) => (rs.metadata.creationTimestamp ?? '') < stableCreated && newCreated < (rs.metadata.creationTimestamp ?? '')).length;
  return between < window;
}

/** emitAnalysisRunStatusChanges: `AnalysisRun<Phase>` when a run we wait on changes phase. */
export function emitStatusChange(ctx: ReconcileContext, prev: RolloutAnalysisRunStatus | undefined, run: AnalysisRun | undefined, type: RolloutAnalysisType): void {
  const phase = phaseOf(run);
  if (!run || !phase) return;
  if (prev && !(prev.name === nameOf(run) && prev.status !== phase)) return;
  const warning = phase === 'Failed' || phase === 'Error';
  recordEvent(ctx, warning ? 'Warning' : 'Normal', `AnalysisRun${phase}`, `${type} Analysis Run '${nameOf(run)}' Status New: '${phase}' Previous: '${prev?.status || 'NoPreviousStatus'}'`);
}

/**
 * The runs nobody waits on any more: terminated, and deleted beyond the Rollout's history limits
 * (the rest of Argo's reconcileAnalysisRuns once the current runs are known).
 */
export function retireRuns(ctx: ReconcileContext, notWaitedOn: AnalysisRun[]): void {
  cancel(ctx, notWaitedOn);
  const limits = ctx.rollout.spec.analysis ?? {};
  const doomed = analysisRunsToDelete(
    notWaitedOn.filter((r) => !r.metadata?.deletionTimestamp),
    ctx.allRSs,
    limits.successfulRunHistoryLimit ?? DEFAULT_RUN_HISTORY_LIMIT,
    limits.unsuccessfulRunHistoryLimit ?? DEFAULT_RUN_HISTORY_LIMIT,
  );
  for (const run of doomed) ctx.actions.push({ kind: 'deleteAnalysisRun', name: nameOf(run) });
}
