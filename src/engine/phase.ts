// status.phase and status.message, computed exactly as Argo's CalculateRolloutPhase
// (utils/rollout/rolloututil.go).
import type { Rollout, RolloutPhase, RolloutStatus } from './types.ts';
import { RolloutAbortedReason, TimedOutReason } from './conditions.ts';
import { parseTime } from './time.ts';
import { phaseCompleted } from './analysis/decide-analysis-run.ts';

export function calculateRolloutPhase(spec: Rollout['spec'], status: RolloutStatus): { phase: RolloutPhase; message: string } {
  for (const cond of status.conditions ?? []) {
    if (cond.type === 'InvalidSpec') return { phase: 'Degraded', message: `InvalidSpec: ${cond.message}` };
    if (cond.reason === RolloutAbortedReason || cond.reason === TimedOutReason) return { phase: 'Degraded', message: `${cond.reason}: ${cond.message}` };
  }
  if (spec.paused) return { phase: 'Paused', message: 'manually paused' };
  const firstPause = status.pauseConditions?.[0];
  if (firstPause) return { phase: 'Paused', message: firstPause.reason };
  if (spec.restartAt && (!status.restartedAt || parseTime(spec.restartAt) !== parseTime(status.restartedAt))) {
    return { phase: 'Progressing', message: 'rollout is restarting' };
  }
  const replicas = spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < replicas) return { phase: 'Progressing', message: 'more replicas need to be updated' };
  if ((status.availableReplicas ?? 0) < updated) return { phase: 'Progressing', message: 'updated replicas are still becoming available' };
  const blueGreen = spec.strategy?.blueGreen;
  const canary = spec.strategy?.canary;
  if (blueGreen) {
    const bg = status.blueGreen ?? {};
    if (!bg.activeSelector || bg.activeSelector !== status.currentPodHash) return { phase: 'Progressing', message: 'active service cutover pending' };
    if (!status.stableRS || status.stableRS !== status.currentPodHash) {
      // Switched, not yet stable: post-promotion analysis still to pass (waitingForBlueGreenPostPromotionAnalysis).
      const post = bg.postPromotionAnalysisRunStatus;
      if (blueGreen.postPromotionAnalysis && (!post || !phaseCompleted(post.status))) return { phase: 'Progressing', message: 'waiting for analysis to complete' };
      return { phase: 'Progressing', message: 'waiting for post-promotion verification to complete' };
    }
  } else if (canary) {
    if (!canary.trafficRouting && (status.replicas ?? 0) > updated) return { phase: 'Progressing', message: 'old replicas are pending termination' };
    if (!status.stableRS || status.stableRS !== status.currentPodHash) return { phase: 'Progressing', message: 'waiting for all steps to complete' };
  }
  return { phase: 'Healthy', message: '' };
}
