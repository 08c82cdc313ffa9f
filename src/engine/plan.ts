// What a canary Rollout will do, step by step, for `sluice plan` and pull-request comments.
import type { Rollout } from './types.ts';
import { approximateCanaryStableCounts, maxSurge, specReplicas } from './replica-math.ts';
import { durationSeconds } from './time.ts';

export interface PlannedStep {
  index: number;
  kind: 'setWeight' | 'pause' | 'setCanaryScale' | 'analysis' | 'experiment' | 'other';
  /** The canary weight in force during this step. */
  canaryWeight: number;
  canaryReplicas: number;
  stableReplicas: number;
  /** For pause steps: seconds, or 'indefinite' (until promoted). */
  pause?: number | 'indefinite';
  /** For analysis steps: the template names that gate the step. */
  analysisTemplates?: string[];
}

export function planSteps(rollout: Rollout): PlannedStep[] {
  const steps = rollout.spec.strategy?.canary?.steps ?? [];
  const replicas = specReplicas(rollout);
  const surge = maxSurge(rollout);
  let weight = 0;
  return steps.map((step, index) => {
    if (step.setWeight !== undefined) weight = step.setWeight;
    const [canaryReplicas, stableReplicas] = approximateCanaryStableCounts(replicas, weight, surge);
    const kind: PlannedStep['kind'] =
      step.setWeight !== undefined ? 'setWeight'
      : step.pause !== undefined ? 'pause'
      : step.setCanaryScale !== undefined ? 'setCanaryScale'
      : step.analysis !== undefined ? 'analysis'
      : step.experiment !== undefined ? 'experiment'
      : 'other';
    const planned: PlannedStep = { index, kind, canaryWeight: weight, canaryReplicas, stableReplicas };
    if (step.pause !== undefined) planned.pause = step.pause.duration === undefined ? 'indefinite' : (durationSeconds(step.pause.duration) ?? 0);
    if (step.analysis !== undefined) {
      const templates = step.analysis.templates;
      planned.analysisTemplates = Array.isArray(templates)
        ? templates.flatMap((t) => (typeof t === 'object' && t !== null && !Array.isArray(t) && typeof t.templateName === 'string' ? [t.templateName] : []))
        : [];
    }
    return planned;
  });
}
