// Blue-green analysis gates (Argo rollout/analysis.go reconcileAnalysisRuns with
// reconcilePrePromotionAnalysisRun and reconcilePostPromotionAnalysisRun): pre-promotion analysis
// runs against the fully available preview and blocks the active switch; post-promotion analysis
// runs once the active Service selects the new ReplicaSet and blocks it becoming stable.
// Successful lets the Rollout go on, Failed/Error aborts, Inconclusive pauses (InconclusiveAnalysisRun).
import type { Observed, RolloutStatus } from './types.ts';
import type { AnalysisRun } from './analysis/types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { getPauseCondition } from './pause-context.ts';
import { podTemplateHashOf } from './pod-template-hash.ts';
import { isSaturated } from './replica-sets.ts';
import { rsAvailable, rsReplicas } from './replica-math.ts';
import { hasScaleDownDeadline } from './scale-down-deadline.ts';
import { skipPostPromotionAnalysis } from './blue-green-replica-sets.ts';
import { cancel, createRun, emitStatusChange, nameOf, needsNewRun, observedRuns, pauseOrAbort, phaseOf, retireRuns, rollbackWithinWindow, runStatus } from './analysis-runs.ts';

/** The runs the Rollout waits on (Argo's CurrentAnalysisRuns for blue-green). */
export interface BlueGreenRuns {
  pre?: AnalysisRun | undefined;
  post?: AnalysisRun | undefined;
}

/**
 * The runs status.blueGreen names, and all the others. DEVIATION: when an abort is being retried
 * the runs that caused it are no longer current, so a new run is made; Argo keeps reading the
 * Failed run and aborts again at once (argo-rollouts#2824).
 */
export function currentBlueGreenRuns(ctx: ReconcileContext, observed: Observed): { current: BlueGreenRuns; others: AnalysisRun[] } {
  const s: RolloutStatus = ctx.rollout.status ?? {};
  const retrying = s.abortedAt !== undefined && !ctx.pause.isAborted();
  const preName = retrying ? undefined : s.blueGreen?.prePromotionAnalysisRunStatus?.name;
  const postName = retrying ? undefined : s.blueGreen?.postPromotionAnalysisRunStatus?.name;
  const current: BlueGreenRuns = {};
  const others: AnalysisRun[] = [];
  for (const run of observedRuns(observed)) {
    if (preName && nameOf(run) === preName) current.pre = run;
    else if (postName && nameOf(run) === postName) current.post = run;
    else others.push(run);
  }
  return { current, others };
}

/** completedPrePromotionAnalysis: none is configured, or the current one is Successful. */
export function completedPrePromotionAnalysis(ctx: ReconcileContext, runs: BlueGreenRuns): boolean {
  return !ctx.rollout.spec.strategy?.blueGreen?.prePromotionAnalysis || phaseOf(runs.pre) === 'Successful';
}

/**
 * skipPrePromotionAnalysisRun: nothing to analyse yet (first deploy, already active or stable) or
 * the preview is not fully up (previewReplicaCount pods, or all of spec.replicas).
 */
function skipPrePromotionAnalysis(ctx: ReconcileContext): boolean {
  const hash = ctx.newRS ? podTemplateHashOf(ctx.newRS) : '';
  const s = ctx.rollout.status ?? {};
  const active = s.blueGreen?.activeSelector;
  if (s.stableRS === hash || !active || active === hash || !hash) return true;
  const preview = ctx.rollout.spec.strategy?.blueGreen?.previewReplicaCount;
  if (preview !== undefined) return rsReplicas(ctx.newRS) !== preview || rsAvailable(ctx.newRS) !== preview;
  return !isSaturated(ctx.rollout, ctx.newRS);
}

/** SetCurrentAnalysisRuns: the runs this reconcile waits on go into status.blueGreen. */
function setCurrentRuns(ctx: ReconcileContext, runs: BlueGreenRuns): void {
  const bg = (ctx.newStatus.blueGreen ??= {});
  if (runs.pre) bg.prePromotionAnalysisRunStatus = runStatus(runs.pre);
  else delete bg.prePromotionAnalysisRunStatus;
  if (runs.post) bg.postPromotionAnalysisRunStatus = runStatus(runs.post);
  else delete bg.postPromotionAnalysisRunStatus;
}

function reconcileGate(ctx: ReconcileContext, observed: Observed, taken: Set<string>, current: AnalysisRun | undefined, which: 'pre' | 'post'): AnalysisRun | undefined {
  const bg = ctx.rollout.spec.strategy?.blueGreen;
  const analysis = which === 'pre' ? bg?.prePromotionAnalysis : bg?.postPromotionAnalysis;
  if (!analysis) {
    cancel(ctx, [current]);
    return undefined;
  }
  // Outside its window a run is stopped but still reported (Argo returns it as current).
  if (which === 'pre' ? skipPrePromotionAnalysis(ctx) : skipPostPromotionAnalysis(ctx)) {
    cancel(ctx, [current]);
    return current;
  }
  if (getPauseCondition(ctx.rollout.status ?? {}, 'InconclusiveAnalysisRun')) return current;
  if (needsNewRun(ctx, current)) return createRun(ctx, observed, taken, analysis, which === 'pre' ? 'PrePromotion' : 'PostPromotion', which);
  return current;
}

/**
 * reconcileAnalysisRuns for blue-green: returns the runs now waited on. Skipped (every run
 * terminated) when aborted, fully promoted, on the first deploy, or when going back to a
 * ReplicaSet within its scale-down delay or the rollback window.
 */
export function reconcileBlueGreenAnalysisRuns(ctx: ReconcileContext, observed: Observed, current: BlueGreenRuns, others: AnalysisRun[]): BlueGreenRuns {
  const status = ctx.rollout.status ?? {};
  const skip = ctx.pause.isAborted() || status.promoteFull || hasScaleDownDeadline(ctx.newRS) || !status.stableRS || rollbackWithinWindow(ctx);
  if (skip) {
    setCurrentRuns(ctx, current);
    cancel(ctx, [current.pre, current.post, ...others]);
    return current;
  }
  const taken = new Set((observed.analysisRuns ?? []).map((r) => r.metadata?.name ?? ''));
  const next: BlueGreenRuns = {};
  next.pre = reconcileGate(ctx, observed, taken, current.pre, 'pre');
  pauseOrAbort(ctx, next.pre);
  next.post = reconcileGate(ctx, observed, taken, current.post, 'post');
  pauseOrAbort(ctx, next.post);
  setCurrentRuns(ctx, next);

  const waitedOn = new Set([next.pre, next.post].filter((r): r is AnalysisRun => !!r).map(nameOf));
  const notWaitedOn = [...others, ...[current.pre, current.post].filter((r): r is AnalysisRun => !!r)].filter((r) => !waitedOn.has(nameOf(r)));
  retireRuns(ctx, notWaitedOn);

  emitStatusChange(ctx, status.blueGreen?.postPromotionAnalysisRunStatus, next.post, 'PostPromotion');
  emitStatusChange(ctx, status.blueGreen?.prePromotionAnalysisRunStatus, next.pre, 'PrePromotion');
  return next;
}
