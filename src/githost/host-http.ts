// The HTTP underneath every host client: fetch with a timeout, one metric per answer, and (for the
// hand-written GitLab and Gitea clients) JSON in and out with errors as HostApiError. Tokens travel
// only in the headers given by the caller and never reach an error message.
import type { GitHostType } from '../config/config-types.ts';
import { HostApiError } from './host-client.ts';
import { requestResult, type GitHostMetrics } from './githost-metrics.ts';

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface HostFetchOptions {
  host: GitHostType;
  timeoutMs: number;
  metrics: GitHostMetrics;
  /** Injected for tests; default the global fetch. */
  fetch?: FetchFn | undefined;
}

/** fetch with a per-request timeout that counts every answer (and every failure to get one). */
export function createHostFetch(opts: HostFetchOptions): FetchFn {
  const base = opts.fetch ?? globalThis.fetch;
  return async (input, init = {}) => {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      const res = await base(input, { ...init, signal });
      opts.metrics.request(opts.host, requestResult(res.status));
      return res;
    } catch (err) {
      opts.metrics.request(opts.host, 'error');
      throw err;
    }
  };
}

export interface JsonResponse<T> {
  status: number;
  data: T;
  headers: Headers;
}

const describeUrl = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

/** One JSON request; a non-2xx answer or no answer becomes a HostApiError naming method, path and the host's message. */
export async function requestJson<T>(
  fetchFn: FetchFn,
  method: string,
  url: string,
  opts: { headers: Record<string, string>; body?: unknown },
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'sluice', ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetchFn(url, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  } catch (err) {
    const e = err as Error;
    const why = e.name === 'TimeoutError' ? 'timed out' : (e.cause as Error | undefined)?.message ?? e.message;
    throw new HostApiError(0, `${method} ${describeUrl(url)}: ${why}`);
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) throw new HostApiError(res.status, `${method} ${describeUrl(url)}: HTTP ${res.status}${hostMessage(data)}`);
  return { status: res.status, data: data as T, headers: res.headers };
}

/** GitLab says `{message}` or `{error}`, Gitea `{message}`; keep it to one short line. */
function hostMessage(data: unknown): string {
  let m: unknown = data;
  if (data && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    m = d.message ?? d.error;
  }
  if (m === undefined || m === null || m === '') return '';
  const s = (typeof m === 'string' ? m : JSON.stringify(m)).replace(/\s+/g, ' ').trim();
  return `: ${s.length > 200 ? `${s.slice(0, 200)}…` : s}`;
}

/** Collects a paged list: asks for pages until one comes back short (both GitLab and Gitea page this way). */
export async function allPages<T>(fetchPage: (page: number) => Promise<T[]>, perPage: number, maxPages = 50): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const items = await fetchPage(page);
    all.push(...items);
    if (items.length < perPage) break;
  }
  return all;
}
