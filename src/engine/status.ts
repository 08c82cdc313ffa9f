// Building the new status: the base fields from the ReplicaSets (Argo rollout/sync.go
// calculateBaseStatus), the conditions (calculateRolloutConditions), and the final touches before
// it is written (persistRolloutStatus: pause state, observedGeneration, phase, state-change events).
import type { BlueGreenStatus, ReplicaSet, RolloutStatus } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { recordEvent } from './reconcile-context.ts';
import * as C from './conditions.ts';
import { computePodTemplateHash, podTemplateHashOf } from './pod-template-hash.ts';
import { currentStepIndex } from './replica-math.ts';
import { isSaturated, replicaSetByHash, revisionOf } from './replica-sets.ts';
import { calculateRolloutPhase } from './phase.ts';
import { parseTime } from './time.ts';

const sum = (rss: Array<ReplicaSet | undefined>, f: (rs: ReplicaSet) => number): number => rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
export const actualReplicas = (rss: Array<ReplicaSet | undefined>): number => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const availableReplicas = (rss: Array<ReplicaSet | undefined>): number => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);
export const readyReplicas = (rss: Array<ReplicaSet | undefined>): number => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);

export function currentPodHash(ctx: ReconcileContext): string {
  if (ctx.newRS) return podTemplateHashOf(ctx.newRS);
  return computePodTemplateHash(ctx.rollout.spec.template, ctx.rollout.status?.collisionCount);
}

/** calculateBaseStatus: replica counts and identity carried from the ReplicaSets. */
export function calculateBaseStatus(ctx: ReconcileContext): RolloutStatus {
  const prev = ctx.rollout.status ?? {};
  const s: RolloutStatus = JSON.parse(JSON.stringify(ctx.newStatus)) as RolloutStatus;
  s.currentPodHash = currentPodHash(ctx);
  s.replicas = actualReplicas(ctx.allRSs);
  s.updatedReplicas = actualReplicas([ctx.newRS]);
  s.readyReplicas = readyReplicas(ctx.allRSs);
  if (prev.collisionCount !== undefined) s.collisionCount = prev.collisionCount;
  const conditions = (prev.conditions ?? []).filter((c) => c.type !== 'InvalidSpec');
  if (conditions.length) s.conditions = JSON.parse(JSON.stringify(conditions)) as RolloutStatus['conditions'];
  if (prev.promoteFull && s.currentPodHash) s.promoteFull = true;
  return s;
}

function observedGenerationMatches(ctx: ReconcileContext): boolean {
  return ctx.rollout.status?.observedGeneration === String(ctx.rollout.metadata.generation ?? 0);
}

/**
 * conditions.RolloutHealthy: all replicas updated and available, and the strategy done: for a
 * canary all steps run and the new RS stable with old pods gone; for blue-green the active (and
 * preview) Service selecting the new RS.
 */
export function rolloutHealthy(ctx: ReconcileContext, s: RolloutStatus): boolean {
  const replicas = ctx.rollout.spec.replicas ?? 1;
  let completedStrategy = true;
  const blueGreen = ctx.rollout.spec.strategy?.blueGreen;
  if (blueGreen) {
    const activeDone = s.blueGreen?.activeSelector === s.currentPodHash;
    const previewDone = !blueGreen.previewService || s.blueGreen?.previewSelector === s.currentPodHash;
    completedStrategy = activeDone && previewDone;
  } else {
    const stepCount = ctx.rollout.spec.strategy?.canary?.steps?.length ?? 0;
    const executedAllSteps = stepCount > 0 && s.currentStepIndex !== undefined ? s.currentStepIndex === stepCount : true;
    const currentIsStable = !!s.stableRS && s.stableRS === s.currentPodHash;
    const oldScaledDown = (s.replicas ?? 0) === replicas;
    completedStrategy = executedAllSteps && currentIsStable && oldScaledDown;
  }
  return (s.updatedReplicas ?? 0) === replicas && (s.availableReplicas ?? 0) === replicas && observedGenerationMatches(ctx) && completedStrategy;
}

/** conditions.RolloutProgressing: something moved since the previous status. */
function rolloutProgressing(ctx: ReconcileContext, prev: RolloutStatus, s: RolloutStatus): boolean {
  let strategyProgress: boolean;
  if (ctx.rollout.spec.strategy?.blueGreen) {
    // Blue-green progress is a Service switching, not a stable or step change.
    strategyProgress = s.blueGreen?.activeSelector !== prev.blueGreen?.activeSelector || s.blueGreen?.previewSelector !== prev.blueGreen?.previewSelector;
  } else {
    const stableChanged = s.stableRS !== prev.stableRS;
    const stepChanged = s.currentStepIndex !== undefined && prev.currentStepIndex !== undefined && s.currentStepIndex !== prev.currentStepIndex;
    const stepsHashChanged = s.currentStepHash !== prev.currentStepHash;
    strategyProgress = stableChanged || stepChanged || stepsHashChanged;
  }
  const oldBefore = (prev.replicas ?? 0) - (prev.updatedReplicas ?? 0);
  const oldNow = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) !== (prev.updatedReplicas ?? 0) ||
    oldNow < oldBefore ||
    (s.readyReplicas ?? 0) > (prev.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (prev.availableReplicas ?? 0) ||
    strategyProgress
  );
}

export function progressDeadlineSeconds(ctx: ReconcileContext): number {
  return ctx.rollout.spec.progressDeadlineSeconds ?? 600;
}

/** conditions.RolloutTimedOut: the Progressing condition has not moved for progressDeadlineSeconds. */
function rolloutTimedOut(ctx: ReconcileContext, s: RolloutStatus): boolean {
  const cond = C.getCondition(s, 'Progressing');
  if (!cond || cond.reason === C.RolloutAbortedReason) return false;
  if (cond.reason === C.TimedOutReason) return true;
  const from = parseTime(cond.lastUpdateTime);
  if (from === undefined) return false;
  return from + progressDeadlineSeconds(ctx) * 1000 < ctx.now.getTime();
}

/** isIndefiniteStep: pause (and analysis/experiment) steps don't count against the deadline. */
export function isIndefiniteStep(ctx: ReconcileContext): boolean {
  const steps = ctx.rollout.spec.strategy?.canary?.steps ?? [];
  const i = currentStepIndex(ctx.rollout);
  const step = i === undefined ? undefined : steps[i];
  return !!step && (step.pause !== undefined || step.analysis !== undefined || step.experiment !== undefined);
}

export function rolloutRevision(ctx: ReconcileContext): number {
  return revisionOf(ctx.rollout);
}

/** calculateRolloutConditions: Healthy, Progressing (incl. abort and deadline), Available, Completed. */
export function calculateRolloutConditions(ctx: ReconcileContext, s: RolloutStatus): RolloutStatus {
  const prev = ctx.rollout.status ?? {};
  const now = ctx.nowStr;
  const isPaused = (prev.pauseConditions?.length ?? 0) > 0 || ctx.rollout.spec.paused === true;
  const isAborted = ctx.pause.isAborted();

  let becameUnhealthy = false;
  const healthyCond = C.getCondition(prev, 'Healthy');
  if (!isPaused && rolloutHealthy(ctx, s)) {
    C.setCondition(s, C.newCondition('Healthy', 'True', C.RolloutHealthyReason, C.RolloutHealthyMessage, now));
  } else if (healthyCond) {
    becameUnhealthy = C.setCondition(s, C.newCondition('Healthy', 'False', C.RolloutHealthyReason, C.RolloutNotHealthyMessage, now));
  }

  if (isAborted) {
    let message = C.rolloutAbortedMessage(rolloutRevision(ctx));
    if (ctx.pause.abortMessage) message = `${message}: ${ctx.pause.abortMessage}`;
    if (C.setCondition(s, C.newCondition('Progressing', 'False', C.RolloutAbortedReason, message, now))) {
      recordEvent(ctx, 'Warning', C.RolloutAbortedReason, message);
    }
  }

  const current = C.getCondition(prev, 'Progressing');
  // Argo's isHealthyRollout test can never hold (it requires type != Progressing on the Progressing
  // condition), so progress is always estimated unless aborted.
  if (!isAborted) {
    const rsName = ctx.newRS?.metadata.name;
    if (rolloutHealthy(ctx, s)) {
      C.setCondition(s, C.newCondition('Progressing', 'True', C.NewRSAvailableReason, C.replicaSetCompletedMessage(rsName ?? ''), now));
    } else if (rolloutProgressing(ctx, prev, s) || becameUnhealthy) {
      let reason = C.ReplicaSetUpdatedReason;
      let msg = rsName ? C.replicaSetProgressingMessage(rsName) : C.rolloutProgressingMessage(ctx.rollout.metadata.name);
      if (s.stableRS === s.currentPodHash && becameUnhealthy) {
        reason = C.ReplicaSetNotAvailableReason;
        msg = C.NotAvailableMessage;
      }
      const cond = C.newCondition('Progressing', 'True', reason, msg, now);
      if (current) {
        if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        C.removeCondition(s, 'Progressing');
      }
      C.setCondition(s, cond);
    } else if (!isIndefiniteStep(ctx) && rolloutTimedOut(ctx, s)) {
      const msg = rsName ? C.replicaSetTimeOutMessage(rsName) : C.rolloutTimeOutMessage(ctx.rollout.metadata.name);
      const changed = C.setCondition(s, C.newCondition('Progressing', 'False', C.TimedOutReason, msg, now));
      // progressDeadlineAbort: the first time out (or a later one, if the flag was set after it) aborts.
      if (ctx.rollout.spec.progressDeadlineAbort && (changed || !ctx.pause.isAborted())) {
        ctx.pause.addAbort(msg);
        recordEvent(ctx, 'Warning', C.RolloutAbortedReason, msg);
      }
    }
  }

  const replicas = ctx.rollout.spec.replicas ?? 1;
  // Blue-green is available when the ReplicaSet behind the active Service is saturated.
  const available = ctx.rollout.spec.strategy?.blueGreen
    ? isSaturated(ctx.rollout, replicaSetByHash(ctx.allRSs, s.blueGreen?.activeSelector))
    : availableReplicas(ctx.allRSs) >= replicas;
  if (available) C.setCondition(s, C.newCondition('Available', 'True', C.AvailableReason, C.AvailableMessage, now));
  else C.setCondition(s, C.newCondition('Available', 'False', C.AvailableReason, C.NotAvailableMessage, now));

  if (s.stableRS && s.stableRS === s.currentPodHash) {
    C.setCondition(s, C.newCondition('Completed', 'True', C.RolloutCompletedReason, C.RolloutCompletedReason, now));
  } else if (C.setCondition(s, C.newCondition('Completed', 'False', C.RolloutCompletedReason, C.RolloutCompletedReason, now))) {
    recordEvent(ctx, 'Normal', C.RolloutNotCompletedReason, C.rolloutNotCompletedMessage(rolloutRevision(ctx) + 1, s.currentPodHash ?? ''));
  }
  return s;
}

/** Go omitempty: drop zero values so the status reads exactly as Argo writes it. */
export function normalizeStatus(s: RolloutStatus): RolloutStatus {
  const out: RolloutStatus = {};
  for (const [k, v] of Object.entries(s) as Array<[keyof RolloutStatus, unknown]>) {
    if (v === undefined || v === null || v === false || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'number' && v === 0 && k !== 'currentStepIndex' && k !== 'collisionCount') continue;
    (out as Record<string, unknown>)[k] = v;
  }
  out.canary = s.canary ?? {};
  // status.blueGreen is always written, its fields are omitempty.
  const blueGreen: BlueGreenStatus = {};
  for (const [k, v] of Object.entries(s.blueGreen ?? {}) as Array<[keyof BlueGreenStatus, unknown]>) {
    if (v !== undefined && v !== null && v !== false && v !== '') (blueGreen as Record<string, unknown>)[k] = v;
  }
  out.blueGreen = blueGreen;
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** persistRolloutStatus: pause state, observedGeneration, phase; events on pause/resume transitions. */
export function persistStatus(ctx: ReconcileContext, s: RolloutStatus): RolloutStatus {
  const prev = ctx.rollout.status ?? {};
  ctx.pause.apply(s, ctx.nowStr);
  s.observedGeneration = String(ctx.rollout.metadata.generation ?? 0);
  const { phase, message } = calculateRolloutPhase(ctx.rollout.spec, s);
  s.phase = phase;
  s.message = message;
  const out = normalizeStatus(s);
  if (!sameJson(normalizeStatus(prev), out)) sendStateChangeEvents(ctx, prev, out);
  return out;
}

/** sendStateChangeEvents: RolloutPaused / RolloutResumed when pause conditions appear or go. */
function sendStateChangeEvents(ctx: ReconcileContext, prev: RolloutStatus, next: RolloutStatus): void {
  const prevPaused = (prev.pauseConditions?.length ?? 0) > 0;
  const currPaused = (next.pauseConditions?.length ?? 0) > 0;
  if (prevPaused === currPaused) return;
  const first = next.pauseConditions?.[0];
  if (currPaused && first) recordEvent(ctx, 'Normal', C.RolloutPausedReason, `${C.RolloutPausedMessage} (${first.reason})`);
  else if (!next.abortedAt) recordEvent(ctx, 'Normal', C.RolloutResumedReason, C.RolloutResumedMessage);
}
