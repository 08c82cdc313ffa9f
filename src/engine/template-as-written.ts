// What the controller injects into a ReplicaSet's pod template (ephemeral metadata, the
// anti-affinity term), taken out again: the template as the Rollout wrote it. Used to recognise
// the Rollout's current ReplicaSet by template equality (Argo ReplicaSetTemplateMatchesRollout)
// and by undo, which puts an older ReplicaSet's template back into the Rollout.
import type { JsonObject, PodTemplateSpec, ReplicaSet, Rollout } from './types.ts';
import { removeInjectedAntiAffinityRule } from './anti-affinity.ts';
import { withoutEphemeralMetadata } from './ephemeral-metadata.ts';

/**
 * A live ReplicaSet's pod template without what the controller injected into it (ephemeral
 * metadata, the anti-affinity term): what the Rollout's template must equal for it to be the new one.
 */
export function templateAsWritten(rollout: Rollout, rs: ReplicaSet): PodTemplateSpec | undefined {
  const copy = withoutEphemeralMetadata(rs);
  const template = copy.spec.template;
  if (!template?.spec) return template;
  const affinity = removeInjectedAntiAffinityRule(template.spec.affinity as JsonObject | undefined, rollout);
  if (affinity) template.spec.affinity = affinity;
  else delete template.spec.affinity;
  return template;
}
