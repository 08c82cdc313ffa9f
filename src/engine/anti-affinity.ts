// The anti-affinity rule a Rollout injects into its new ReplicaSet's pod template, so the new
// version's pods keep off the nodes that run the stable version's (Argo utils/replicaset
// GetRolloutAffinity, GenerateReplicaSetAffinity, CreateInjectedAntiAffinityRule,
// HasInjectedAntiAffinityRule, RemoveInjectedAntiAffinityRule, IfInjectedAntiAffinityRuleNeedsUpdate).
//
// The rule is the first term of the strategy's kind (required or preferred) in the pod template's
// `affinity.podAntiAffinity` that has a `rollouts-pod-template-hash` match expression:
//   labelSelector: {matchExpressions: [{key: rollouts-pod-template-hash, operator: In, values: [<stableRS>]}]}
//   namespaces: [<rollout namespace>], topologyKey: kubernetes.io/hostname
// (with `weight` for preferred). Pre-existing affinity rules of the template are kept as they are.
import type { AntiAffinity, Json, JsonObject, ReplicaSet, Rollout } from './types.ts';
import { POD_TEMPLATE_HASH_LABEL, canonicalJson, podTemplateHashOf } from './pod-template-hash.ts';
import { invalid, type FieldError } from './field-error.ts';

export const TOPOLOGY_KEY_HOSTNAME = 'kubernetes.io/hostname';

type Obj = { [key: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** GetRolloutAffinity: the strategy's antiAffinity when one of its two kinds is set. */
export function rolloutAntiAffinity(rollout: Rollout): AntiAffinity | undefined {
  const s = rollout.spec.strategy;
  const aa = s?.canary?.antiAffinity ?? s?.blueGreen?.antiAffinity;
  if (!aa) return undefined;
  return aa.preferredDuringSchedulingIgnoredDuringExecution || aa.requiredDuringSchedulingIgnoredDuringExecution ? aa : undefined;
}

/** CreateInjectedAntiAffinityRule: a PodAffinityTerm against the stable ReplicaSet's pods. */
export function injectedAntiAffinityTerm(rollout: Rollout): Obj {
  const term: Obj = {
    labelSelector: { matchExpressions: [{ key: POD_TEMPLATE_HASH_LABEL, operator: 'In', values: [rollout.status?.stableRS ?? ''] }] },
  };
  // Argo names the Rollout's namespace; a Rollout read from the API server always has one.
  if (rollout.metadata.namespace) term.namespaces = [rollout.metadata.namespace];
  term.topologyKey = TOPOLOGY_KEY_HOSTNAME;
  return term;
}

function termHasHashExpression(term: Json | undefined): boolean {
  if (!isObj(term) || !isObj(term.labelSelector)) return false;
  const exprs = term.labelSelector.matchExpressions;
  return Array.isArray(exprs) && exprs.some((e) => isObj(e) && e.key === POD_TEMPLATE_HASH_LABEL);
}

/**
 * HasInjectedAntiAffinityRule: the index of the injected term in the list of the strategy's kind,
 * and the PodAffinityTerm itself; undefined when there is none (or no antiAffinity configured).
 */
export function findInjectedAntiAffinityRule(affinity: JsonObject | undefined, rollout: Rollout): { index: number; term: Obj } | undefined {
  const strategy = rolloutAntiAffinity(rollout);
  if (!strategy || !isObj(affinity) || !isObj(affinity.podAntiAffinity)) return undefined;
  const paa = affinity.podAntiAffinity;
  if (strategy.preferredDuringSchedulingIgnoredDuringExecution) {
    const list = paa.preferredDuringSchedulingIgnoredDuringExecution;
    if (!Array.isArray(list)) return undefined;
    for (let i = 0; i < list.length; i++) {
      const weighted = list[i];
      if (isObj(weighted) && termHasHashExpression(weighted.podAffinityTerm)) return { index: i, term: weighted.podAffinityTerm as Obj };
    }
    return undefined;
  }
  const list = paa.requiredDuringSchedulingIgnoredDuringExecution;
  if (!Array.isArray(list)) return undefined;
  for (let i = 0; i < list.length; i++) {
    const term = list[i];
    if (termHasHashExpression(term)) return { index: i, term: term as Obj };
  }
  return undefined;
}

const isEmptyList = (v: Json | undefined): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);

/**
 * RemoveInjectedAntiAffinityRule: the affinity without the injected term; a podAntiAffinity (and
 * then an affinity) left with nothing is dropped. Returns a copy; undefined means no affinity.
 */
export function removeInjectedAntiAffinityRule(affinity: JsonObject | undefined, rollout: Rollout): JsonObject | undefined {
  if (!isObj(affinity)) return undefined;
  const found = findInjectedAntiAffinityRule(affinity, rollout);
  const out = clone(affinity) as Obj;
  if (!found) return out;
  const strategy = rolloutAntiAffinity(rollout);
  const paa = out.podAntiAffinity as Obj;
  const key = strategy?.preferredDuringSchedulingIgnoredDuringExecution ? 'preferredDuringSchedulingIgnoredDuringExecution' : 'requiredDuringSchedulingIgnoredDuringExecution';
  const list = (paa[key] as Json[]).filter((_, i) => i !== found.index);
  if (list.length > 0) paa[key] = list;
  else delete paa[key];
  if (isEmptyList(paa.requiredDuringSchedulingIgnoredDuringExecution) && isEmptyList(paa.preferredDuringSchedulingIgnoredDuringExecution)) delete out.podAntiAffinity;
  if (out.podAntiAffinity === undefined && out.podAffinity === undefined && out.nodeAffinity === undefined) return undefined;
  return out;
}

/**
 * GenerateReplicaSetAffinity: the Rollout template's affinity, plus the injected term against
 * status.stableRS when antiAffinity is configured and the ReplicaSet with `podHash` is not the
 * stable one. Undefined means no affinity at all.
 */
export function generateReplicaSetAffinity(rollout: Rollout, podHash: string): JsonObject | undefined {
  const own = rollout.spec.template?.spec?.affinity;
  const affinity: Obj | undefined = isObj(own) ? clone(own) : undefined;
  const strategy = rolloutAntiAffinity(rollout);
  const stable = rollout.status?.stableRS ?? '';
  if (!strategy || stable === '' || stable === podHash) return affinity;
  const out: Obj = affinity ?? {};
  const paa: Obj = isObj(out.podAntiAffinity) ? out.podAntiAffinity : {};
  out.podAntiAffinity = paa;
  const term = injectedAntiAffinityTerm(rollout);
  const preferred = strategy.preferredDuringSchedulingIgnoredDuringExecution;
  if (preferred) {
    const list = Array.isArray(paa.preferredDuringSchedulingIgnoredDuringExecution) ? paa.preferredDuringSchedulingIgnoredDuringExecution : [];
    paa.preferredDuringSchedulingIgnoredDuringExecution = [...list, { weight: preferred.weight, podAffinityTerm: term }];
  } else {
    const list = Array.isArray(paa.requiredDuringSchedulingIgnoredDuringExecution) ? paa.requiredDuringSchedulingIgnoredDuringExecution : [];
    paa.requiredDuringSchedulingIgnoredDuringExecution = [...list, term];
  }
  return out;
}

/** The hash the injected term of `affinity` points at ('' when there is no injected term). */
export function injectedRuleTarget(affinity: JsonObject | undefined, rollout: Rollout): string {
  const found = findInjectedAntiAffinityRule(affinity, rollout);
  const exprs = (found?.term.labelSelector as Obj | undefined)?.matchExpressions;
  if (!Array.isArray(exprs)) return '';
  for (const e of exprs) {
    if (isObj(e) && e.key === POD_TEMPLATE_HASH_LABEL && Array.isArray(e.values)) return typeof e.values[0] === 'string' ? e.values[0] : '';
  }
  return '';
}

/**
 * IfInjectedAntiAffinityRuleNeedsUpdate: the ReplicaSet with `podHash` is not the stable one and
 * its injected term points at another ReplicaSet than status.stableRS (the stable one changed).
 */
export function injectedAntiAffinityRuleNeedsUpdate(affinity: JsonObject | undefined, rollout: Rollout, podHash: string): boolean {
  const found = findInjectedAntiAffinityRule(affinity, rollout);
  const stable = rollout.status?.stableRS ?? '';
  if (!found || stable === podHash) return false;
  const exprs = (found.term.labelSelector as Obj).matchExpressions as Json[];
  return exprs.some((e) => isObj(e) && e.key === POD_TEMPLATE_HASH_LABEL && Array.isArray(e.values) && e.values[0] !== stable);
}

/**
 * DEVIATION (Argo leaves the term until the ReplicaSet is next updated for another reason): once
 * the ReplicaSet with `podHash` is the stable one and the ReplicaSet its injected term points at
 * has no pods left (scaled to 0 and emptied, or gone), the term keeps nothing apart any more and is
 * removed, so a later reschedule of the stable pods is not bound by a dead version.
 */
export function injectedAntiAffinityRuleIsStale(affinity: JsonObject | undefined, rollout: Rollout, podHash: string, replicaSets: readonly ReplicaSet[]): boolean {
  const stable = rollout.status?.stableRS ?? '';
  if (stable === '' || stable !== podHash || !findInjectedAntiAffinityRule(affinity, rollout)) return false;
  const target = injectedRuleTarget(affinity, rollout);
  const rs = replicaSets.find((r) => podTemplateHashOf(r) === target);
  if (!rs) return true;
  return (rs.spec.replicas ?? 1) === 0 && (rs.status?.replicas ?? 0) === 0;
}

/** Semantic equality of two affinities (absent, `null` and `{}` alike). */
export function sameAffinity(a: JsonObject | undefined | null, b: JsonObject | undefined | null): boolean {
  const norm = (v: JsonObject | undefined | null) => (v === null || v === undefined || Object.keys(v).length === 0 ? 'null' : canonicalJson(v));
  return norm(a) === norm(b);
}

export const InvalidAntiAffinityStrategyMessage = 'AntiAffinity must have exactly one strategy listed';
export const InvalidAntiAffinityWeightMessage = 'AntiAffinity weight must be between 1-100';

/** ValidateRolloutStrategyAntiAffinity: exactly one of the two kinds; a preferred weight of 1–100. */
export function validateAntiAffinity(antiAffinity: AntiAffinity | null | undefined, path: string): FieldError[] {
  if (antiAffinity === undefined || antiAffinity === null) return [];
  const out: FieldError[] = [];
  const preferred = antiAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? undefined;
  const required = antiAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? undefined;
  if ((preferred === undefined) === (required === undefined)) {
    const value = `antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: ${preferred !== undefined} antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: ${required !== undefined}`;
    out.push(invalid(path, value, InvalidAntiAffinityStrategyMessage));
  }
  if (preferred !== undefined) {
    const weight = (preferred as { weight?: unknown }).weight ?? 0;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 100) out.push(invalid(`${path}.weight`, weight, InvalidAntiAffinityWeightMessage));
  }
  return out;
}
