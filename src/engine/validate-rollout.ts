// Spec validation (Argo pkg/apis/rollouts/validation/validation.go ValidateRolloutSpec and
// ValidateRolloutReferencedResources). The first error becomes the InvalidSpec condition message,
// `The Rollout "<name>" is invalid: <field>: <kind>: <detail>`, in k8s field.Error format.
//
// DEVIATIONS: field paths name `spec.strategy.canary.…` (Argo drops `canary` from the path);
// what this engine cannot run yet (experiment, setHeaderRoute, setMirrorRoute and
// plugin steps, trafficRouting, workloadRef) is reported as
// "Unsupported value" instead of being half-executed.
import type { CanaryStep, Observed, Rollout } from './types.ts';
import { parsePercent, scaledValue, specReplicas } from './replica-math.ts';
import { durationSeconds } from './time.ts';
import { selectorMatches } from './labels.ts';
import { invalid, required, unsupported, type FieldError } from './field-error.ts';
import { validateReferencedAnalyses } from './analysis/validate-rollout-analysis.ts';
import { validateBlueGreen } from './validate-blue-green.ts';
import { validateAntiAffinity } from './anti-affinity.ts';

export type { FieldError } from './field-error.ts';

const STEP_TYPES = ['setWeight', 'pause', 'setCanaryScale', 'analysis', 'experiment', 'setHeaderRoute', 'setMirrorRoute', 'plugin'] as const;
const NOT_YET_SUPPORTED = new Set(['experiment', 'setHeaderRoute', 'setMirrorRoute', 'plugin']);
const InvalidStepMessage = 'Step must have one of the following set: experiment, setWeight, setCanaryScale or pause';

function isIntOrPercent(v: unknown): boolean {
  return (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && parsePercent(v) !== undefined);
}

function validateStep(rollout: Rollout, step: CanaryStep, path: string, out: FieldError[]): void {
  const keys = Object.keys(step).filter((k) => (step as Record<string, unknown>)[k] !== undefined && (step as Record<string, unknown>)[k] !== null);
  const known = keys.filter((k) => (STEP_TYPES as readonly string[]).includes(k));
  const unknown = keys.filter((k) => !(STEP_TYPES as readonly string[]).includes(k));
  if (unknown.length > 0 || known.length !== 1) {
    out.push(invalid(path, step, InvalidStepMessage));
    return;
  }
  const kind = known[0] ?? '';
  if (NOT_YET_SUPPORTED.has(kind)) {
    out.push(unsupported(`${path}.${kind}`, `${kind} steps are not supported by Sluice yet`));
    return;
  }
  if (step.setWeight !== undefined) {
    const w = step.setWeight;
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 100) out.push(invalid(`${path}.setWeight`, w, 'SetWeight needs to be between 0 and 100'));
  }
  if (step.pause !== undefined) {
    const d = step.pause?.duration;
    if (d !== undefined) {
      const secs = durationSeconds(d);
      if (secs === undefined || secs < 0) out.push(invalid(`${path}.pause.duration`, d, 'Duration needs to be greater than 0'));
    }
  }
  if (step.setCanaryScale !== undefined && !rollout.spec.strategy?.canary?.trafficRouting) {
    out.push(required('spec.strategy.canary.trafficRouting', 'SetCanaryScale requires TrafficRouting to be set'));
  }
}

/** All field errors of the Rollout, in Argo's order; empty when it is valid. */
export function validateRollout(rollout: Rollout, observed: Observed): FieldError[] {
  const out: FieldError[] = [];
  const spec = rollout.spec;
  const replicas = specReplicas(rollout);
  if (!Number.isInteger(replicas) || replicas < 0) out.push(invalid('spec.replicas', replicas, 'must be greater than or equal to 0'));

  if (!spec.selector) out.push(required('spec.selector', "Rollout has missing field '.spec.selector'"));
  else if (Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions ?? []).length === 0) {
    out.push(invalid('spec.selector', spec.selector, 'empty selector is invalid for deployment'));
  }
  if (spec.workloadRef) out.push(unsupported('spec.workloadRef', 'workloadRef is not supported by Sluice yet'));
  else {
    const containers = spec.template?.spec?.containers;
    if (!spec.template) out.push(required('spec.template', "Rollout has missing field '.spec.template'"));
    else if (!Array.isArray(containers) || containers.length === 0) out.push(required('spec.template.spec.containers', 'must have at least one container'));
    if (spec.selector && spec.template && !selectorMatches(spec.selector, spec.template.metadata?.labels ?? {})) {
      out.push(invalid('spec.template.metadata.labels', spec.template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
    }
  }
  if ((spec.minReadySeconds ?? 0) < 0) out.push(invalid('spec.minReadySeconds', spec.minReadySeconds, 'must be greater than or equal to 0'));
  if ((spec.revisionHistoryLimit ?? 10) < 0) out.push(invalid('spec.revisionHistoryLimit', spec.revisionHistoryLimit, 'must be greater than or equal to 0'));
  const deadline = spec.progressDeadlineSeconds ?? 600;
  if (deadline < 0) out.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than or equal to 0'));
  if (deadline <= (spec.minReadySeconds ?? 0)) out.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  if (spec.restartAt !== undefined && Number.isNaN(Date.parse(spec.restartAt))) out.push(invalid('spec.restartAt', spec.restartAt, 'must be an RFC 3339 time'));

  const strategy = spec.strategy ?? {};
  if (!strategy.canary && !strategy.blueGreen) {
    out.push(required('spec.strategy', "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'"));
    return out;
  }
  if (strategy.canary && strategy.blueGreen) {
    out.push(invalid('spec.strategy', 'blueGreen: true canary: true', 'Multiple Strategies can not be listed'));
    return out;
  }
  const canary = strategy.canary;
  if (!canary) {
    out.push(...validateBlueGreen(rollout, observed));
    if (out.length === 0) out.push(...validateReferencedAnalyses(rollout, observed));
    return out;
  }

  for (const key of ['maxSurge', 'maxUnavailable'] as const) {
    const v = canary[key];
    if (v !== undefined && !isIntOrPercent(v)) out.push(invalid(`spec.strategy.canary.${key}`, v, 'must be a non-negative integer or a percentage'));
  }
  const surge = scaledValue(canary.maxSurge ?? '25%', 100, true);
  const unavailable = scaledValue(canary.maxUnavailable ?? '25%', 100, false);
  if (isIntOrPercent(canary.maxSurge ?? '25%') && isIntOrPercent(canary.maxUnavailable ?? '25%') && surge === 0 && unavailable === 0) {
    out.push(invalid('spec.strategy.canary.maxSurge', canary.maxSurge ?? '25%', 'MaxSurge and MaxUnavailable both can not be zero'));
  }
  if (canary.canaryService && canary.stableService && canary.canaryService === canary.stableService) {
    out.push(invalid('spec.strategy.canary.stableService', canary.stableService, 'This rollout uses the same service for the stable and canary services, but two different services are required.'));
  }
  if (canary.trafficRouting) out.push(unsupported('spec.strategy.canary.trafficRouting', 'trafficRouting is not supported by Sluice yet'));
  if (!canary.trafficRouting) {
    if (canary.scaleDownDelaySeconds !== undefined) out.push(invalid('spec.strategy.canary.scaleDownDelaySeconds', canary.scaleDownDelaySeconds, 'Canary scaleDownDelaySeconds can only be used with traffic routing'));
    if (canary.dynamicStableScale) out.push(invalid('spec.strategy.canary.dynamicStableScale', true, 'Canary dynamicStableScale can only be used with traffic routing'));
  } else if (canary.scaleDownDelaySeconds !== undefined && canary.dynamicStableScale) {
    out.push(invalid('spec.strategy.canary.dynamicStableScale', true, 'Canary dynamicStableScale cannot be used with scaleDownDelaySeconds'));
  }
  (canary.steps ?? []).forEach((step, i) => validateStep(rollout, step ?? {}, `spec.strategy.canary.steps[${i}]`, out));
  out.push(...validateAntiAffinity(canary.antiAffinity, 'spec.strategy.canary.antiAffinity'));

  // Referenced resources (ValidateRolloutReferencedResources): the named Services must exist.
  for (const key of ['canaryService', 'stableService'] as const) {
    const name = canary[key];
    if (name && observed.services[name] === undefined) out.push(invalid(`spec.strategy.canary.${key}`, name, `services "${name}" not found`));
  }
  // Only when the spec itself is valid: the analyses' templates must exist and make valid runs.
  if (out.length === 0) out.push(...validateReferencedAnalyses(rollout, observed));
  return out;
}

export function invalidSpecMessage(rollout: Rollout, error: FieldError): string {
  return `The Rollout "${rollout.metadata.name}" is invalid: ${error.message}`;
}
