// Desired-versus-live comparison. Pure. Fields the server owns (status, managedFields,
// resourceVersion, uid, generation, timestamps) never count as differences.
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { KubeObject } from '../ports/cluster.ts';

const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'];
const SERVER_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

/** A copy without what the API server owns, for display and comparison. */
export function withoutServerFields(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj) as KubeObject;
  delete copy.status;
  const meta = copy.metadata;
  if (meta) {
    for (const f of SERVER_METADATA) delete meta[f];
    if (meta.annotations) {
      for (const a of SERVER_ANNOTATIONS) delete meta.annotations[a];
      if (!Object.keys(meta.annotations).length) delete meta.annotations;
    }
  }
  return copy;
}

/**
 * True when every field in `desired` has the same value in `live` (live may hold more: defaults,
 * fields of other managers). Lists are compared element by element and must have equal length.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  // A null in a manifest (`data:` with nothing under it) means "unset": the server stores nothing.
  if (desired === null) return live === undefined || live === null;
  // Nor does it store an empty list or map (`rules: []`, `data: {}`): it returns them absent or null.
  if ((live === undefined || live === null) && typeof desired === 'object' && Object.keys(desired).length === 0) return true;
  if (typeof desired !== 'object') {
    // The API server may return numbers for quantities written as strings and vice versa ("1" vs 1).
    return live !== undefined && live !== null && typeof live !== 'object' && String(desired) === String(live);
  }
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => isSubset(d, live[i]));
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => isSubset(v, (live as Record<string, unknown>)[k]));
}

/** A unified diff of two objects rendered as YAML (server-owned fields removed); '' when equal. */
export function objectDiff(name: string, before: KubeObject | undefined, after: KubeObject | undefined): string {
  const a = before ? stringify(withoutServerFields(before), { sortMapEntries: true }) : '';
  const b = after ? stringify(withoutServerFields(after), { sortMapEntries: true }) : '';
  if (a === b) return '';
  const patch = createTwoFilesPatch(before ? `live/${name}` : '/dev/null', after ? `desired/${name}` : '/dev/null', a, b, '', '', { context: 3 });
  // Drop the "Index:/====" preamble: the ---/+++ lines already name both sides.
  return patch.split('\n').filter((l) => !l.startsWith('Index:') && !l.startsWith('====')).join('\n').trimEnd();
}
