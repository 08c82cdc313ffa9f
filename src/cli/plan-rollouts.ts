// What `sluice plan` shows for each Rollout found in the files: its step timeline (canary) or its
// stages (blue-green) from the engine.
import type { RenderedObject } from '../sync/manifest-types.ts';
import type { Rollout } from '../engine/types.ts';
import { planBlueGreen, planSteps, type PlannedBlueGreenStage, type PlannedStep } from '../engine/plan.ts';

export interface RolloutPlan {
  name: string;
  namespace?: string | undefined;
  /** `file:line` of the Rollout. */
  source: string;
  replicas: number;
  strategy: 'canary' | 'blueGreen' | 'none';
  steps: PlannedStep[];
  /** Blue-green: preview → gates → switch → scale-down, in order. */
  stages?: PlannedBlueGreenStage[];
  /** Blue-green: the Services the stages switch. */
  activeService?: string;
  previewService?: string;
}

export function planRollouts(objects: readonly RenderedObject[]): RolloutPlan[] {
  return objects
    .filter((o) => o.object.kind === 'Rollout' && o.object.apiVersion === 'argoproj.io/v1alpha1')
    .map((o) => {
      const rollout = o.object as unknown as Rollout;
      const strategy = rollout.spec?.strategy?.canary ? 'canary' : rollout.spec?.strategy?.blueGreen ? 'blueGreen' : 'none';
      const plan: RolloutPlan = {
        name: rollout.metadata.name,
        namespace: rollout.metadata.namespace,
        source: `${o.source.file}:${o.source.line}`,
        replicas: rollout.spec?.replicas ?? 1,
        strategy,
        steps: strategy === 'canary' ? planSteps(rollout) : [],
      };
      const bg = rollout.spec?.strategy?.blueGreen;
      if (strategy === 'blueGreen' && bg) {
        plan.stages = planBlueGreen(rollout);
        plan.activeService = bg.activeService;
        if (bg.previewService) plan.previewService = bg.previewService;
      }
      return plan;
    });
}
