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
  return subset(desired, live, false);
}

// Maps whose values are resource quantities (container resources, quotas, limit ranges, node and
// pod overhead). The server stores a quantity in canonical form ("0.5" as "500m", "0.5Gi" as
// "512Mi"); compared as text, such an object would never look up to date.
const QUANTITY_MAPS = new Set(['limits', 'requests', 'hard', 'used', 'capacity', 'allocatable', 'overhead', 'max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']);
const QUANTITY_FIELDS = new Set(['sizeLimit']);

function subset(desired: unknown, live: unknown, quantity: boolean): boolean {
  if (desired === live) return true;
  // A null in a manifest (`data:` with nothing under it) means "unset": the server stores nothing.
  if (desired === null) return live === undefined || live === null;
  // Nor does it store an empty list or map (`rules: []`, `data: {}`): it returns them absent or null.
  if ((live === undefined || live === null) && typeof desired === 'object' && Object.keys(desired).length === 0) return true;
  if (typeof desired !== 'object') {
    if (live === undefined || live === null || typeof live === 'object') return false;
    // The API server may return numbers for quantities written as strings and vice versa ("1" vs 1).
    if (String(desired) === String(live)) return true;
    return quantity && sameQuantity(String(desired), String(live));
  }
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => subset(d, live[i], false));
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  // Values of a quantity map are quantities.
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) =>
    subset(v, (live as Record<string, unknown>)[k], quantity || QUANTITY_MAPS.has(k) || QUANTITY_FIELDS.has(k)),
  );
}

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
const SCALE: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** The value of a Kubernetes quantity ("500m", "0.5Gi", "1e3"), or undefined when it is not one. */
export function quantityValue(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2] !== undefined) return n * 10 ** Number(m[2]);
  return m[3] ? n * (SCALE[m[3]] as number) : n;
}

function sameQuantity(a: string, b: string): boolean {
  const x = quantityValue(a);
  const y = quantityValue(b);
  return x !== undefined && y !== undefined && Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x), Math.abs(y));
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
