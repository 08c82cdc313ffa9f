// Ephemeral pod metadata (Argo rollout/ephemeralmetadata.go reconcileEphemeralMetadata and
// syncEphemeralMetadata; utils/replicaset ParseExistingPodMetadata, SyncEphemeralPodMetadata,
// SyncReplicaSetEphemeralPodMetadata): the labels and annotations of `canaryMetadata` /
// `stableMetadata` (canary) or `previewMetadata` / `activeMetadata` (blue-green) are set on the
// pod template of the ReplicaSet that has that role and on its live pods, in place (no restart).
// What was injected is recorded in the ReplicaSet's `rollout.argoproj.io/ephemeral-metadata`
// annotation, so that a role change (canary → stable on promotion) removes exactly the keys that
// no longer apply and leaves every other label and annotation alone.
import type { PodTemplateMetadata, ReplicaSet, Rollout } from './types.ts';

export const EPHEMERAL_METADATA_ANNOTATION = 'rollout.argoproj.io/ephemeral-metadata';

type StringMap = Record<string, string>;
type Changes = Record<string, string | null>;

/** The metadata a new (not yet stable) and the stable ReplicaSet get, per strategy. */
export function ephemeralMetadataOf(rollout: Rollout): { configured: boolean; newMetadata: PodTemplateMetadata | undefined; stableMetadata: PodTemplateMetadata | undefined } {
  const s = rollout.spec.strategy;
  const orNone = (m: PodTemplateMetadata | null | undefined) => m ?? undefined;
  if (s?.canary) {
    const newMetadata = orNone(s.canary.canaryMetadata);
    const stableMetadata = orNone(s.canary.stableMetadata);
    return { configured: !!newMetadata || !!stableMetadata, newMetadata, stableMetadata };
  }
  if (s?.blueGreen) {
    const newMetadata = orNone(s.blueGreen.previewMetadata);
    const stableMetadata = orNone(s.blueGreen.activeMetadata);
    return { configured: !!newMetadata || !!stableMetadata, newMetadata, stableMetadata };
  }
  return { configured: false, newMetadata: undefined, stableMetadata: undefined };
}

const isStringMap = (v: unknown): v is StringMap =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * ParseExistingPodMetadata: what the annotation says was injected into the ReplicaSet; undefined
 * when there is no annotation or it cannot be read.
 */
export function parseExistingPodMetadata(rs: ReplicaSet): PodTemplateMetadata | undefined {
  const raw = rs.metadata.annotations?.[EPHEMERAL_METADATA_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const { labels, annotations } = v as { labels?: unknown; annotations?: unknown };
    if ((labels !== undefined && labels !== null && !isStringMap(labels)) || (annotations !== undefined && annotations !== null && !isStringMap(annotations))) return undefined;
    const out: PodTemplateMetadata = {};
    if (isStringMap(labels)) out.labels = labels;
    if (isStringMap(annotations)) out.annotations = annotations;
    return out;
  } catch {
    return undefined;
  }
}

/** Go's json.Marshal of a PodTemplateMetadata: labels then annotations, empty maps omitted, keys sorted, HTML escaped. */
export function marshalPodMetadata(m: PodTemplateMetadata): string {
  const sorted = (map: StringMap) => Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k] as string]));
  const out: Record<string, StringMap> = {};
  if (m.labels && Object.keys(m.labels).length > 0) out.labels = sorted(m.labels);
  if (m.annotations && Object.keys(m.annotations).length > 0) out.annotations = sorted(m.annotations);
  return JSON.stringify(out)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface MetadataSync {
  /** Argo's "modified": something was injected or a previously injected key is no longer wanted. */
  modified: boolean;
  /** The effective changes: keys to set, and keys present now that are to go (null). */
  labels: Changes;
  annotations: Changes;
}

/**
 * SyncEphemeralPodMetadata: inject `desired`, and remove the keys `existing` (what was injected
 * before) has that `desired` no longer has. Only keys we injected are ever removed.
 */
export function syncEphemeralPodMetadata(current: { labels?: StringMap; annotations?: StringMap }, existing: PodTemplateMetadata | undefined, desired: PodTemplateMetadata | undefined): MetadataSync {
  const out: MetadataSync = { modified: false, labels: {}, annotations: {} };
  for (const kind of ['annotations', 'labels'] as const) {
    const now = current[kind];
    const want = desired?.[kind] ?? {};
    for (const [k, v] of Object.entries(want)) {
      if (now?.[k] !== v) {
        out[kind][k] = v;
        out.modified = true;
      }
    }
    // Go deletes from a map that exists (the API's or the one injection just made) and calls
    // that a modification even when the key is not there.
    const mapExists = now !== undefined || Object.keys(want).length > 0;
    for (const k of Object.keys(existing?.[kind] ?? {})) {
      if (desired && Object.hasOwn(desired[kind] ?? {}, k)) continue;
      if (!mapExists) continue;
      out.modified = true;
      if (now && Object.hasOwn(now, k)) out[kind][k] = null;
    }
  }
  return out;
}

function apply(map: StringMap | undefined, changes: Changes): StringMap | undefined {
  if (Object.keys(changes).length === 0) return map;
  const next: StringMap = { ...(map ?? {}) };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/**
 * SyncReplicaSetEphemeralPodMetadata on a ReplicaSet object being built (not yet created): the
 * template gets `desired`, and the annotation records it. Mutates `rs`.
 */
export function injectEphemeralMetadata(rs: ReplicaSet, desired: PodTemplateMetadata | undefined): void {
  const template = (rs.spec.template ??= {});
  const meta = (template.metadata ??= {});
  const sync = syncEphemeralPodMetadata({ ...(meta.labels ? { labels: meta.labels } : {}), ...(meta.annotations ? { annotations: meta.annotations } : {}) }, parseExistingPodMetadata(rs), desired);
  if (!sync.modified) return;
  setTemplateMetadata(rs, sync);
  const annotations: StringMap = { ...(rs.metadata.annotations ?? {}) };
  if (desired) annotations[EPHEMERAL_METADATA_ANNOTATION] = marshalPodMetadata(desired);
  else delete annotations[EPHEMERAL_METADATA_ANNOTATION];
  rs.metadata.annotations = annotations;
}

export function setTemplateMetadata(rs: ReplicaSet, sync: MetadataSync): void {
  const template = (rs.spec.template ??= {});
  const meta = (template.metadata ??= {});
  const labels = apply(meta.labels, sync.labels);
  const annotations = apply(meta.annotations, sync.annotations);
  if (labels) meta.labels = labels;
  if (annotations) meta.annotations = annotations;
}

/** The template of a live ReplicaSet with the injected metadata taken out (for template equality). */
export function withoutEphemeralMetadata(rs: ReplicaSet): ReplicaSet {
  const copy = JSON.parse(JSON.stringify(rs)) as ReplicaSet;
  injectEphemeralMetadata(copy, undefined);
  return copy;
}

/** Whether a reconcile of this Rollout looks at pods for ephemeral metadata (the shell observes them then). */
export function needsPodsForEphemeralMetadata(rollout: Rollout, replicaSets: readonly ReplicaSet[]): boolean {
  return ephemeralMetadataOf(rollout).configured || replicaSets.some((rs) => rs.metadata.annotations?.[EPHEMERAL_METADATA_ANNOTATION] !== undefined);
}
