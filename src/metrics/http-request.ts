// One HTTP exchange for the metric providers, on node:http/https rather than global fetch:
// `insecure: true` (skip TLS verification, as Argo's InsecureSkipVerify) needs `rejectUnauthorized`,
// which fetch only offers through an undici Agent, and undici is not a dependency.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** Aborts the whole exchange, body included. */
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
}

export type SendHttpRequest = (req: HttpRequest) => Promise<HttpResponse>;

/** A metric answer is small; anything bigger is a misconfigured query, not a measurement. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export const sendHttpRequest: SendHttpRequest = (req) =>
  new Promise<HttpResponse>((resolve, reject) => {
    if (req.signal.aborted) {
      reject(req.signal.reason);
      return;
    }
    const isHttps = req.url.protocol === 'https:';
    if (!isHttps && req.url.protocol !== 'http:') {
      reject(new Error(`unsupported URL scheme '${req.url.protocol}' (use http or https)`));
      return;
    }
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = Buffer.byteLength(req.body);
    const options = { method: req.method, headers, signal: req.signal, ...(isHttps ? { rejectUnauthorized: !req.insecure } : {}) };
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          res.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }),
      );
    };
    const clientRequest = isHttps ? httpsRequest(req.url, options, onResponse) : httpRequest(req.url, options, onResponse);
    clientRequest.on('error', reject);
    clientRequest.end(req.body);
  });

/**
 * A signal that fires after `timeoutMs` or when `outer` fires, and a function that tells which
 * happened, so messages can say "timed out after 30s" rather than "aborted".
 */
export function deadlineSignal(timeoutMs: number, outer: AbortSignal | undefined): { signal: AbortSignal; timedOut: () => boolean } {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
  return { signal, timedOut: () => timeout.aborted && !outer?.aborted };
}

/** The network error in words: `connect ECONNREFUSED 127.0.0.1:9` rather than a bare "fetch failed". */
export function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** A URL without user:password, safe for messages. */
export function redactUrl(url: URL): string {
  if (!url.username && !url.password) return url.toString();
  const copy = new URL(url.toString());
  copy.username = '';
  copy.password = '';
  return copy.toString();
}

/** The first `max` characters of a body, on one line, for error messages. */
export function excerpt(body: string, max = 200): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
