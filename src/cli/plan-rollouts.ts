// What `sluice plan` shows for each Rollout found in the files: its step timeline from the engine.
import type { RenderedObject } from '../sync/manifest-types.ts';
import type { Rollout } from '../engine/types.ts';
import { planSteps, type PlannedStep } from '../engine/plan.ts';

export interface RolloutPlan {
  name: string;
  namespace?: string | undefined;
  /** `file:line` of the Rollout. */
  source: string;
  replicas: number;
  strategy: 'canary' | 'blueGreen' | 'none';
  steps: PlannedStep[];
}

export function planRollouts(objects: readonly RenderedObject[]): RolloutPlan[] {
  return objects
    .filter((o) => o.object.kind === 'Rollout' && o.object.apiVersion === 'argoproj.io/v1alpha1')
    .map((o) => {
      const rollout = o.object as unknown as Rollout;
      const strategy = rollout.spec?.strategy?.canary ? 'canary' : rollout.spec?.strategy?.blueGreen ? 'blueGreen' : 'none';
      return {
        name: rollout.metadata.name,
        namespace: rollout.metadata.namespace,
        source: `${o.source.file}:${o.source.line}`,
        replicas: rollout.spec?.replicas ?? 1,
        strategy,
        steps: strategy === 'canary' ? planSteps(rollout) : [],
      };
    });
}
