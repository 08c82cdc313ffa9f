// A Prometheus HTTP API answer (/api/v1/query, /api/v1/query_range) as Argo's prometheus provider
// reads it (processResponse): a scalar is a number; a vector is the array of its sample values, so
// conditions say `result[0]`; a matrix is ALL sample values of all series, flattened into one array
// (Argo does not nest them); strings are not supported. `value` is that, formatted like Go's
// model.SampleValue.String(): `[0.95,1]`, `NaN`, `+Inf`.
import { excerpt } from './http-request.ts';

export type PromParsed =
  | { ok: true; result: number | number[]; value: string; warnings: string[] }
  | { ok: false; error: string };

/** Prometheus writes sample values as strings, special values included. */
function sampleValue(raw: unknown): number | undefined {
  if (typeof raw !== 'string') return undefined;
  if (raw === 'NaN') return Number.NaN;
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  const n = Number(raw);
  return raw.trim() === '' || Number.isNaN(n) ? undefined : n;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign = '', lead = '', frac = '', expText = '0'] = m;
  const digits = lead + frac;
  const exp = Number(expText);
  const point = 1 + exp; // position of the decimal point within `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const listValue = (values: number[]) => `[${values.map(formatSampleValue).join(',')}]`;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** `[timestamp, "value"]` → the value, or undefined when malformed. */
function pairValue(pair: unknown): number | undefined {
  return Array.isArray(pair) && pair.length === 2 ? sampleValue(pair[1]) : undefined;
}

/** The `data` of a successful answer. */
function readData(data: unknown): PromParsed | { ok: true; result: number | number[]; value: string } {
  if (!isRecord(data)) return { ok: false, error: 'prometheus answer has no data' };
  const { resultType, result } = data;
  switch (resultType) {
    case 'scalar': {
      const v = pairValue(result);
      if (v === undefined) return { ok: false, error: 'prometheus scalar result is malformed' };
      return { ok: true, result: v, value: formatSampleValue(v) };
    }
    case 'vector': {
      if (!Array.isArray(result)) return { ok: false, error: 'prometheus vector result is not an array' };
      const values: number[] = [];
      for (const sample of result) {
        const v = isRecord(sample) ? pairValue(sample.value) : undefined;
        if (v === undefined) return { ok: false, error: 'prometheus vector sample is malformed' };
        values.push(v);
      }
      return { ok: true, result: values, value: listValue(values) };
    }
    case 'matrix': {
      if (!Array.isArray(result)) return { ok: false, error: 'prometheus matrix result is not an array' };
      const values: number[] = [];
      for (const series of result) {
        if (!isRecord(series) || !Array.isArray(series.values)) return { ok: false, error: 'prometheus matrix series is malformed' };
        for (const pair of series.values) {
          const v = pairValue(pair);
          if (v === undefined) return { ok: false, error: 'prometheus matrix sample is malformed' };
          values.push(v);
        }
      }
      return { ok: true, result: values, value: listValue(values) };
    }
    default:
      // Argo: "Prometheus metric type not supported" (strings, or anything new).
      return { ok: false, error: `prometheus result type '${String(resultType)}' is not supported (scalar, vector and matrix are)` };
  }
}

/** An HTTP answer of the query API: status code and body. */
export function parsePrometheusAnswer(status: number, body: string): PromParsed {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    if (status < 200 || status >= 300) return { ok: false, error: `prometheus returned HTTP ${status}: ${excerpt(body)}` };
    return { ok: false, error: `prometheus answer is not JSON: ${excerpt(body)}` };
  }
  if (!isRecord(json)) return { ok: false, error: `prometheus answer is not a JSON object (HTTP ${status})` };
  if (json.status === 'error' || status < 200 || status >= 300) {
    // Prometheus explains itself in `errorType` + `error` (e.g. bad_data: 1:8: parse error: ...).
    const what = [json.errorType, json.error].filter((x): x is string => typeof x === 'string' && x !== '').join(': ');
    return { ok: false, error: `prometheus returned HTTP ${status}${what ? `: ${what}` : ''}` };
  }
  if (json.status !== 'success') return { ok: false, error: `prometheus answer has status '${String(json.status)}'` };
  const read = readData(json.data);
  if (!read.ok) return read;
  const warnings = Array.isArray(json.warnings) ? json.warnings.filter((w): w is string => typeof w === 'string') : [];
  return { ok: true, result: read.result, value: read.value, warnings };
}
