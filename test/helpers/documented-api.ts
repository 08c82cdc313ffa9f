// An HTTP test double for a REST API described by hand from its published docs (GitLab, Gitea have
// no machine-readable description bundled here): each route names its doc page, its query
// parameters and its JSON body schema. Requests outside the routes, unknown query parameters,
// invalid bodies or a wrong token are recorded as violations (tests assert none) and answered 404
// or 400; valid ones go to the double's handler.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';

export interface DocumentedRoute {
  /** e.g. `POST /api/v4/projects/:id/statuses/:sha` */
  route: string;
  /** The page that documents it. */
  doc: string;
  /** Allowed query parameters: a type or a list of allowed values. */
  query?: Record<string, 'string' | 'integer' | readonly string[]>;
  /** JSON Schema of the body; absent: the route takes none. */
  body?: Record<string, unknown>;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface DocumentedApiDouble {
  url: string;
  violations: string[];
  requests: Array<{ route: string; path: string; body?: unknown; status: number }>;
  close(): Promise<void>;
}

interface Compiled {
  def: DocumentedRoute;
  method: string;
  regex: RegExp;
  names: string[];
  body?: ValidateFunction;
}

export async function startDocumentedApiDouble(opts: {
  routes: DocumentedRoute[];
  authorized(headers: IncomingHttpHeaders): boolean;
  handle(route: string, params: Record<string, string>, query: URLSearchParams, body: Record<string, unknown> | undefined, url: string): Answer;
}): Promise<DocumentedApiDouble> {
  const ajv = new Ajv({ allErrors: true });
  const compiled: Compiled[] = opts.routes.map((def) => {
    const [method = '', path = ''] = def.route.split(' ');
    const names: string[] = [];
    const source = path.replace(/:([a-z_]+)/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { def, method, regex: new RegExp(`^${source}$`), names, ...(def.body ? { body: ajv.compile(def.body) } : {}) };
  });
  const violations: string[] = [];
  const requests: DocumentedApiDouble['requests'] = [];
  let url = '';

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = new URL(req.url ?? '/', url);
    const method = req.method ?? 'GET';
    // The raw path: an encoded `acme%2Fdeploy` must stay one segment.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    let body: Record<string, unknown> | undefined;
    const answer = (a: Answer, route = `${method} ${rawPath}`) => {
      requests.push({ route, path: rawPath, ...(body !== undefined ? { body } : {}), status: a.status });
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body === undefined ? '' : JSON.stringify(a.body));
    };
    if (!opts.authorized(req.headers)) {
      violations.push(`${method} ${rawPath}: wrong or missing token`);
      return answer({ status: 401, body: { message: '401 Unauthorized' } });
    }
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        violations.push(`${method} ${rawPath}: body is not JSON`);
        return answer({ status: 400, body: { message: 'body is not JSON' } });
      }
    }
    const match = compiled.map((c) => ({ c, m: c.method === method ? c.regex.exec(rawPath) : null })).find((x) => x.m);
    if (!match?.m) {
      violations.push(`${method} ${rawPath}: not a documented route`);
      return answer({ status: 404, body: { message: '404 Not Found' } });
    }
    const { c, m } = match;
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? '')));
    const problems: string[] = [];
    for (const key of new Set(target.searchParams.keys())) {
      const type = c.def.query?.[key];
      const value = target.searchParams.get(key) ?? '';
      if (!type) problems.push(`unknown query parameter ${key}`);
      else if (type === 'integer' && !/^\d+$/.test(value)) problems.push(`query parameter ${key}=${value} is not an integer`);
      else if (Array.isArray(type) && !type.includes(value)) problems.push(`query parameter ${key}=${value} is not one of ${type.join(', ')}`);
    }
    if (c.body) {
      if (body === undefined) problems.push('missing body');
      else if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) problems.push(`body sent as ${req.headers['content-type'] ?? 'no content type'}`);
      else if (!c.body(body)) problems.push(`invalid body: ${ajv.errorsText(c.body.errors)}`);
    } else if (body !== undefined) problems.push('the route takes no body');
    if (problems.length) {
      violations.push(...problems.map((p) => `${c.def.route} (${c.def.doc}): ${p}`));
      return answer({ status: 400, body: { message: problems.join('; ') } }, c.def.route);
    }
    try {
      answer(opts.handle(c.def.route, params, target.searchParams, body, url), c.def.route);
    } catch (err) {
      violations.push(`double failed: ${(err as Error).stack ?? String(err)}`);
      answer({ status: 500 }, c.def.route);
    }
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    violations,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
