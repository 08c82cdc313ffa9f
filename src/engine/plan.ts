// What a Rollout's update will do, for `sluice plan` and pull-request comments: each canary step,
// or each blue-green stage.
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

/** One stage of a blue-green update, in order, for `sluice plan`. */
export interface PlannedBlueGreenStage {
  index: number;
  kind: 'preview' | 'prePromotionAnalysis' | 'pause' | 'scaleUpPreview' | 'switch' | 'postPromotionAnalysis' | 'scaleDown';
  /** Pods of the new and of the previous ReplicaSet during the stage. */
  newReplicas: number;
  oldReplicas: number;
  /** Which ReplicaSet the active Service selects during the stage. */
  active: 'old' | 'new';
  /** pause: seconds until automatic promotion, or 'indefinite' (until promoted); scaleDown: the delay in seconds. */
  wait?: number | 'indefinite';
  analysisTemplates?: string[];
}

const templateNames = (analysis: { templates?: Array<{ templateName: string }> } | undefined): string[] =>
  (analysis?.templates ?? []).flatMap((t) => (typeof t?.templateName === 'string' ? [t.templateName] : []));

/**
 * What a blue-green update does: the preview comes up, its gates (pre-promotion analysis, a pause),
 * the switch of the active Service, post-promotion analysis, and the old version scaled down
 * after scaleDownDelaySeconds. The first deploy skips all of this.
 */
export function planBlueGreen(rollout: Rollout): PlannedBlueGreenStage[] {
  const bg = rollout.spec.strategy?.blueGreen;
  if (!bg) return [];
  const replicas = specReplicas(rollout);
  const preview = Math.min(bg.previewReplicaCount ?? replicas, replicas);
  const stages: Array<Omit<PlannedBlueGreenStage, 'index'>> = [{ kind: 'preview', newReplicas: preview, oldReplicas: replicas, active: 'old' }];
  if (bg.prePromotionAnalysis) stages.push({ kind: 'prePromotionAnalysis', newReplicas: preview, oldReplicas: replicas, active: 'old', analysisTemplates: templateNames(bg.prePromotionAnalysis) });
  if (bg.autoPromotionEnabled === false) stages.push({ kind: 'pause', newReplicas: preview, oldReplicas: replicas, active: 'old', wait: 'indefinite' });
  else if ((bg.autoPromotionSeconds ?? 0) > 0) stages.push({ kind: 'pause', newReplicas: preview, oldReplicas: replicas, active: 'old', wait: bg.autoPromotionSeconds ?? 0 });
  if (preview < replicas) stages.push({ kind: 'scaleUpPreview', newReplicas: replicas, oldReplicas: replicas, active: 'old' });
  stages.push({ kind: 'switch', newReplicas: replicas, oldReplicas: replicas, active: 'new' });
  if (bg.postPromotionAnalysis) stages.push({ kind: 'postPromotionAnalysis', newReplicas: replicas, oldReplicas: replicas, active: 'new', analysisTemplates: templateNames(bg.postPromotionAnalysis) });
  stages.push({ kind: 'scaleDown', newReplicas: replicas, oldReplicas: 0, active: 'new', wait: bg.scaleDownDelaySeconds ?? 30 });
  return stages.map((s, index) => ({ index, ...s }));
}
