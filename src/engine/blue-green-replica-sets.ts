// Blue-green ReplicaSet sizes (Argo rollout/bluegreen.go reconcileBlueGreenReplicaSets and
// scaleDownOldReplicaSetsForBlueGreen, rollout/replicaset.go reconcileNewReplicaSet and
// scaleDownDelayHelper, utils/replicaset NewRSNewReplicas and ReadyForPause): the active ReplicaSet
// at full size, the new one at its preview size until promotion, old ones kept for
// scaleDownDelaySeconds after they stop being active, an aborted preview kept for
// abortScaleDownDelaySeconds.
import type { ReplicaSet, Service } from './types.ts';
import type { AnalysisRun } from './analysis/types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { requeueAfter, scaleReplicaSet } from './reconcile-context.ts';
import { getPauseCondition } from './pause-context.ts';
import { podTemplateHashOf } from './pod-template-hash.ts';
import { rsAvailable, rsReplicas, specReplicas } from './replica-math.ts';
import { isSaturated, replicaSetByHash, replicaSetsToDelete, revisionOf } from './replica-sets.ts';
import { serviceSelectorHash } from './services.ts';
import { abortScaleDownDelaySeconds, addScaleDownDelay, hasScaleDownDeadline, msBeforeScaleDownDeadline, removeScaleDownDelay, scaleDownDelaySeconds, shouldDelayScaleDownOnAbort } from './scale-down-deadline.ts';
import { phaseOf } from './analysis-runs.ts';

/**
 * NewRSNewReplicas for blue-green: spec.replicas, or previewReplicaCount while the new ReplicaSet is
 * a preview that has not yet passed its gates (scaleUpPreviewCheckPoint) or is paused.
 */
export function blueGreenNewRSReplicas(ctx: ReconcileContext): number {
  const rollout = ctx.rollout;
  const replicas = specReplicas(rollout);
  const preview = rollout.spec.strategy?.blueGreen?.previewReplicaCount;
  const newRS = ctx.newRS;
  if (preview === undefined || !newRS) return replicas;
  const s = rollout.status ?? {};
  const activeRS = replicaSetByHash(ctx.allRSs, s.blueGreen?.activeSelector);
  if (!activeRS || activeRS.metadata.name === newRS.metadata.name) return replicas;
  if (podTemplateHashOf(newRS) !== s.currentPodHash) return preview;
  // DEVIATION: promote --full skips the gates, so the preview goes to full size straight away;
  // Argo waits for a checkpoint that a full promotion never sets, and the switch never happens.
  if (s.promoteFull) return replicas;
  const notPaused = !rollout.spec.paused && (s.pauseConditions?.length ?? 0) === 0;
  return notPaused && s.blueGreen?.scaleUpPreviewCheckPoint ? replicas : preview;
}

/** ReadyForPause: the new ReplicaSet runs, fully available, the pods it should have now. */
export function readyForPause(ctx: ReconcileContext): boolean {
  if (!ctx.newRS) return false;
  const want = blueGreenNewRSReplicas(ctx);
  return rsReplicas(ctx.newRS) === want && rsAvailable(ctx.newRS) === want;
}

/** skipPostPromotionAnalysisRun: post-promotion analysis has nothing to run against yet (or any more). */
export function skipPostPromotionAnalysis(ctx: ReconcileContext): boolean {
  const hash = ctx.newRS ? podTemplateHashOf(ctx.newRS) : '';
  const s = ctx.rollout.status ?? {};
  return s.stableRS === hash || s.blueGreen?.activeSelector !== hash || !hash || !isSaturated(ctx.rollout, ctx.newRS);
}

/**
 * removeScaleDownDeadlines: the new and stable ReplicaSets must not carry a deadline (we may have
 * moved back to one that was waiting to be scaled down), except an aborted preview's own.
 */
function removeScaleDownDeadlines(ctx: ReconcileContext): void {
  const targets = new Set<ReplicaSet>();
  if (ctx.newRS && !shouldDelayScaleDownOnAbort(ctx)) targets.add(ctx.newRS);
  if (ctx.stableRS) targets.add(ctx.stableRS);
  for (const rs of targets) removeScaleDownDelay(ctx, rs);
}

/** reconcileNewReplicaSet: the preview/new size; after an abort, kept up until its deadline. */
function reconcileNewReplicaSet(ctx: ReconcileContext): void {
  const newRS = ctx.newRS;
  if (!newRS) return;
  let count = blueGreenNewRSReplicas(ctx);
  const delayOnAbort = shouldDelayScaleDownOnAbort(ctx);
  if (delayOnAbort) {
    const remaining = msBeforeScaleDownDeadline(newRS, ctx.now);
    if (hasScaleDownDeadline(newRS) && remaining !== undefined) {
      if (remaining > 0) {
        requeueAfter(ctx, remaining);
        return;
      }
      count = 0;
    } else if (!hasScaleDownDeadline(newRS)) {
      const seconds = abortScaleDownDelaySeconds(ctx.rollout).seconds ?? 0;
      // Start the clock only once the stable ReplicaSet is back at full strength.
      if (ctx.stableRS && rsAvailable(ctx.stableRS) === specReplicas(ctx.rollout)) {
        addScaleDownDelay(ctx, newRS, seconds);
        requeueAfter(ctx, seconds * 1000);
      }
      return;
    }
  }
  scaleReplicaSet(ctx, newRS, count, { keepScaleDownDeadline: delayOnAbort });
}

/**
 * isReplicaSetReferenced: the status or a live Service still names the ReplicaSet, so it must not
 * be scaled down or deleted (e.g. the update was interrupted to go back to it).
 */
function isReferenced(ctx: ReconcileContext, rs: ReplicaSet, services: Record<string, Service | undefined>): boolean {
  const hash = podTemplateHashOf(rs);
  if (!hash) return false;
  const s = ctx.rollout.status ?? {};
  if ([s.stableRS, s.currentPodHash, s.blueGreen?.activeSelector, s.blueGreen?.previewSelector].includes(hash)) return true;
  const bg = ctx.rollout.spec.strategy?.blueGreen;
  return [bg?.activeService, bg?.previewService].some((name) => !!name && serviceSelectorHash(services[name]) === hash);
}

/**
 * scaleDownDelayHelper: an old ReplicaSet first gets a deadline (if fewer than
 * scaleDownDelayRevisionLimit are waiting already) and keeps its pods until then; past the deadline
 * or the limit it goes to 0. Returns the size it should have and the count of waiting ReplicaSets.
 */
function scaleDownDelayHelper(ctx: ReconcileContext, rs: ReplicaSet, annotated: number): { annotated: number; desired: number } {
  const limit = ctx.rollout.spec.strategy?.blueGreen?.scaleDownDelayRevisionLimit ?? Number.POSITIVE_INFINITY;
  if (!hasScaleDownDeadline(rs)) {
    const seconds = scaleDownDelaySeconds(ctx.rollout);
    // DEVIATION: a delay of 0 scales down at once; Argo then never scales the ReplicaSet down
    // (argo-rollouts#1992).
    if (annotated >= limit || seconds === 0) return { annotated, desired: 0 };
    addScaleDownDelay(ctx, rs, seconds);
    requeueAfter(ctx, seconds * 1000);
    return { annotated: annotated + 1, desired: rsReplicas(rs) };
  }
  annotated++;
  if (annotated > limit) return { annotated, desired: 0 };
  const remaining = msBeforeScaleDownDeadline(rs, ctx.now);
  if (remaining === undefined || remaining === 0) return { annotated, desired: 0 };
  requeueAfter(ctx, remaining);
  // DEVIATION: Argo sets spec.replicas here, which scales a superseded preview that ran at
  // previewReplicaCount up to full size for its last seconds; it keeps its size instead.
  return { annotated, desired: rsReplicas(rs) };
}

/** scaleDownOldReplicaSetsForBlueGreen: newest first; nothing while an analysis still decides. */
function scaleDownOldReplicaSets(ctx: ReconcileContext, oldRSs: ReplicaSet[], services: Record<string, Service | undefined>, postRun: AnalysisRun | undefined): void {
  const s = ctx.rollout.status ?? {};
  if (getPauseCondition(s, 'InconclusiveAnalysisRun')) return;
  const bg = ctx.rollout.spec.strategy?.blueGreen;
  // Without an explicit scaleDownDelaySeconds the old version stays until post-promotion
  // analysis has passed: it is where traffic goes back to if the analysis fails.
  if (bg?.postPromotionAnalysis && bg.scaleDownDelaySeconds === undefined && !skipPostPromotionAnalysis(ctx) && phaseOf(postRun) !== 'Successful') return;
  const byRevision = [...oldRSs].sort((a, b) => revisionOf(b) - revisionOf(a) || ((b.metadata.creationTimestamp ?? '') < (a.metadata.creationTimestamp ?? '') ? -1 : 1));
  let annotated = 0;
  for (const rs of byRevision) {
    if (isReferenced(ctx, rs, services) || rsReplicas(rs) === 0) continue;
    const next = scaleDownDelayHelper(ctx, rs, annotated);
    annotated = next.annotated;
    if (rsReplicas(rs) !== next.desired) scaleReplicaSet(ctx, rs, next.desired, { keepScaleDownDeadline: shouldDelayScaleDownOnAbort(ctx) });
  }
}

/**
 * reconcileBlueGreenReplicaSets: deadlines off the new/stable ReplicaSets, the active one at full
 * size, the new one at its size, old ones down in their time, history beyond the limit deleted.
 */
export function reconcileBlueGreenReplicaSets(ctx: ReconcileContext, services: Record<string, Service | undefined>, postRun: AnalysisRun | undefined): void {
  removeScaleDownDeadlines(ctx);
  const activeName = ctx.rollout.spec.strategy?.blueGreen?.activeService ?? '';
  const activeRS = replicaSetByHash(ctx.allRSs, serviceSelectorHash(services[activeName]));
  if (activeRS) scaleReplicaSet(ctx, activeRS, specReplicas(ctx.rollout));
  reconcileNewReplicaSet(ctx);
  scaleDownOldReplicaSets(ctx, ctx.otherRSs.filter((rs) => rsReplicas(rs) > 0), services, postRun);
  for (const rs of replicaSetsToDelete(ctx.rollout, ctx.otherRSs)) ctx.actions.push({ kind: 'deleteReplicaSet', name: rs.metadata.name });
}
