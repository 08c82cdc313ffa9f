// Keeps secret arg values out of what the controller writes: a provider may echo a resolved secret
// back (an error body, a URL, a value), so every string of a measurement is scrubbed before it
// reaches the status, an event or a log line (Argo redacts the message the same way).
import type { Measurement } from '../engine/analysis/index.ts';

export const REDACTED = '*****';

export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join(REDACTED);
  return out;
}

export function redactRecord(record: Record<string, string>, secrets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) out[k] = redactText(v, secrets);
  return out;
}

export function redactMeasurement(m: Measurement, secrets: readonly string[]): Measurement {
  if (secrets.length === 0) return m;
  const out: Measurement = { ...m };
  if (out.message !== undefined) out.message = redactText(out.message, secrets);
  if (out.value !== undefined) out.value = redactText(out.value, secrets);
  if (out.metadata) out.metadata = redactRecord(out.metadata, secrets);
  return out;
}
