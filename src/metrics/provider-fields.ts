// Reading a provider block's fields (untyped YAML) into typed values, with messages that name the
// field but never echo a value that could be a secret.

export class FieldError extends Error {}

export function optionalString(block: Record<string, unknown>, field: string): string | undefined {
  const v = block[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new FieldError(`${field} must be a string`);
  return v;
}

export function requiredString(block: Record<string, unknown>, field: string): string {
  const v = optionalString(block, field);
  if (v === undefined || v.trim() === '') throw new FieldError(`${field} is required`);
  return v;
}

export function optionalBoolean(block: Record<string, unknown>, field: string): boolean {
  const v = block[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new FieldError(`${field} must be true or false`);
  return v;
}

/** Whole seconds, as Argo's int64 fields; a numeric string is accepted (args are strings). */
export function optionalSeconds(block: Record<string, unknown>, field: string, fallback: number): number {
  const v = block[field];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new FieldError(`${field} must be a positive number of seconds`);
  return n;
}

export function optionalRecord(block: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const v = block[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FieldError(`${field} must be an object`);
  return v as Record<string, unknown>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `headers: [{key, value}]` → a header map. Values are checked but never quoted in messages. */
export function readHeaders(block: Record<string, unknown>, field = 'headers'): Record<string, string> {
  const v = block[field];
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) throw new FieldError(`${field} must be a list of {key, value}`);
  const headers: Record<string, string> = {};
  v.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw new FieldError(`${field}[${i}] must be {key, value}`);
    const { key, value } = entry as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || !TOKEN.test(key)) throw new FieldError(`${field}[${i}].key must be a header name`);
    if (typeof value !== 'string') throw new FieldError(`${field}[${i}].value (header '${key}') must be a string`);
    if (/[\r\n\0]/.test(value)) throw new FieldError(`${field}[${i}].value (header '${key}') contains a line break`);
    // Like Go's Header.Set: a later entry with the same name (any case) replaces the earlier one.
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === key.toLowerCase()) delete headers[existing];
    headers[key] = value;
  });
  return headers;
}

/** An http(s) URL, without echoing credentials it may carry. */
export function readUrl(text: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FieldError(`${field} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FieldError(`${field} must be an http or https URL`);
  return url;
}
