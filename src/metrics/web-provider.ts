// The `web` metric provider: one HTTP request per measurement; the answer's JSON, narrowed by a
// Kubernetes jsonPath (default `{$}`), is `result`. As in Argo's webmetric: a body that is not JSON
// is `result` as a raw string (jsonPath is then not applied), and `value` is the JSON encoding of
// the value found.
import type { Measurement, MetricProvider, MetricRequest, MetricRunContext } from '../ports/metric-provider.ts';
import { formatTime } from '../engine/time.ts';
import { deadlineSignal, describeNetworkError, excerpt, redactUrl, sendHttpRequest, type HttpResponse, type SendHttpRequest } from './http-request.ts';
import { FieldError, optionalBoolean, optionalRecord, optionalSeconds, optionalString, readHeaders, readUrl, requiredString } from './provider-fields.ts';
import { compileJsonPath, evaluateJsonPath } from './kube-jsonpath.ts';

export const DEFAULT_WEB_TIMEOUT_SECONDS = 10;
const METHODS = ['GET', 'POST', 'PUT'];

export interface WebProviderOptions {
  request?: SendHttpRequest;
  now?: () => Date;
}

interface WebRequestPlan {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  insecure: boolean;
  timeoutSeconds: number;
  steps: Extract<ReturnType<typeof compileJsonPath>, { ok: true }>['steps'];
}

function plan(block: Record<string, unknown>): WebRequestPlan {
  const url = readUrl(requiredString(block, 'url'), 'url');
  // fetch-style clients refuse user:password in URLs; Go sends it as basic auth, so do the same.
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  Object.assign(headers, readHeaders(block));
  const method = (optionalString(block, 'method') || 'GET').toUpperCase();
  if (!METHODS.includes(method)) throw new FieldError(`method must be one of ${METHODS.join(', ')}`);

  const auth = optionalRecord(block, 'authentication');
  const oauth2 = auth && optionalRecord(auth, 'oauth2');
  if (oauth2 && Object.values(oauth2).some((v) => v !== '' && v !== null && v !== undefined)) throw new FieldError('authentication.oauth2 is not supported');

  const text = optionalString(block, 'body');
  const json = block.jsonBody;
  const hasText = text !== undefined && text !== '';
  const hasJson = json !== undefined && json !== null;
  if (hasText && hasJson) throw new FieldError('use either body or jsonBody, not both');
  if ((hasText || hasJson) && method === 'GET') throw new FieldError('body is not allowed with GET (use POST or PUT)');
  let body: string | undefined;
  if (hasText) body = text;
  if (hasJson) {
    if (typeof json !== 'object') throw new FieldError('jsonBody must be a JSON object or list');
    body = JSON.stringify(json);
    // As Argo: jsonBody always goes out as application/json, whatever the headers say.
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-type') delete headers[name];
    headers['Content-Type'] = 'application/json';
  }

  const path = compileJsonPath(optionalString(block, 'jsonPath') || '{$}');
  if (!path.ok) throw new FieldError(path.error);
  return {
    url,
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    insecure: optionalBoolean(block, 'insecure'),
    timeoutSeconds: optionalSeconds(block, 'timeoutSeconds', DEFAULT_WEB_TIMEOUT_SECONDS),
    steps: path.steps,
  };
}

export function createWebProvider(options: WebProviderOptions = {}): MetricProvider {
  const send = options.request ?? sendHttpRequest;
  const now = options.now ?? (() => new Date());

  async function run(metric: MetricRequest, ctx: MetricRunContext): Promise<Measurement> {
    const startedAt = formatTime(now());
    const fail = (message: string): Measurement => ({ status: 'error', message, startedAt, finishedAt: formatTime(now()) });

    let p: WebRequestPlan;
    try {
      p = plan(metric.provider);
    } catch (err) {
      return fail(`invalid web provider: ${err instanceof FieldError ? err.message : describeNetworkError(err)}`);
    }
    const where = `${p.method} ${redactUrl(p.url)}`;
    const deadline = deadlineSignal(p.timeoutSeconds * 1000, ctx.signal);
    let answer: HttpResponse;
    try {
      answer = await send({ url: p.url, method: p.method, headers: p.headers, ...(p.body !== undefined ? { body: p.body } : {}), insecure: p.insecure, signal: deadline.signal });
    } catch (err) {
      if (deadline.timedOut()) return fail(`web metric timed out after ${p.timeoutSeconds}s (${where})`);
      if (ctx.signal?.aborted) return fail(`web metric aborted (${where})`);
      return fail(`web metric request failed: ${describeNetworkError(err)} (${where})`);
    }
    if (answer.status < 200 || answer.status >= 300) {
      const body = excerpt(answer.body);
      return fail(`received non 2xx response code: ${answer.status} (${where})${body ? `: ${body}` : ''}`);
    }

    let data: unknown;
    try {
      data = JSON.parse(answer.body);
    } catch {
      // Argo: a body that is not JSON is the result as it came.
      return { status: 'measured', result: answer.body, value: answer.body, startedAt, finishedAt: formatTime(now()) };
    }
    const found = evaluateJsonPath(p.steps, data);
    if (!found.ok) return fail(`could not find JSONPath in body: ${found.error}`);
    if (found.values.length === 0) return fail('result of web metric produced no value');
    const result = found.values[0];
    return { status: 'measured', result, value: JSON.stringify(result) ?? 'null', startedAt, finishedAt: formatTime(now()) };
  }

  return {
    type: 'web',
    // The contract says run never rejects; this catch keeps it true for bugs too.
    run: (metric, ctx) =>
      run(metric, ctx).catch((err: unknown) => ({
        status: 'error' as const,
        message: `web provider failed: ${err instanceof Error ? err.message : String(err)}`,
        startedAt: formatTime(now()),
        finishedAt: formatTime(now()),
      })),
  };
}
