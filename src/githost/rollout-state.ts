// What a Rollout's state means on the pull request: which commands make sense now, whether it waits
// for a person (so an approving review promotes it), and the commit status it reports. Pure.
import type { Rollout } from '../engine/types.ts';
import type { RolloutSummary } from '../ports/rollout-commands.ts';
import type { CommitState } from './host-client.ts';
import type { CommandVerb } from './pr-commands.ts';

export interface AvailableCommand {
  verb: CommandVerb;
  full: boolean;
  /** What it does now, in a few words. */
  effect: string;
}

const updating = (rollout: Rollout) => {
  const s = rollout.status ?? {};
  return s.currentPodHash !== undefined && s.currentPodHash !== s.stableRS;
};

/** The commands that would change something now (the comment lists them; others are refused). */
export function availableCommands(rollout: Rollout, phase: string): AvailableCommand[] {
  const status = rollout.status ?? {};
  const blueGreen = rollout.spec.strategy?.blueGreen !== undefined;
  if (status.abort) return [{ verb: 'retry', full: false, effect: 'start the update again from the first step' }];
  if (phase === 'Healthy') return [];
  const paused = (status.pauseConditions?.length ?? 0) > 0 || rollout.spec.paused === true;
  const commands: AvailableCommand[] = [];
  if (paused) commands.push({ verb: 'promote', full: false, effect: blueGreen ? 'switch traffic to the new version' : 'go on to the next step' });
  else if (!blueGreen && updating(rollout)) commands.push({ verb: 'promote', full: false, effect: 'skip the current step' });
  if (updating(rollout)) {
    commands.push({ verb: 'promote', full: true, effect: blueGreen ? 'switch now, skipping the analyses' : 'skip every remaining step' });
    commands.push({ verb: 'abort', full: false, effect: 'put all traffic back on the stable version' });
  }
  return commands;
}

/**
 * Waits for a person: at a canary pause step without duration, or a blue-green pause without
 * automatic promotion. An approving review of the pull request promotes it.
 */
export function waitsForApproval(rollout: Rollout): boolean {
  const status = rollout.status ?? {};
  const reasons = (status.pauseConditions ?? []).map((p) => p.reason);
  if (status.abort) return false;
  if (reasons.includes('CanaryPauseStep')) {
    const step = rollout.spec.strategy?.canary?.steps?.[status.currentStepIndex ?? -1];
    return step?.pause !== undefined && step.pause.duration === undefined;
  }
  if (reasons.includes('BlueGreenPause')) return !((rollout.spec.strategy?.blueGreen?.autoPromotionSeconds ?? 0) > 0);
  return false;
}

/** The commit status `sluice/<namespace>/<rollout>`: pending while it moves or waits, success when Healthy, failure when Degraded. */
export function commitStatusOf(summary: RolloutSummary): { state: CommitState; description: string } {
  const step = summary.step ? `step ${Math.min(summary.step.index + 1, summary.step.count)}/${summary.step.count}` : undefined;
  switch (summary.phase) {
    case 'Healthy':
      return { state: 'success', description: 'Healthy: the update is complete' };
    case 'Degraded':
      return { state: 'failure', description: `Degraded${summary.message ? `: ${summary.message}` : ''}` };
    case 'Paused':
      return { state: 'pending', description: `Paused${step ? ` at ${step}` : ''}${summary.message ? `: ${summary.message}` : ''}` };
    default: {
      const weight = summary.setWeight !== undefined && summary.strategy === 'Canary' ? `, canary ${summary.setWeight}%` : '';
      return { state: 'pending', description: `Progressing${step ? ` at ${step}` : ''}${weight}` };
    }
  }
}
