// Typed reads from an untrusted webhook payload. A field an event needs that is missing or of the
// wrong type is a MalformedPayloadError (answered 400), never a crash or an `undefined` that
// surfaces later inside a handler.

export class MalformedPayloadError extends Error {
  override name = 'MalformedPayloadError';
}

/** The value at a dotted path (`pull_request.head.sha`), or undefined where the path ends early. */
export function fieldAt(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export function requireString(root: unknown, path: string): string {
  const value = fieldAt(root, path);
  if (typeof value !== 'string' || value === '') throw new MalformedPayloadError(`payload field ${path} must be a non-empty string`);
  return value;
}

export function optionalString(root: unknown, path: string): string | undefined {
  const value = fieldAt(root, path);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A positive integer, given as a number or as a numeric string (hosts differ). */
export function requireNumber(root: unknown, path: string): number {
  const value = fieldAt(root, path);
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new MalformedPayloadError(`payload field ${path} must be a non-negative integer`);
  return n;
}

/** An id the host may send as a number or a string, as a string. */
export function requireId(root: unknown, path: string): string {
  const value = fieldAt(root, path);
  if ((typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value !== '')) return String(value);
  throw new MalformedPayloadError(`payload field ${path} must be an id (number or string)`);
}

export function optionalBoolean(root: unknown, path: string): boolean | undefined {
  const value = fieldAt(root, path);
  return typeof value === 'boolean' ? value : undefined;
}

export function requireArray(root: unknown, path: string): unknown[] {
  const value = fieldAt(root, path);
  if (!Array.isArray(value)) throw new MalformedPayloadError(`payload field ${path} must be a list`);
  return value;
}

/** The string values at `paths` that are present, without duplicates (clone URLs). */
export function presentStrings(root: unknown, paths: string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const v = optionalString(root, p);
    if (v) out.add(v);
  }
  return [...out];
}
