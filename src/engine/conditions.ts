// Rollout conditions: Argo's reason and message strings (utils/conditions/conditions.go) and its
// set/remove rules. A condition set again with the same status and reason is left untouched, so
// its timestamps only move on a real change.
import type { ConditionStatus, RolloutCondition, RolloutConditionType, RolloutStatus } from './types.ts';

export const InvalidSpecReason = 'InvalidSpec';
export const AvailableReason = 'AvailableReason';
export const AvailableMessage = 'Rollout has minimum availability';
export const NotAvailableMessage = 'Rollout does not have minimum availability';
export const ReplicaSetUpdatedReason = 'ReplicaSetUpdated';
export const ReplicaSetNotAvailableReason = 'ReplicaSetNotAvailable';
export const NewReplicaSetReason = 'NewReplicaSetCreated';
export const FoundNewRSReason = 'FoundNewReplicaSet';
export const NewRSAvailableReason = 'NewReplicaSetAvailable';
export const RolloutUpdatedReason = 'RolloutUpdated';
export const RolloutCompletedReason = 'RolloutCompleted';
export const RolloutNotCompletedReason = 'RolloutNotCompleted';
export const RolloutHealthyReason = 'RolloutHealthy';
export const RolloutHealthyMessage = 'Rollout is healthy';
export const RolloutNotHealthyMessage = 'Rollout is not healthy';
export const RolloutAbortedReason = 'RolloutAborted';
export const RolloutRetryReason = 'RolloutRetry';
export const RolloutRetryMessage = 'Retrying Rollout after abort';
export const RolloutPausedReason = 'RolloutPaused';
export const RolloutPausedMessage = 'Rollout is paused';
export const RolloutResumedReason = 'RolloutResumed';
export const RolloutResumedMessage = 'Rollout is resumed';
export const RolloutStepCompletedReason = 'RolloutStepCompleted';
export const TimedOutReason = 'ProgressDeadlineExceeded';
export const ScalingReplicaSetReason = 'ScalingReplicaSet';

export const newReplicaSetMessage = (rs: string): string => `Created new replica set "${rs}"`;
export const foundNewRSMessage = (rs: string): string => `Found new replica set "${rs}"`;
export const newReplicaSetDetailedMessage = (rs: string, revision: number): string => `Created ReplicaSet ${rs} (revision ${revision})`;
export const rolloutUpdatedMessage = (revision: string): string => `Rollout updated to revision ${revision}`;
export const rolloutCompletedMessage = (revision: number, hash: string, reason: string): string => `Rollout completed update to revision ${revision} (${hash}): ${reason}`;
export const rolloutNotCompletedMessage = (revision: number, hash: string): string => `Rollout not completed, started update to revision ${revision} (${hash})`;
export const rolloutAbortedMessage = (revision: number): string => `Rollout aborted update to revision ${revision}`;
export const rolloutStepCompletedMessage = (index: number, count: number, step: string): string => `Rollout step ${index}/${count} completed (${step})`;
export const replicaSetProgressingMessage = (rs: string): string => `ReplicaSet "${rs}" is progressing.`;
export const rolloutProgressingMessage = (ro: string): string => `Rollout "${ro}" is progressing.`;
export const replicaSetTimeOutMessage = (rs: string): string => `ReplicaSet "${rs}" has timed out progressing.`;
export const rolloutTimeOutMessage = (ro: string): string => `Rollout "${ro}" has timed out progressing.`;
export const replicaSetCompletedMessage = (rs: string): string => `ReplicaSet "${rs}" has successfully progressed.`;
export const scalingReplicaSetMessage = (op: 'up' | 'down', rs: string, revision: number, from: number, to: number): string =>
  `Scaled ${op} ReplicaSet ${rs} (revision ${revision}) from ${from} to ${to}`;

export function newCondition(type: RolloutConditionType, status: ConditionStatus, reason: string, message: string, now: string): RolloutCondition {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

export function getCondition(status: RolloutStatus, type: RolloutConditionType): RolloutCondition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** SetRolloutCondition: returns true when the condition changed (same status and reason = no change). */
export function setCondition(status: RolloutStatus, cond: RolloutCondition): boolean {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return false;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
  return true;
}

export function removeCondition(status: RolloutStatus, type: RolloutConditionType): void {
  const left = (status.conditions ?? []).filter((c) => c.type !== type);
  if (left.length) status.conditions = left;
  else delete status.conditions;
}
