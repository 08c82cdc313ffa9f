// The blue-green strategy (Argo rollout/bluegreen.go rolloutBlueGreen): the new ReplicaSet comes up
// behind the preview Service; once it is fully available, and its gates have passed (pre-promotion
// analysis, then a BlueGreenPause until promoted or autoPromotionSeconds), the active Service
// switches to it; it becomes stable once post-promotion analysis has passed. An abort points the
// active Service back at the stable ReplicaSet. The first deploy goes straight to active.
import type { Observed, RolloutStatus, Service } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { recordEvent, requeueAfter } from './reconcile-context.ts';
import * as C from './conditions.ts';
import { getPauseCondition } from './pause-context.ts';
import { computePodTemplateHash, podTemplateHashOf } from './pod-template-hash.ts';
import { isSaturated, replicaSetByHash, revisionOf } from './replica-sets.ts';
import { rsAvailable } from './replica-math.ts';
import { actualReplicas, availableReplicas, calculateBaseStatus, calculateRolloutConditions, persistStatus } from './status.ts';
import { serviceSelectorHash, switchServiceSelector } from './services.ts';
import { collisionStatus, createReplicaSet, syncReplicaSetRevision } from './new-replica-set.ts';
import { reconcileRestart } from './restart.ts';
import { reconcileEphemeralMetadata } from './reconcile-ephemeral-metadata.ts';
import { formatLabelSelector } from './labels.ts';
import { parseTime } from './time.ts';
import { hasScaleDownDeadline } from './scale-down-deadline.ts';
import { phaseOf, rollbackWithinWindow } from './analysis-runs.ts';
import { readyForPause, reconcileBlueGreenReplicaSets } from './blue-green-replica-sets.ts';
import { completedPrePromotionAnalysis, currentBlueGreenRuns, reconcileBlueGreenAnalysisRuns, type BlueGreenRuns } from './blue-green-analysis.ts';

type Services = Record<string, Service | undefined>;

function strategy(ctx: ReconcileContext) {
  const bg = ctx.rollout.spec.strategy?.blueGreen;
  if (!bg) throw new Error('blue-green reconcile of a Rollout without strategy.blueGreen');
  return bg;
}

const newHash = (ctx: ReconcileContext): string => (ctx.newRS ? podTemplateHashOf(ctx.newRS) : '');

/** haltProgress: spec.paused, or an Inconclusive analysis waiting for a human. */
function haltProgress(ctx: ReconcileContext): boolean {
  return ctx.rollout.spec.paused === true || !!getPauseCondition(ctx.rollout.status ?? {}, 'InconclusiveAnalysisRun');
}

/** CheckPodSpecChange: the template differs from the one the status describes. */
function podSpecChanged(ctx: ReconcileContext): boolean {
  const current = ctx.rollout.status?.currentPodHash;
  if (!current) return false;
  const hash = ctx.newRS ? podTemplateHashOf(ctx.newRS) : computePodTemplateHash(ctx.rollout.spec.template, ctx.rollout.status?.collisionCount);
  return current !== hash;
}

/**
 * isBlueGreenFastTracked: no gates to pass: going back to a ReplicaSet still within its scale-down
 * delay, a full promotion, an active Service not yet managed (first deploy), or already switched.
 */
function isFastTracked(ctx: ReconcileContext, services: Services): boolean {
  // A deadline on the new ReplicaSet marks a rollback to a version still up within its scale-down
  // delay. Right after a retry (abortedAt not cleared yet) it is the abort's own deadline, and the
  // cache may still show the aborted preview up and ready: the retried update must pause again.
  const rollbackWithinDelay = hasScaleDownDeadline(ctx.newRS) && !ctx.rollout.status?.abortedAt;
  if (rollbackWithinDelay || ctx.rollout.status?.promoteFull) return true;
  const active = serviceSelectorHash(services[strategy(ctx).activeService]);
  return !active || active === newHash(ctx);
}

/** needsBlueGreenControllerPause: the controller pauses before the switch (manual or timed promotion). */
function needsControllerPause(ctx: ReconcileContext): boolean {
  const bg = strategy(ctx);
  return bg.autoPromotionEnabled === false || (bg.autoPromotionSeconds ?? 0) > 0;
}

/** CompletedBlueGreenPause: promoted by hand, autoPromotionSeconds passed, or no pause needed. */
function completedBlueGreenPause(ctx: ReconcileContext): boolean {
  if (ctx.pause.hasAddPause()) return false; // paused in this very reconcile
  const s = ctx.rollout.status ?? {};
  if (s.blueGreen?.scaleUpPreviewCheckPoint || !needsControllerPause(ctx)) return true;
  const bg = strategy(ctx);
  const cond = getPauseCondition(s, 'BlueGreenPause');
  if (bg.autoPromotionEnabled !== false) {
    const seconds = bg.autoPromotionSeconds ?? 0;
    if (seconds === 0) return true;
    return !!cond && ctx.now.getTime() > (parseTime(cond.startTime) ?? 0) + seconds * 1000;
  }
  // Manual promotion: the controller paused and the pause condition has been cleared since.
  return s.controllerPause === true && !cond;
}

/** reconcilePreviewService: the preview Service follows the new ReplicaSet from its creation. */
function reconcilePreviewService(ctx: ReconcileContext, services: Services): void {
  const name = strategy(ctx).previewService;
  if (!name || haltProgress(ctx)) return;
  switchServiceSelector(ctx, services, name, newHash(ctx));
}

/** reconcileBlueGreenPause: pause with BlueGreenPause before the switch, and end it when due. */
function reconcileBlueGreenPause(ctx: ReconcileContext, services: Services, runs: BlueGreenRuns): void {
  const s = ctx.rollout.status ?? {};
  if (s.abort || !readyForPause(ctx) || haltProgress(ctx)) return;
  if (isFastTracked(ctx, services) || s.blueGreen?.scaleUpPreviewCheckPoint || !needsControllerPause(ctx)) {
    ctx.pause.removePause('BlueGreenPause');
    return;
  }
  if (!completedPrePromotionAnalysis(ctx, runs)) return; // the pause starts once the analysis passed
  const seconds = strategy(ctx).autoPromotionEnabled === false ? 0 : (strategy(ctx).autoPromotionSeconds ?? 0);
  const cond = getPauseCondition(s, 'BlueGreenPause');
  if (!cond) {
    // controllerPause without the condition: someone promoted; do not pause again.
    if (s.controllerPause) return;
    ctx.pause.addPause('BlueGreenPause');
    // The recorded startTime is truncated to the second; promotion is strictly after start + seconds.
    if (seconds > 0) requeueAfter(ctx, Math.floor(ctx.now.getTime() / 1000) * 1000 + seconds * 1000 - ctx.now.getTime() + 1);
    return;
  }
  if (completedBlueGreenPause(ctx)) {
    ctx.pause.removePause('BlueGreenPause');
    return;
  }
  const due = (parseTime(cond.startTime) ?? 0) + seconds * 1000;
  if (seconds > 0 && due >= ctx.now.getTime()) requeueAfter(ctx, due - ctx.now.getTime() + 1);
}

/**
 * reconcileActiveService: switch to the new ReplicaSet once it is saturated and its gates are
 * passed (or fast-tracked); after an abort, back to the stable one.
 */
function reconcileActiveService(ctx: ReconcileContext, services: Services, runs: BlueGreenRuns): void {
  if (haltProgress(ctx) || !readyForPause(ctx) || !isSaturated(ctx.rollout, ctx.newRS)) return;
  const name = strategy(ctx).activeService;
  let hash = serviceSelectorHash(services[name]);
  if (isFastTracked(ctx, services)) hash = newHash(ctx);
  if (completedBlueGreenPause(ctx) && completedPrePromotionAnalysis(ctx, runs)) hash = newHash(ctx);
  if (ctx.rollout.status?.abort) hash = ctx.rollout.status.stableRS ?? '';
  switchServiceSelector(ctx, services, name, hash);
}

/** shouldFullPromote for blue-green: why the ReplicaSet behind the active Service may become stable now. */
function shouldFullPromote(ctx: ReconcileContext, s: RolloutStatus, runs: BlueGreenRuns): string {
  if (!ctx.stableRS) return 'Initial deploy';
  const active = s.blueGreen?.activeSelector;
  // The first deploy only switches the active Service once a stable exists (Argo's chicken and egg).
  if (!active) return 'Initial deploy';
  if (active !== s.currentPodHash) return '';
  if (ctx.rollout.status?.promoteFull) return 'Full promotion requested';
  if (rollbackWithinWindow(ctx)) return 'Rollback within window';
  if (ctx.pause.isAborted()) return '';
  if (strategy(ctx).postPromotionAnalysis) {
    if (ctx.newRS && hasScaleDownDeadline(ctx.newRS)) return `Rollback to '${ctx.newRS.metadata.name}' within scaleDownDelay`;
    if (phaseOf(runs.post) !== 'Successful') return '';
  }
  return 'Completed blue-green update';
}

function promoteStable(ctx: ReconcileContext, s: RolloutStatus, reason: string): void {
  ctx.pause.clear();
  ctx.pause.removeAbort();
  delete s.promoteFull;
  if (s.blueGreen) delete s.blueGreen.scaleUpPreviewCheckPoint;
  if (s.stableRS !== s.currentPodHash) {
    s.stableRS = s.currentPodHash;
    recordEvent(ctx, 'Normal', C.RolloutCompletedReason, C.rolloutCompletedMessage(revisionOf(ctx.rollout), s.currentPodHash ?? '', reason));
  }
}

/**
 * calculateScaleUpPreviewCheckPoint: with previewReplicaCount, a one-way trip-wire set once the
 * preview has passed its analysis and pause at its preview size; it lets it grow to full size.
 */
function scaleUpPreviewCheckPoint(ctx: ReconcileContext, runs: BlueGreenRuns): boolean {
  const preview = strategy(ctx).previewReplicaCount;
  if (preview === undefined) return false;
  if (ctx.rollout.status?.blueGreen?.scaleUpPreviewCheckPoint) return true;
  if (!completedPrePromotionAnalysis(ctx, runs) || !completedBlueGreenPause(ctx)) return false;
  return rsAvailable(ctx.newRS) === preview;
}

/** syncRolloutStatusBlueGreen. */
function syncStatus(ctx: ReconcileContext, services: Services, runs: BlueGreenRuns): RolloutStatus {
  const prev = ctx.rollout.status ?? {};
  let s = calculateBaseStatus(ctx);
  if (prev.stableRS) s.stableRS = prev.stableRS;
  s.blueGreen = { ...(s.blueGreen ?? {}) };
  if (podSpecChanged(ctx)) {
    // resetRolloutStatus: a new update starts with no gates passed.
    ctx.pause.clear();
    ctx.pause.removeAbort();
    if (ctx.rollout.spec.restartAt) s.restartedAt = ctx.rollout.spec.restartAt;
    delete s.promoteFull;
    delete s.blueGreen.prePromotionAnalysisRunStatus;
    delete s.blueGreen.postPromotionAnalysisRunStatus;
    delete s.blueGreen.scaleUpPreviewCheckPoint;
  }
  if (prev.promoteFull || rollbackWithinWindow(ctx)) {
    ctx.pause.clear();
    ctx.pause.removeAbort();
  }
  const bg = strategy(ctx);
  s.blueGreen.previewSelector = bg.previewService ? serviceSelectorHash(services[bg.previewService]) : '';
  s.blueGreen.activeSelector = serviceSelectorHash(services[bg.activeService]);

  const reason = shouldFullPromote(ctx, s, runs);
  if (reason) promoteStable(ctx, s, reason);
  else s.blueGreen.scaleUpPreviewCheckPoint = scaleUpPreviewCheckPoint(ctx, runs);

  // Replica counts for the scale subresource (HPA) follow the ReplicaSet that takes traffic.
  const activeRS = replicaSetByHash(ctx.allRSs, s.blueGreen.activeSelector);
  if (activeRS) {
    s.HPAReplicas = activeRS.status?.replicas ?? 0;
    s.selector = formatLabelSelector(activeRS.spec.selector);
    s.availableReplicas = activeRS.status?.availableReplicas ?? 0;
    s.readyReplicas = activeRS.status?.readyReplicas ?? 0;
  } else {
    s.HPAReplicas = actualReplicas(ctx.allRSs);
    s.selector = formatLabelSelector(ctx.rollout.spec.selector);
    s.availableReplicas = availableReplicas(ctx.allRSs);
  }
  s = calculateRolloutConditions(ctx, s);
  return persistStatus(ctx, s);
}

/** rolloutBlueGreen: the reconcile of a valid blue-green Rollout, in Argo's order. */
export function rolloutBlueGreen(ctx: ReconcileContext, observed: Observed): RolloutStatus {
  const services: Services = { ...observed.services };
  if (ctx.newRS) syncReplicaSetRevision(ctx);
  else if (!createReplicaSet(ctx, observed)) return collisionStatus(ctx);
  // Right after the new ReplicaSet exists: the preview points at it before it has pods.
  reconcilePreviewService(ctx, services);
  const { current, others } = currentBlueGreenRuns(ctx, observed);
  if (podSpecChanged(ctx)) return syncStatus(ctx, services, current);

  reconcileRestart(ctx, observed.pods);
  reconcileBlueGreenReplicaSets(ctx, services, current.post);
  reconcileBlueGreenPause(ctx, services, current);
  reconcileActiveService(ctx, services, current);
  const runs = reconcileBlueGreenAnalysisRuns(ctx, observed, current, others);
  reconcileEphemeralMetadata(ctx, observed.pods);
  return syncStatus(ctx, services, runs);
}

/** syncReplicasOnly for blue-green: spec.replicas changed; resize, count on the active ReplicaSet. */
export function syncReplicasOnlyBlueGreen(ctx: ReconcileContext, observed: Observed): RolloutStatus {
  if (ctx.newRS) syncReplicaSetRevision(ctx);
  const { current } = currentBlueGreenRuns(ctx, observed);
  reconcileBlueGreenReplicaSets(ctx, { ...observed.services }, current.post);
  const s = JSON.parse(JSON.stringify(ctx.rollout.status ?? {})) as RolloutStatus;
  const activeRS = replicaSetByHash(ctx.allRSs, s.blueGreen?.activeSelector);
  s.HPAReplicas = activeRS ? (activeRS.status?.replicas ?? 0) : actualReplicas(ctx.allRSs);
  s.availableReplicas = activeRS ? (activeRS.status?.availableReplicas ?? 0) : availableReplicas(ctx.allRSs);
  return persistStatus(ctx, s);
}
