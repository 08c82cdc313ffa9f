// `rangeQuery.start` / `end` / `step` of a Prometheus metric. In Argo start and end are expr
// programs evaluated to a time.Time (evaluate.EvalTime); the engine's expr has no time values, so
// this reads the forms people write and names anything else as unsupported rather than guessing.
import { parseGoDuration } from '../engine/time.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const SUPPORTED = 'supported: now(), now() - duration("1h"), now() + duration("30m"), date("2025-01-02T03:04:05Z"), or an RFC 3339 timestamp';

const STRING = String.raw`(?:"([^"]*)"|'([^']*)'|\x60([^\x60]*)\x60)`;
const NOW_OFFSET = new RegExp(String.raw`^now\(\s*\)\s*(?:([+-])\s*duration\(\s*${STRING}\s*\))?$`);
const DATE_CALL = new RegExp(String.raw`^date\(\s*${STRING}\s*\)$`);
const QUOTED = new RegExp(String.raw`^${STRING}$`);

function isoToDate(text: string): Date | undefined {
  // RFC 3339 only: Date.parse would also accept "March 1" and read zone-less times as local.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** A time expression of `rangeQuery.start` or `.end`, evaluated against `now`. */
export function parseRangeTime(expression: string, now: Date): Parsed<Date> {
  const text = expression.trim();
  const offset = NOW_OFFSET.exec(text);
  if (offset) {
    const [, sign, d1, d2, d3] = offset;
    if (!sign) return { ok: true, value: new Date(now.getTime()) };
    const durationText = d1 ?? d2 ?? d3 ?? '';
    const seconds = parseGoDuration(durationText);
    if (seconds === undefined) return { ok: false, error: `invalid duration "${durationText}" in "${expression}"` };
    return { ok: true, value: new Date(now.getTime() + (sign === '-' ? -1 : 1) * seconds * 1000) };
  }
  const quoted = DATE_CALL.exec(text) ?? QUOTED.exec(text);
  const iso = quoted ? (quoted[1] ?? quoted[2] ?? quoted[3] ?? '') : text;
  const date = isoToDate(iso);
  if (date) return { ok: true, value: date };
  return { ok: false, error: `unsupported time expression "${expression}" (${SUPPORTED})` };
}

/** `rangeQuery.step`, a Go duration (`1m`, `30s`), in seconds; must be positive. */
export function parseRangeStep(step: string): Parsed<number> {
  const seconds = parseGoDuration(step);
  if (seconds === undefined) return { ok: false, error: `invalid duration "${step}"` };
  if (seconds <= 0) return { ok: false, error: `step must be positive, got "${step}"` };
  return { ok: true, value: seconds };
}
