// How many pods the canary and stable ReplicaSets should run right now, by Argo's rules
// (utils/replicaset/canary.go, utils/replicaset/replicaset.go MaxSurge/MaxUnavailable).
// Without steps (or after the last one) the desired canary weight is 100, and the same math is
// a rolling update bounded by maxSurge/maxUnavailable.
import type { IntOrString, ReplicaSet, Rollout, SetCanaryScale } from './types.ts';

export const DEFAULT_MAX_SURGE = '25%';
export const DEFAULT_MAX_UNAVAILABLE = '25%';

export function specReplicas(rollout: Rollout): number {
  return rollout.spec.replicas ?? 1;
}

/** `spec.replicas` of a ReplicaSet (the API server defaults it to 1). */
export function rsReplicas(rs: ReplicaSet | undefined): number {
  return rs ? (rs.spec.replicas ?? 1) : 0;
}

export function rsAvailable(rs: ReplicaSet | undefined): number {
  return rs?.status?.availableReplicas ?? 0;
}

/** A percentage string `"25%"` → 25, or undefined when it is not one. */
export function parsePercent(value: string): number | undefined {
  const m = /^(\d+)%$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int is taken as is; a percentage of `total` is rounded
 * up (maxSurge) or down (maxUnavailable).
 */
export function scaledValue(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const pct = parsePercent(value);
  if (pct === undefined) return 0; // rejected by validation; never reached for a valid spec
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** MaxSurge: rounds up. */
export function maxSurge(rollout: Rollout): number {
  const canary = rollout.spec.strategy?.canary;
  if (!canary) return 0;
  return scaledValue(canary.maxSurge ?? DEFAULT_MAX_SURGE, specReplicas(rollout), true);
}

/** MaxUnavailable: rounds down, capped at spec.replicas (blue-green uses it for restarts only). */
export function maxUnavailable(rollout: Rollout): number {
  const replicas = specReplicas(rollout);
  const blueGreen = rollout.spec.strategy?.blueGreen;
  if (blueGreen && replicas > 0) return Math.min(scaledValue(blueGreen.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, replicas, false), replicas);
  const canary = rollout.spec.strategy?.canary;
  if (!canary || replicas === 0) return 0;
  const unavailable = scaledValue(canary.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, replicas, false);
  return Math.min(unavailable, replicas);
}

export function hasTrafficRouting(rollout: Rollout): boolean {
  return rollout.spec.strategy?.canary?.trafficRouting !== undefined;
}

// --- the current step's weight -----------------------------------------------------------------

/** GetCurrentCanaryStep: the step at status.currentStepIndex (0 when unset), or undefined past the end. */
export function currentStepIndex(rollout: Rollout): number | undefined {
  const steps = rollout.spec.strategy?.canary?.steps ?? [];
  if (steps.length === 0) return undefined;
  return rollout.status?.currentStepIndex ?? 0;
}

/** GetCurrentSetWeight: the last setWeight at or before the current step; 100 past the end, 0 when aborted. */
export function currentSetWeight(rollout: Rollout): number {
  if (rollout.status?.abort) return 0;
  const steps = rollout.spec.strategy?.canary?.steps ?? [];
  const index = currentStepIndex(rollout);
  if (index === undefined || index >= steps.length) return 100;
  for (let i = index; i >= 0; i--) {
    const w = steps[i]?.setWeight;
    if (w !== undefined) return w;
  }
  return 0;
}

/**
 * UseSetCanaryScale: the setCanaryScale in force at the current step. Only with traffic routing
 * (validation rejects it otherwise), and ignored after an abort unless abortScaleDownDelaySeconds is 0.
 */
export function activeSetCanaryScale(rollout: Rollout): SetCanaryScale | undefined {
  const canary = rollout.spec.strategy?.canary;
  if (!canary?.trafficRouting) return undefined;
  if (rollout.status?.abort && canary.abortScaleDownDelaySeconds !== 0) return undefined;
  const steps = canary.steps ?? [];
  const index = currentStepIndex(rollout);
  if (index === undefined || index >= steps.length) return undefined;
  for (let i = index; i >= 0; i--) {
    const scs = steps[i]?.setCanaryScale;
    if (!scs) continue;
    if (scs.matchTrafficWeight) return undefined;
    return scs;
  }
  return undefined;
}

/** GetCanaryReplicasOrWeight: a fixed canary replica count (setCanaryScale.replicas) or a weight. */
export function canaryReplicasOrWeight(rollout: Rollout): { replicas?: number; weight: number } {
  const s = rollout.status ?? {};
  if (s.promoteFull || !s.stableRS || s.currentPodHash === s.stableRS) return { weight: 100 };
  const scs = activeSetCanaryScale(rollout);
  if (scs?.replicas !== undefined) return { replicas: scs.replicas, weight: 0 };
  if (scs?.weight !== undefined) return { weight: scs.weight };
  return { weight: currentSetWeight(rollout) };
}

// --- basic canary --------------------------------------------------------------------------------

function floorCeilingTied(weight: number, total: number): boolean {
  const x = (total * weight) / 100;
  return x - Math.floor(x) === 0.5;
}

function weightDelta(weight: number, canary: number, total: number): number {
  return Math.abs((canary * 100) / total - weight);
}

/**
 * approximateWeightedCanaryStableReplicaCounts: the canary/stable counts closest to `weight`,
 * summing to replicas or replicas + 1 (only if surge is allowed); never 0 for a weight of 1–99
 * unless there is a single replica and no surge. Ties pick the larger canary.
 */
export function approximateCanaryStableCounts(replicas: number, weight: number, surge: number): [canary: number, stable: number] {
  if (replicas === 0) return [0, 0];
  const options: Array<{ canary: number; total: number }> = [];
  const ceil = Math.ceil((replicas * weight) / 100);
  const floor = Math.floor((replicas * weight) / 100);
  const tied = floorCeilingTied(weight, replicas);
  const zeroAllowed = weight === 100 || weight === 0 || (replicas === 1 && surge === 0);
  if (ceil < replicas || zeroAllowed) options.push({ canary: ceil, total: replicas });
  if (!tied && (floor !== 0 || zeroAllowed)) options.push({ canary: floor, total: replicas });
  if (surge > 0) {
    options.push({ canary: ceil, total: replicas + 1 });
    if (!floorCeilingTied(weight, replicas + 1) && (floor !== 0 || zeroAllowed)) options.push({ canary: floor, total: replicas + 1 });
  }
  const first = options[0];
  if (!first) return [0, replicas];
  let best = first;
  let bestDelta = weightDelta(weight, best.canary, best.total);
  for (const o of options.slice(1)) {
    const d = weightDelta(weight, o.canary, o.total);
    if (d < bestDelta) {
      best = o;
      bestDelta = d;
    }
  }
  return [best.canary, best.total - best.canary];
}

/** CheckStableRSExists: a stable ReplicaSet exists and is not the new one. */
export function stableExistsAndDiffers(newRS: ReplicaSet | undefined, stableRS: ReplicaSet | undefined): stableRS is ReplicaSet {
  if (!stableRS) return false;
  if (!newRS) return true;
  return newRS.metadata.name !== stableRS.metadata.name;
}

/** GetReplicasForScaleDown: the pods of `rs` counted as available when deciding how far to scale down. */
function replicasForScaleDown(rs: ReplicaSet | undefined, ignoreAvailability: boolean): number {
  if (!rs) return 0;
  if (rsReplicas(rs) < rsAvailable(rs)) return rsReplicas(rs);
  return ignoreAvailability ? rsReplicas(rs) : rsAvailable(rs);
}

function scaleDownCountFor(drain: ReplicaSet | undefined, desired: number, scaleDown: number, current: number): number {
  if (drain && rsReplicas(drain) > desired) return Math.max(desired, rsReplicas(drain) - scaleDown);
  return current;
}

/** adjustReplicaWithinLimits: keeps the pair within maxSurge without breaking maxUnavailable. */
function adjustWithinLimits(drain: ReplicaSet | undefined, adjust: ReplicaSet | undefined, drainCount: number, adjustCount: number, maxAllowed: number, minAvailable: number): [number, number] {
  let overLimit = Math.max(0, adjustCount + drainCount - maxAllowed);
  let totalAvailable = drain ? Math.min(rsAvailable(drain), drainCount) : 0;
  if (adjust) {
    adjustCount -= overLimit;
    totalAvailable += Math.min(rsAvailable(adjust), adjustCount);
    const extraAvailable = Math.max(0, rsAvailable(adjust) - adjustCount);
    const needMore = Math.max(0, minAvailable - totalAvailable);
    adjustCount += Math.min(extraAvailable, needMore);
    overLimit = Math.max(0, adjustCount + drainCount - maxAllowed);
    drainCount -= overLimit;
  }
  return [drainCount, adjustCount];
}

/** CalculateReplicaCountsForBasicCanary: the next [canary, stable] replica counts, one safe move at a time. */
export function basicCanaryReplicaCounts(rollout: Rollout, newRS: ReplicaSet | undefined, stableRS: ReplicaSet | undefined, otherRSs: ReplicaSet[]): [canary: number, stable: number] {
  const replicas = specReplicas(rollout);
  const { weight } = canaryReplicasOrWeight(rollout);
  const surge = maxSurge(rollout);
  let [desiredNew, desiredStable] = approximateCanaryStableCounts(replicas, weight, surge);

  let newCount = rsReplicas(newRS);
  let stableCount = 0;
  const scaleStable = stableExistsAndDiffers(newRS, stableRS);
  if (scaleStable) stableCount = rsReplicas(stableRS);
  else {
    // No stable (or it is the new one): no canary steps, the new RS goes to 100%.
    desiredNew = replicas;
    desiredStable = 0;
  }

  const maxAllowed = replicas + surge;
  const total = otherRSs.reduce((n, rs) => n + rsReplicas(rs), 0) + rsReplicas(newRS) + (scaleStable ? rsReplicas(stableRS) : 0);
  let scaleUp = maxAllowed - total;

  if (scaleStable && rsReplicas(stableRS) < desiredStable && scaleUp > 0) {
    if (rsReplicas(stableRS) + scaleUp < desiredStable) {
      stableCount = rsReplicas(stableRS) + scaleUp;
      scaleUp = 0;
    } else {
      stableCount = desiredStable;
      scaleUp -= desiredStable - rsReplicas(stableRS);
    }
  }
  if (newRS && rsReplicas(newRS) < desiredNew && scaleUp > 0) {
    newCount = rsReplicas(newRS) + scaleUp < desiredNew ? rsReplicas(newRS) + scaleUp : desiredNew;
  }

  // Older ReplicaSets are scaled down first, before the new or stable one.
  if (otherRSs.some((rs) => rsReplicas(rs) > 0)) return [newCount, stableCount];

  const minAvailable = replicas - maxUnavailable(rollout);
  const isIncreasing = !newRS || desiredNew >= rsReplicas(newRS);
  const toScaleDown = replicasForScaleDown(newRS, !isIncreasing) + replicasForScaleDown(scaleStable ? stableRS : undefined, isIncreasing);
  if (toScaleDown <= minAvailable) return [newCount, stableCount];
  const scaleDown = toScaleDown - minAvailable;
  if (!isIncreasing) {
    newCount = scaleDownCountFor(newRS, desiredNew, scaleDown, newCount);
    [newCount, stableCount] = adjustWithinLimits(newRS, scaleStable ? stableRS : undefined, newCount, stableCount, maxAllowed, minAvailable);
  } else if (scaleStable) {
    stableCount = scaleDownCountFor(stableRS, desiredStable, scaleDown, stableCount);
    [stableCount, newCount] = adjustWithinLimits(stableRS, newRS, stableCount, newCount, maxAllowed, minAvailable);
  }
  return [newCount, stableCount];
}

// --- traffic-routed canary -----------------------------------------------------------------------

/** trafficWeightToReplicas: rounds up. */
export function trafficWeightToReplicas(replicas: number, weight: number): number {
  return Math.ceil((weight * replicas) / 100);
}

function withMinPods(rollout: Rollout, count: number): number {
  const min = rollout.spec.strategy?.canary?.minPodsPerReplicaSet;
  if (count === 0 || min === undefined) return count;
  return Math.max(count, min);
}

/**
 * CalculateReplicaCountsForTrafficRoutedCanary: the router splits traffic, so the stable stays at
 * 100% (unless dynamicStableScale) and the canary runs its weight's share.
 */
export function trafficRoutedReplicaCounts(rollout: Rollout, currentStableWeight: number | undefined, currentCanaryWeight: number | undefined): [canary: number, stable: number] {
  const replicas = specReplicas(rollout);
  const { replicas: fixed, weight } = canaryReplicasOrWeight(rollout);
  let canary = fixed !== undefined ? fixed : withMinPods(rollout, trafficWeightToReplicas(replicas, weight));
  if (!rollout.spec.strategy?.canary?.dynamicStableScale) return [canary, replicas];
  let stable = trafficWeightToReplicas(replicas, 100 - weight);
  if (currentStableWeight !== undefined) {
    stable = Math.max(stable, trafficWeightToReplicas(replicas, currentStableWeight));
    if (rollout.status?.abort && currentCanaryWeight !== undefined) canary = Math.max(canary, trafficWeightToReplicas(replicas, currentCanaryWeight));
  }
  return [withMinPods(rollout, canary), withMinPods(rollout, stable)];
}

/** Desired [canary, stable] counts for this reconcile, whichever the strategy flavour. */
export function canaryReplicaCounts(rollout: Rollout, newRS: ReplicaSet | undefined, stableRS: ReplicaSet | undefined, otherRSs: ReplicaSet[]): [canary: number, stable: number] {
  if (!hasTrafficRouting(rollout)) return basicCanaryReplicaCounts(rollout, newRS, stableRS, otherRSs);
  const w = rollout.status?.canary?.weights;
  return trafficRoutedReplicaCounts(rollout, w?.stable.weight, w?.canary.weight);
}

/**
 * AtDesiredReplicaCountsForCanary: the current step's pods are all there and available (and, for
 * basic canary, no older ReplicaSet still has available pods).
 */
export function atDesiredReplicaCounts(rollout: Rollout, newRS: ReplicaSet | undefined, stableRS: ReplicaSet | undefined, otherRSs: ReplicaSet[]): boolean {
  const [desiredNew, desiredStable] = canaryReplicaCounts(rollout, newRS, stableRS, otherRSs);
  if (!newRS || rsReplicas(newRS) !== desiredNew || rsAvailable(newRS) !== desiredNew) return false;
  const dynamic = hasTrafficRouting(rollout) && rollout.spec.strategy?.canary?.dynamicStableScale;
  if (!dynamic) {
    if (!stableRS || rsReplicas(stableRS) !== desiredStable || (stableRS.status?.replicas ?? 0) !== desiredStable) return false;
  }
  if (!hasTrafficRouting(rollout) && otherRSs.reduce((n, rs) => n + rsAvailable(rs), 0) !== 0) return false;
  return true;
}
