// The `prometheus` metric provider: one instant query (/api/v1/query) or range query
// (/api/v1/query_range) per measurement, sent the way Prometheus' Go client sends it (form POST,
// GET when the server refuses POST), read as Argo reads it (prometheus-response.ts).
import type { Measurement, MetricProvider, MetricRequest, MetricRunContext } from '../ports/metric-provider.ts';
import { formatTime } from '../engine/time.ts';
import { deadlineSignal, describeNetworkError, redactUrl, sendHttpRequest, type HttpResponse, type SendHttpRequest } from './http-request.ts';
import { FieldError, optionalBoolean, optionalRecord, optionalSeconds, optionalString, readHeaders, readUrl, requiredString } from './provider-fields.ts';
import { parsePrometheusAnswer } from './prometheus-response.ts';
import { parseRangeStep, parseRangeTime } from './prometheus-range.ts';

/** Metadata key of the query that ran, as in Argo. */
export const RESOLVED_PROMETHEUS_QUERY = 'ResolvedPrometheusQuery';
export const DEFAULT_PROMETHEUS_TIMEOUT_SECONDS = 30;

export interface PrometheusProviderOptions {
  request?: SendHttpRequest;
  now?: () => Date;
  /** Used when a metric has no `address` (Argo's ARGO_ROLLOUTS_PROMETHEUS_ADDRESS). */
  defaultAddress?: string;
}

interface PrometheusQueryPlan {
  endpoint: URL;
  form: URLSearchParams;
  headers: Record<string, string>;
  insecure: boolean;
  timeoutSeconds: number;
  metadata: Record<string, string>;
}

/** Prometheus takes RFC 3339 or Unix seconds; seconds with milliseconds keep the request exact. */
const unixSeconds = (d: Date) => (d.getTime() / 1000).toFixed(3);

function plan(block: Record<string, unknown>, now: Date, defaultAddress: string | undefined): PrometheusQueryPlan {
  const addressText = optionalString(block, 'address') || defaultAddress;
  if (!addressText) throw new FieldError('address is required (no default Prometheus address is configured)');
  const address = readUrl(addressText, 'address');
  const query = requiredString(block, 'query');
  const timeoutSeconds = optionalSeconds(block, 'timeout', DEFAULT_PROMETHEUS_TIMEOUT_SECONDS);
  const insecure = optionalBoolean(block, 'insecure');
  const headers = readHeaders(block);

  // Credentials in the address work as in Go's client (basic auth) but must not travel in the URL.
  let basic: { username: string; password: string } | undefined;
  if (address.username || address.password) {
    basic = { username: decodeURIComponent(address.username), password: decodeURIComponent(address.password) };
    address.username = '';
    address.password = '';
  }
  const auth = optionalRecord(block, 'authentication');
  if (auth) {
    for (const kind of ['sigv4', 'oauth2'] as const) {
      const cfg = optionalRecord(auth, kind);
      if (cfg && Object.values(cfg).some((v) => v !== '' && v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))) {
        throw new FieldError(`authentication.${kind} is not supported (basicAuth is)`);
      }
    }
    const basicAuth = optionalRecord(auth, 'basicAuth');
    if (basicAuth) {
      const username = optionalString(basicAuth, 'username') ?? '';
      const password = optionalString(basicAuth, 'password') ?? '';
      if (username || password) basic = { username, password };
    }
  }
  if (basic) headers.Authorization = `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;

  const metadata: Record<string, string> = { [RESOLVED_PROMETHEUS_QUERY]: query };
  const form = new URLSearchParams({ query });
  const range = optionalRecord(block, 'rangeQuery');
  const base = address.pathname.replace(/\/+$/, '');
  let path: string;
  if (range) {
    const start = parseRangeTime(requiredString(range, 'start'), now);
    if (!start.ok) throw new FieldError(`rangeQuery.start: ${start.error}`);
    const end = parseRangeTime(requiredString(range, 'end'), now);
    if (!end.ok) throw new FieldError(`rangeQuery.end: ${end.error}`);
    const step = parseRangeStep(requiredString(range, 'step'));
    if (!step.ok) throw new FieldError(`rangeQuery.step: ${step.error}`);
    if (end.value < start.value) throw new FieldError('rangeQuery.end is before rangeQuery.start');
    form.set('start', unixSeconds(start.value));
    form.set('end', unixSeconds(end.value));
    form.set('step', String(step.value));
    metadata.ResolvedPrometheusRange = `${start.value.toISOString()} to ${end.value.toISOString()} step ${step.value}s`;
    path = `${base}/api/v1/query_range`;
  } else {
    form.set('time', unixSeconds(now));
    path = `${base}/api/v1/query`;
  }
  const endpoint = new URL(address.toString());
  endpoint.pathname = path;
  endpoint.search = '';
  endpoint.hash = '';
  return { endpoint, form, headers, insecure, timeoutSeconds, metadata };
}

export function createPrometheusProvider(options: PrometheusProviderOptions = {}): MetricProvider {
  const send = options.request ?? sendHttpRequest;
  const now = options.now ?? (() => new Date());

  async function exchange(p: PrometheusQueryPlan, signal: AbortSignal): Promise<HttpResponse> {
    const post = await send({
      url: p.endpoint,
      method: 'POST',
      headers: { ...p.headers, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: p.form.toString(),
      insecure: p.insecure,
      signal,
    });
    // Some Prometheus-compatible fronts only allow GET; the Go client falls back the same way.
    if (post.status !== 405 && post.status !== 501) return post;
    const url = new URL(p.endpoint.toString());
    url.search = p.form.toString();
    return await send({ url, method: 'GET', headers: { ...p.headers, Accept: 'application/json' }, insecure: p.insecure, signal });
  }

  async function run(metric: MetricRequest, ctx: MetricRunContext): Promise<Measurement> {
    const started = now();
    const startedAt = formatTime(started);
    const fail = (message: string, metadata?: Record<string, string>): Measurement => ({
      status: 'error',
      message,
      startedAt,
      finishedAt: formatTime(now()),
      ...(metadata ? { metadata } : {}),
    });

    let p: PrometheusQueryPlan;
    try {
      p = plan(metric.provider, started, options.defaultAddress);
    } catch (err) {
      return fail(`invalid prometheus provider: ${err instanceof FieldError ? err.message : describeNetworkError(err)}`);
    }
    const where = redactUrl(p.endpoint);
    const deadline = deadlineSignal(p.timeoutSeconds * 1000, ctx.signal);
    let answer: HttpResponse;
    try {
      answer = await exchange(p, deadline.signal);
    } catch (err) {
      if (deadline.timedOut()) return fail(`prometheus query timed out after ${p.timeoutSeconds}s (${where})`, p.metadata);
      if (ctx.signal?.aborted) return fail(`prometheus query aborted (${where})`, p.metadata);
      return fail(`prometheus query failed: ${describeNetworkError(err)} (${where})`, p.metadata);
    }
    const parsed = parsePrometheusAnswer(answer.status, answer.body);
    if (!parsed.ok) return fail(`${parsed.error} (${where})`, p.metadata);
    const metadata = { ...p.metadata };
    // Argo's format: "w1", "w2".
    if (parsed.warnings.length) metadata.warnings = parsed.warnings.map((w) => `"${w}"`).join(', ');
    return { status: 'measured', result: parsed.result, value: parsed.value, metadata, startedAt, finishedAt: formatTime(now()) };
  }

  return {
    type: 'prometheus',
    // The contract says run never rejects; this catch keeps it true for bugs too.
    run: (metric, ctx) =>
      run(metric, ctx).catch((err: unknown) => ({
        status: 'error' as const,
        message: `prometheus provider failed: ${err instanceof Error ? err.message : String(err)}`,
        startedAt: formatTime(now()),
        finishedAt: formatTime(now()),
      })),
  };
}
