// The pod-template hash that names a Rollout's ReplicaSets, and the search for the ReplicaSet that
// runs the Rollout's current template (Argo: utils/hash/hash.go ComputePodTemplateHash,
// utils/replicaset/replicaset.go FindNewReplicaSet).
//
// DEVIATION: Argo hashes Go's `json.Marshal(spec.template)`, whose key order follows Go struct
// field order and whose content depends on the k8s library version. We hash a canonical JSON
// (keys sorted, nulls dropped), which is stable across Sluice versions but gives different
// values than Argo. Rollouts migrated from Argo keep their ReplicaSet anyway: when no ReplicaSet
// carries our hash, one whose template is semantically equal to the Rollout's (ignoring the
// hash label and API-server defaults) is taken as the current one, as Argo does after a hash change.
import type { Json, PodTemplateSpec, ReplicaSet } from './types.ts';

export const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash';

/** FNV-1a, 32 bit, over bytes (Go `hash/fnv` New32a). */
export function fnv32a(bytes: Iterable<number>, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** UTF-8 bytes of a string (no TextEncoder, to keep the engine free of host APIs). */
export function utf8Bytes(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return out;
}

/** JSON with object keys sorted and `null`/`undefined` members dropped: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined && obj[k] !== null).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** k8s.io/apimachinery/pkg/util/rand.SafeEncodeString: maps each character to a vowel-free alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHANUMS[(ch.codePointAt(0) ?? 0) % SAFE_ALPHANUMS.length];
  return out;
}

/** The `rollouts-pod-template-hash` of a template (ComputePodTemplateHash). */
export function computePodTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  const bytes = utf8Bytes(canonicalJson(template ?? {}));
  if (collisionCount !== undefined && collisionCount !== null) {
    // Argo writes an 8-byte buffer with the count little-endian in its first four bytes.
    const c = collisionCount >>> 0;
    bytes.push(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff, 0, 0, 0, 0);
  }
  return safeEncodeString(String(fnv32a(bytes)));
}

/** Hash of the canary steps, for `status.currentStepHash` (conditions.ComputeStepHash). */
export function computeStepHash(steps: unknown): string {
  return safeEncodeString(String(fnv32a(utf8Bytes(canonicalJson(steps ?? [])))));
}

// --- semantic template equality --------------------------------------------------------------

type Obj = Record<string, Json | undefined>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setDefault(o: Obj, key: string, value: Json): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function defaultProbe(probe: Json | undefined): void {
  if (!isObj(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  if (isObj(probe.httpGet)) setDefault(probe.httpGet, 'scheme', 'HTTP');
}

function defaultContainer(c: Json): void {
  if (!isObj(c)) return;
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    // core/v1 defaults: Always for :latest or an untagged image, IfNotPresent otherwise.
    const afterSlash = c.image.slice(c.image.lastIndexOf('/') + 1);
    const tag = c.image.includes('@') ? 'digest' : afterSlash.includes(':') ? afterSlash.slice(afterSlash.indexOf(':') + 1) : '';
    c.imagePullPolicy = tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p)) setDefault(p, 'protocol', 'TCP');
  if (Array.isArray(c.env)) {
    for (const e of c.env) if (isObj(e) && isObj(e.valueFrom) && isObj(e.valueFrom.fieldRef)) setDefault(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[k]);
}

/**
 * The defaults the API server adds to a ReplicaSet's pod template (core/v1 SetObjectDefaults_PodTemplate,
 * the common subset), applied to a copy, so a Rollout template compares equal to the live ReplicaSet's.
 */
export function withPodTemplateDefaults(template: PodTemplateSpec | undefined): JsonObject0 {
  const t = JSON.parse(JSON.stringify(template ?? {})) as Obj;
  if (!isObj(t.spec)) t.spec = {};
  const spec = t.spec as Obj;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  if (Array.isArray(spec.containers)) for (const c of spec.containers) defaultContainer(c);
  if (Array.isArray(spec.initContainers)) for (const c of spec.initContainers) defaultContainer(c);
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      if (!isObj(v)) continue;
      if (isObj(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
      if (isObj(v.secret)) setDefault(v.secret, 'defaultMode', 420);
      if (isObj(v.projected)) setDefault(v.projected, 'defaultMode', 420);
      if (isObj(v.downwardAPI)) setDefault(v.downwardAPI, 'defaultMode', 420);
    }
  }
  return t as JsonObject0;
}
type JsonObject0 = { [key: string]: Json };

/** Drops what Go's `omitempty` and the API server treat as absent: nulls, `{}`, `[]`, `""`. */
function pruneEmpty(v: Json | undefined): Json | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => pruneEmpty(x) ?? null);
    return items.length ? items : undefined;
  }
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      const p = pruneEmpty(x);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? (out as Json) : undefined;
  }
  return v;
}

function withoutHashLabel(t: JsonObject0): JsonObject0 {
  const meta = t.metadata;
  if (isObj(meta) && isObj(meta.labels)) {
    const labels = { ...meta.labels };
    delete labels[POD_TEMPLATE_HASH_LABEL];
    delete meta.creationTimestamp;
    t.metadata = { ...meta, labels } as Json;
  } else if (isObj(meta)) {
    delete meta.creationTimestamp;
  }
  return t;
}

/** Argo PodTemplateEqualIgnoreHash: equal after defaulting, ignoring the hash label and empty values. */
export function podTemplateEqualIgnoreHash(live: PodTemplateSpec | undefined, desired: PodTemplateSpec | undefined): boolean {
  const a = pruneEmpty(withoutHashLabel(withPodTemplateDefaults(live)));
  const b = pruneEmpty(withoutHashLabel(withPodTemplateDefaults(desired)));
  return canonicalJson(a) === canonicalJson(b);
}

export function podTemplateHashOf(rs: ReplicaSet): string {
  return rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
}

function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/**
 * The ReplicaSet running the Rollout's current template (FindNewReplicaSet): first by our hash,
 * then by semantic template equality (adoption of ReplicaSets created by Argo or an older Sluice).
 * `liveTemplate` gives the template of a live ReplicaSet as the Rollout would have written it:
 * without what the controller injects (ephemeral metadata, the anti-affinity term), as Argo's
 * ReplicaSetTemplateMatchesRollout strips them before comparing.
 */
export function findNewReplicaSet(
  template: PodTemplateSpec | undefined,
  collisionCount: number | undefined,
  replicaSets: ReplicaSet[],
  liveTemplate: (rs: ReplicaSet) => PodTemplateSpec | undefined = (rs) => rs.spec.template,
): ReplicaSet | undefined {
  const alive = replicaSets.filter((rs) => !rs.metadata.deletionTimestamp).sort(byCreation);
  const hash = computePodTemplateHash(template, collisionCount);
  const byHash = alive.find((rs) => podTemplateHashOf(rs) === hash);
  if (byHash) return byHash;
  return alive.find((rs) => podTemplateEqualIgnoreHash(liveTemplate(rs), template));
}
