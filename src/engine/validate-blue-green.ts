// Spec validation for strategy.blueGreen (Argo pkg/apis/rollouts/validation/validation.go
// ValidateRolloutStrategyBlueGreen, and the Services of ValidateRolloutReferencedResources).
//
// DEVIATIONS: field paths name `spec.strategy.blueGreen.…` (Argo drops `blueGreen`); a missing
// activeService is reported as such (Argo's CRD requires it); negative counts and delays are
// rejected.
import type { Observed, Rollout } from './types.ts';
import { parsePercent } from './replica-math.ts';
import { DEFAULT_REVISION_HISTORY_LIMIT } from './replica-sets.ts';
import { invalid, required, type FieldError } from './field-error.ts';
import { validateAntiAffinity } from './anti-affinity.ts';

const PATH = 'spec.strategy.blueGreen';
export const DuplicatedServicesBlueGreenMessage = 'This rollout uses the same service for the active and preview services, but two different services are required.';
export const ScaleDownLimitLargerThanRevisionLimit = "This rollout's revision history limit can not be smaller than the rollout's scale down limit";

const isIntOrPercent = (v: unknown): boolean => (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && parsePercent(v) !== undefined);

/** The spec rules, then (when those pass) the Services the strategy names must exist. */
export function validateBlueGreen(rollout: Rollout, observed: Observed): FieldError[] {
  const bg = rollout.spec.strategy?.blueGreen;
  if (!bg) return [];
  const out: FieldError[] = [];
  if (!bg.activeService) out.push(required(`${PATH}.activeService`, `Rollout has missing field '.${PATH}.activeService'`));
  else if (bg.activeService === bg.previewService) out.push(invalid(`${PATH}.activeService`, bg.activeService, DuplicatedServicesBlueGreenMessage));
  const historyLimit = rollout.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  if (bg.scaleDownDelayRevisionLimit !== undefined && historyLimit < bg.scaleDownDelayRevisionLimit) {
    out.push(invalid(`${PATH}.scaleDownDelayRevisionLimit`, bg.scaleDownDelayRevisionLimit, ScaleDownLimitLargerThanRevisionLimit));
  }
  out.push(...validateAntiAffinity(bg.antiAffinity, `${PATH}.antiAffinity`));
  for (const key of ['previewReplicaCount', 'autoPromotionSeconds', 'scaleDownDelaySeconds', 'scaleDownDelayRevisionLimit', 'abortScaleDownDelaySeconds'] as const) {
    const v = bg[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) out.push(invalid(`${PATH}.${key}`, v, 'must be greater than or equal to 0'));
  }
  if (bg.maxUnavailable !== undefined && !isIntOrPercent(bg.maxUnavailable)) out.push(invalid(`${PATH}.maxUnavailable`, bg.maxUnavailable, 'must be a non-negative integer or a percentage'));
  if (out.length > 0) return out;
  for (const key of ['activeService', 'previewService'] as const) {
    const name = bg[key];
    if (name && observed.services[name] === undefined) out.push(invalid(`${PATH}.${key}`, name, `services "${name}" not found`));
  }
  return out;
}
