// The canary strategy, as a checklist that stops at the first thing "not done yet" (Argo
// rollout/canary.go rolloutCanary): ReplicaSet for the current template → restarts → ephemeral
// metadata → history cleanup → Services → stable/new/old ReplicaSet scaling → pause step → status.
import type { CanaryStep, Observed, ReplicaSet, RolloutStatus } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { recordEvent, requeueAfter, scaleReplicaSet } from './reconcile-context.ts';
import * as C from './conditions.ts';
import { computePodTemplateHash, computeStepHash, podTemplateHashOf } from './pod-template-hash.ts';
import { replicaSetsToDelete, revisionOf } from './replica-sets.ts';
import { collisionStatus, createReplicaSet, syncReplicaSetRevision } from './new-replica-set.ts';
import { atDesiredReplicaCounts, canaryReplicaCounts, currentStepIndex, maxUnavailable, rsAvailable, rsReplicas, specReplicas, stableExistsAndDiffers } from './replica-math.ts';
import { availableReplicas, actualReplicas, calculateBaseStatus, calculateRolloutConditions, persistStatus } from './status.ts';
import { getPauseCondition } from './pause-context.ts';
import { reconcileStableAndCanaryService } from './services.ts';
import { reconcileRestart } from './restart.ts';
import { reconcileEphemeralMetadata } from './reconcile-ephemeral-metadata.ts';
import { durationSeconds, parseTime } from './time.ts';
import { formatLabelSelector } from './labels.ts';
import { currentStepRunPhase, reconcileCanaryAnalysisRuns } from './canary-analysis.ts';

function steps(ctx: ReconcileContext): CanaryStep[] {
  return ctx.rollout.spec.strategy?.canary?.steps ?? [];
}

function currentStep(ctx: ReconcileContext): { step: CanaryStep | undefined; index: number | undefined } {
  const index = currentStepIndex(ctx.rollout);
  return { step: index === undefined ? undefined : steps(ctx)[index], index };
}

/** CanaryStepString, for RolloutStepCompleted messages. */
export function canaryStepString(step: CanaryStep): string {
  if (step.setWeight !== undefined) return `setWeight: ${step.setWeight}`;
  if (step.pause !== undefined) {
    // IntOrString.String(): the duration as written (`10`, `10s`).
    return step.pause.duration === undefined ? 'pause' : `pause: ${step.pause.duration}`;
  }
  if (step.experiment !== undefined) return 'experiment';
  if (step.analysis !== undefined) return 'analysis';
  if (step.setCanaryScale !== undefined) {
    const s = step.setCanaryScale;
    if (s.weight !== undefined) return `setCanaryScale{weight: ${s.weight}}`;
    if (s.matchTrafficWeight) return 'setCanaryScale{matchTrafficWeight: true}';
    if (s.replicas !== undefined) return `setCanaryScale{replicas: ${s.replicas}}`;
  }
  return 'invalid';
}

/** PodTemplateOrStepsChanged: the template or the steps differ from what status records. */
function podTemplateOrStepsChanged(ctx: ReconcileContext): boolean {
  const s = ctx.rollout.status ?? {};
  if (s.currentStepHash && s.currentStepHash !== computeStepHash(steps(ctx))) return true;
  if (!s.currentPodHash) return false;
  const hash = ctx.newRS ? podTemplateHashOf(ctx.newRS) : computePodTemplateHash(ctx.rollout.spec.template, s.collisionCount);
  return s.currentPodHash !== hash;
}

/** scaleDownOldReplicaSetsForCanary: unhealthy pods first, then old ReplicaSets within maxUnavailable. */
function scaleDownOldReplicaSets(ctx: ReconcileContext, oldRSs: ReplicaSet[]): number {
  let total = 0;
  const byCreation = [...oldRSs].sort((a, b) => ((a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : 1));
  for (const rs of byCreation) {
    if (rsReplicas(rs) === 0 || rsReplicas(rs) === rsAvailable(rs)) continue;
    total += rsReplicas(rs) - rsAvailable(rs);
    scaleReplicaSet(ctx, rs, rsAvailable(rs));
  }
  const minAvailable = specReplicas(ctx.rollout) - maxUnavailable(ctx.rollout);
  let maxScaleDown = availableReplicas(ctx.allRSs) - minAvailable;
  if (maxScaleDown <= 0) return 0;
  const s = ctx.rollout.status ?? {};
  const referenced = new Set([s.stableRS, s.currentPodHash].filter((h): h is string => !!h));
  for (const rs of [...oldRSs].sort((a, b) => revisionOf(b) - revisionOf(a))) {
    if (referenced.has(podTemplateHashOf(rs))) continue;
    if (maxScaleDown <= 0) break;
    if (rsReplicas(rs) === 0) continue;
    // Basic canary: every old pod serves traffic, so old ReplicaSets go down as fast as allowed.
    const desired = rsReplicas(rs) > maxScaleDown ? rsReplicas(rs) - maxScaleDown : 0;
    if (rsReplicas(rs) === desired) continue;
    const delta = rsReplicas(rs) - desired;
    scaleReplicaSet(ctx, rs, desired);
    maxScaleDown -= delta;
    total += delta;
  }
  return total;
}

/** reconcileCanaryReplicaSets: stable, then new, then old ReplicaSets; true when something was scaled. */
export function reconcileCanaryReplicaSets(ctx: ReconcileContext): boolean {
  if (stableExistsAndDiffers(ctx.newRS, ctx.stableRS)) {
    const [, stableCount] = canaryReplicaCounts(ctx.rollout, ctx.newRS, ctx.stableRS, ctx.otherRSs);
    if (scaleReplicaSet(ctx, ctx.stableRS, stableCount)) return true;
  }
  if (ctx.newRS) {
    const [newCount] = canaryReplicaCounts(ctx.rollout, ctx.newRS, ctx.stableRS, ctx.otherRSs);
    if (scaleReplicaSet(ctx, ctx.newRS, newCount)) return true;
  }
  const active = ctx.otherRSs.filter((rs) => rsReplicas(rs) > 0);
  if (active.length === 0) return false;
  return scaleDownOldReplicaSets(ctx, active) > 0;
}

/** reconcileCanaryPause: at a pause step, pause once (controllerPause remembers it was done). */
function reconcileCanaryPause(ctx: ReconcileContext): void {
  const s = ctx.rollout.status ?? {};
  if (ctx.rollout.spec.paused || s.promoteFull) return;
  const { step } = currentStep(ctx);
  if (!step?.pause) return;
  const cond = getPauseCondition(s, 'CanaryPauseStep');
  const secs = durationSeconds(step.pause.duration);
  if (!cond) {
    if (!s.controllerPause) {
      ctx.pause.addPause('CanaryPauseStep');
      // The recorded startTime is truncated to the second; the pause expires just after startTime +
      // duration (strictly after, as Argo checks), so wake up 1 ms past that, not a second later.
      if (secs !== undefined) requeueAfter(ctx, Math.floor(ctx.now.getTime() / 1000) * 1000 + secs * 1000 - ctx.now.getTime() + 1);
    }
    return;
  }
  if (secs === undefined) return;
  const expires = (parseTime(cond.startTime) ?? 0) + secs * 1000;
  if (expires >= ctx.now.getTime()) requeueAfter(ctx, expires - ctx.now.getTime() + 1);
}

/** completedCurrentCanaryStep. */
function completedCurrentStep(ctx: ReconcileContext): boolean {
  if (ctx.rollout.spec.paused) return false;
  const { step } = currentStep(ctx);
  if (!step) return false;
  if (step.pause) {
    const s = ctx.rollout.status ?? {};
    const cond = getPauseCondition(s, 'CanaryPauseStep');
    if (s.controllerPause && !cond) return true; // promoted: the pause condition was cleared
    const secs = durationSeconds(step.pause.duration);
    if (secs !== undefined && cond) return ctx.now.getTime() > (parseTime(cond.startTime) ?? 0) + secs * 1000;
    return false;
  }
  if (step.setWeight !== undefined || step.setCanaryScale) return atDesiredReplicaCounts(ctx.rollout, ctx.newRS, ctx.stableRS, ctx.otherRSs);
  if (step.analysis) return currentStepRunPhase(ctx) === 'Successful';
  return false; // experiment: not executed by this engine (validation rejects it)
}

/** shouldFullPromote: why the new ReplicaSet may become stable now ("" = not yet). */
function shouldFullPromote(ctx: ReconcileContext): string {
  if (!ctx.stableRS) return 'Initial deploy';
  if (ctx.pause.isAborted()) return '';
  if (!ctx.newRS || rsAvailable(ctx.newRS) !== specReplicas(ctx.rollout)) return '';
  if (ctx.rollout.status?.promoteFull) return 'Full promotion requested';
  // rollbackWindow: a return to an older ReplicaSet within the window skips the steps.
  const window = ctx.rollout.spec.rollbackWindow?.revisions ?? 0;
  const newCreated = ctx.newRS.metadata.creationTimestamp ?? '';
  const stableCreated = ctx.stableRS.metadata.creationTimestamp ?? '';
  if (window > 0 && newCreated < stableCreated) {
    const between = ctx.allRSs.filter((rs) => (rs.metadata.creationTimestamp ?? '') < stableCreated && newCreated < (rs.metadata.creationTimestamp ?? '')).length;
    if (between < window) return 'Rollback within window';
  }
  const count = steps(ctx).length;
  const index = currentStepIndex(ctx.rollout);
  if (count === 0 || index === count) return `Completed all ${count} canary steps`;
  return '';
}

/** promoteStable: the new ReplicaSet becomes stable. */
function promoteStable(ctx: ReconcileContext, s: RolloutStatus, reason: string): void {
  ctx.pause.clear();
  ctx.pause.removeAbort();
  delete s.promoteFull;
  const count = steps(ctx).length;
  if (count > 0) s.currentStepIndex = count;
  else delete s.currentStepIndex;
  if (s.stableRS !== s.currentPodHash) {
    s.stableRS = s.currentPodHash;
    recordEvent(ctx, 'Normal', C.RolloutCompletedReason, C.rolloutCompletedMessage(revisionOf(ctx.rollout), s.currentPodHash ?? '', reason));
  }
}

/** syncRolloutStatusCanary. */
export function syncRolloutStatusCanary(ctx: ReconcileContext): RolloutStatus {
  let s = calculateBaseStatus(ctx);
  const prev = ctx.rollout.status ?? {};
  s.availableReplicas = availableReplicas(ctx.allRSs);
  s.HPAReplicas = actualReplicas(ctx.allRSs);
  s.selector = formatLabelSelector(ctx.rollout.spec.selector);
  let { step, index } = currentStep(ctx);
  if (prev.stableRS) s.stableRS = prev.stableRS;
  s.currentStepHash = computeStepHash(steps(ctx));
  const count = steps(ctx).length;

  if (podTemplateOrStepsChanged(ctx)) {
    // resetRolloutStatus: a new update starts from step 0.
    ctx.pause.clear();
    ctx.pause.removeAbort();
    if (ctx.rollout.spec.restartAt) s.restartedAt = ctx.rollout.spec.restartAt;
    delete s.promoteFull;
    if (count > 0) s.currentStepIndex = 0;
    if (ctx.newRS && prev.stableRS === podTemplateHashOf(ctx.newRS) && count > 0) {
      recordEvent(ctx, 'Normal', 'SkipSteps', 'Rollback to stable');
      s.currentStepIndex = count;
    }
    s = calculateRolloutConditions(ctx, s);
    return persistStatus(ctx, s);
  }

  if (prev.promoteFull) {
    ctx.pause.clear();
    ctx.pause.removeAbort();
    if (count > 0) index = count;
    step = undefined; // skipping all remaining steps
  }

  const reason = shouldFullPromote(ctx);
  if (reason) {
    promoteStable(ctx, s, reason);
    s = calculateRolloutConditions(ctx, s);
    return persistStatus(ctx, s);
  }

  if (ctx.pause.isAborted()) {
    if (count > 0) s.currentStepIndex = s.stableRS === s.currentPodHash ? count : 0;
    s = calculateRolloutConditions(ctx, s);
    return persistStatus(ctx, s);
  }

  if (step && index !== undefined && completedCurrentStep(ctx)) {
    index++;
    if (s.canary) delete s.canary.currentStepAnalysisRunStatus;
    recordEvent(ctx, 'Normal', C.RolloutStepCompletedReason, C.rolloutStepCompletedMessage(index, count, canaryStepString(step)));
    ctx.pause.removePause('CanaryPauseStep');
  }
  if (index !== undefined) s.currentStepIndex = index;
  s = calculateRolloutConditions(ctx, s);
  return persistStatus(ctx, s);
}

/** rolloutCanary: the reconcile of a valid canary Rollout (analysis before scaling, as Argo orders it). */
export function rolloutCanary(ctx: ReconcileContext, observed: Observed): RolloutStatus {
  if (podTemplateOrStepsChanged(ctx)) {
    // First reconcile after a template or steps change: only reset the status (the next one acts).
    syncReplicaSetRevision(ctx);
    return syncRolloutStatusCanary(ctx);
  }
  if (ctx.newRS) syncReplicaSetRevision(ctx);
  else if (!createReplicaSet(ctx, observed)) return collisionStatus(ctx);

  reconcileRestart(ctx, observed.pods);
  reconcileEphemeralMetadata(ctx, observed.pods);
  for (const rs of replicaSetsToDelete(ctx.rollout, ctx.otherRSs)) {
    ctx.actions.push({ kind: 'deleteReplicaSet', name: rs.metadata.name });
  }
  reconcileStableAndCanaryService(ctx, { ...observed.services });
  // An Inconclusive run pauses the Rollout before anything is scaled (Argo's order).
  if (reconcileCanaryAnalysisRuns(ctx, observed)) return syncRolloutStatusCanary(ctx);
  if (reconcileCanaryReplicaSets(ctx)) return syncRolloutStatusCanary(ctx);
  reconcileCanaryPause(ctx);
  return syncRolloutStatusCanary(ctx);
}

/** syncReplicasOnly: spec.replicas changed (a scaling event); scale, update counts, keep the step. */
export function syncReplicasOnly(ctx: ReconcileContext): RolloutStatus {
  if (ctx.newRS) syncReplicaSetRevision(ctx);
  reconcileCanaryReplicaSets(ctx);
  const s = JSON.parse(JSON.stringify(ctx.rollout.status ?? {})) as RolloutStatus;
  s.availableReplicas = availableReplicas(ctx.allRSs);
  s.HPAReplicas = actualReplicas(ctx.allRSs);
  return persistStatus(ctx, s);
}
