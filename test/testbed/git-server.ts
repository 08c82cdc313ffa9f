// A real Git smart-HTTP server for tests, benchmarks and the demo: Node `http` in front of git's own
// git-http-backend (CGI), with basic auth like a private repository on a Git host, and per-request
// counters so benchmarks can assert what a poll costs on the wire.
import { spawn, execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { access, constants, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';

export interface GitServerOptions {
  /** Directory holding the bare repositories (`NAME.git`); default: a fresh temp dir. */
  root?: string;
  /** Port on 127.0.0.1; default 0 (a free port, kept across stop/start). */
  port?: number;
  /** Basic-auth accounts; default `{ sluice: 'sluice-password' }`. */
  users?: Record<string, string>;
  /** Let anyone fetch without credentials (pushes still need them); default false. */
  anonymousRead?: boolean;
  /** git-http-backend binary; default `$(git --exec-path)/git-http-backend`. */
  backendPath?: string;
  /** A backend run that takes longer than this is killed and answered with 504; default 120 s. */
  requestTimeoutMs?: number;
}

export type GitService = 'info-refs' | 'upload-pack' | 'receive-pack' | 'other';

export interface GitRequestRecord {
  method: string;
  /** URL path, without the query string. */
  path: string;
  service: GitService;
  /** For `info-refs`: which service's refs were advertised. */
  advertised?: 'git-upload-pack' | 'git-receive-pack';
  /** Authenticated user, if any. */
  user?: string;
  /** Request `Content-Encoding` (native git gzips large upload-pack requests). */
  contentEncoding?: string;
  /** Git protocol the client asked for through the `Git-Protocol` header (`version=2`). */
  gitProtocol?: string;
  /** HTTP status; 0 while the backend has not answered yet. */
  status: number;
  /** Request body bytes as received (compressed, if the client compressed them). */
  bytesIn: number;
  /** Response body bytes sent. */
  bytesOut: number;
  /** Why the backend failed, when it did. */
  error?: string;
}

export interface GitServerTotals {
  requests: number;
  infoRefs: number;
  uploadPack: number;
  receivePack: number;
  unauthorized: number;
  bytesIn: number;
  bytesOut: number;
  /** Bytes of upload-pack responses: what fetches and clones downloaded after ref discovery. */
  packBytesOut: number;
  /** Bytes of receive-pack requests: what pushes uploaded. */
  packBytesIn: number;
}

export interface GitServerStats {
  /** Every request since the last `resetStats()`, in arrival order (live: counts grow as bytes flow). */
  readonly requests: GitRequestRecord[];
  /** Computed from `requests` on each read. */
  readonly totals: GitServerTotals;
}

export interface GitServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly root: string;
  /** The first account, for clients (isomorphic-git `onAuth`, native git). */
  readonly credentials: { username: string; password: string };
  readonly listening: boolean;
  /** `${url}/${name}.git`; with `{ auth: true }` the default credentials are embedded in it. */
  repoUrl(name: string, opts?: { auth?: boolean }): string;
  /** Creates the bare repo `NAME.git` with pushes enabled; idempotent. Returns its directory. */
  createRepo(name: string, opts?: { defaultBranch?: string }): Promise<string>;
  /** Listens again on the same port (no-op if listening). */
  start(): Promise<void>;
  /** Stops listening and drops open connections; repositories stay. */
  stop(): Promise<void>;
  /** `stop()`, then deletes the root if this server created it. */
  close(): Promise<void>;
  readonly stats: GitServerStats;
  resetStats(): void;
}

const DEFAULT_USERS: Record<string, string> = { sluice: 'sluice-password' };
const REALM = 'sluice-test';
const STDERR_TAIL = 2000;

export async function startGitServer(options: GitServerOptions = {}): Promise<GitServer> {
  const users = options.users ?? DEFAULT_USERS;
  const firstUser = Object.entries(users)[0];
  if (!firstUser) throw new Error('git server: `users` must hold at least one account');
  const anonymousRead = options.anonymousRead ?? false;
  const requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
  const ownsRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'sluice-git-')));
  await mkdir(root, { recursive: true });
  let port = options.port ?? 0;

  const fail = (what: string, stderr?: string): Error =>
    new Error(`git server (127.0.0.1:${port}): ${what}${stderr?.trim() ? `\n--- stderr tail ---\n${tail(stderr)}` : ''}`);

  const backend = options.backendPath ?? join(await gitExecPath(), 'git-http-backend');

  const requests: GitRequestRecord[] = [];
  const stats: GitServerStats = {
    requests,
    get totals() {
      return totalsOf(requests);
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record: GitRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      service: serviceOf(req.method, url),
      status: 0,
      bytesIn: 0,
      bytesOut: 0,
    };
    const advertised = url.searchParams.get('service');
    if (advertised === 'git-upload-pack' || advertised === 'git-receive-pack') record.advertised = advertised;
    const encoding = req.headers['content-encoding'];
    if (encoding) record.contentEncoding = encoding;
    const gitProtocol = req.headers['git-protocol'];
    if (typeof gitProtocol === 'string') record.gitProtocol = gitProtocol;
    requests.push(record);
    // Counted as the data arrives, so the numbers are final by the time a client has its answer.
    req.on('data', (chunk: Buffer) => (record.bytesIn += chunk.length));

    const user = authenticate(req.headers.authorization, users);
    const isPush = record.service === 'receive-pack' || record.advertised === 'git-receive-pack';
    const allowed = user !== undefined || (anonymousRead && !isPush && req.headers.authorization === undefined);
    if (!allowed) {
      record.status = 401;
      const body = 'authentication required\n';
      record.bytesOut = body.length;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': `Basic realm="${REALM}"`, 'Content-Type': 'text/plain' });
      res.end(body);
      return;
    }
    if (user !== undefined) record.user = user;
    runBackend(req, res, url, record);
  };

  const runBackend = (req: IncomingMessage, res: ServerResponse, url: URL, record: GitRequestRecord): void => {
    let pathInfo: string;
    try {
      pathInfo = decodeURIComponent(url.pathname);
    } catch {
      record.status = 400;
      req.resume();
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad path\n');
      return;
    }
    const env: NodeJS.ProcessEnv = {
      // A clean environment: a GIT_DIR or global config leaking in from the caller must not change the server.
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      REQUEST_METHOD: record.method,
      PATH_INFO: pathInfo,
      QUERY_STRING: url.search.slice(1),
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    };
    if (record.user !== undefined) env.REMOTE_USER = record.user;
    if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
    // Without a length (chunked bodies from native git), the backend reads stdin to EOF.
    if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
    if (record.contentEncoding) env.HTTP_CONTENT_ENCODING = record.contentEncoding;
    if (record.gitProtocol) env.GIT_PROTOCOL = record.gitProtocol;

    const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let head: Buffer = Buffer.alloc(0);
    let headersSent = false;
    let finished = false;

    const failRequest = (status: number, what: string): void => {
      record.error = fail(what, stderr).message;
      if (finished) return;
      finished = true;
      if (!headersSent) {
        record.status = status;
        headersSent = true;
        const body = `${record.error}\n`;
        record.bytesOut += Buffer.byteLength(body);
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(body);
      } else {
        // Too late for a status: cut the body short so the client sees a broken response, not a valid one.
        res.destroy();
      }
    };

    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      failRequest(504, `git-http-backend took longer than ${requestTimeoutMs} ms for ${record.method} ${record.path}`);
    }, requestTimeoutMs);

    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL)));
    child.stdin.on('error', () => undefined); // EPIPE when the backend answers without reading the body
    req.pipe(child.stdin);
    // Client gone (or stop()): the backend's work is pointless.
    res.on('close', () => {
      if (!res.writableFinished) child.kill('SIGKILL');
    });

    child.stdout.on('data', (chunk: Buffer) => {
      if (finished) return;
      if (!headersSent) {
        head = Buffer.concat([head, chunk]);
        const parsed = parseCgiHead(head);
        if (!parsed) return;
        headersSent = true;
        record.status = parsed.status;
        res.writeHead(parsed.status, parsed.headers);
        chunk = parsed.rest;
        if (chunk.length === 0) return;
      }
      record.bytesOut += chunk.length;
      if (!res.write(chunk)) {
        child.stdout.pause();
        res.once('drain', () => child.stdout.resume());
      }
    });

    child.on('error', (err) => {
      clearTimeout(timer);
      failRequest(500, `cannot run git-http-backend (${backend}): ${err.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (finished) return;
      if (!headersSent) {
        failRequest(502, `git-http-backend exited (${signal ?? `code ${code}`}) without a CGI response for ${record.method} ${record.path}`);
        return;
      }
      if (code !== 0) record.error = fail(`git-http-backend exited with ${signal ?? `code ${code}`}`, stderr).message;
      finished = true;
      res.end();
    });
  };

  let server: Server | undefined;
  const sockets = new Set<Socket>();

  const start = async (): Promise<void> => {
    if (server) return;
    const srv = createServer(handle);
    // Longer than the client agents' idle timeout, so a pooled connection is never closed under a request.
    srv.keepAliveTimeout = 30_000;
    srv.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    srv.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (err: NodeJS.ErrnoException) =>
        reject(fail(err.code === 'EADDRINUSE' ? 'port is already in use' : `cannot listen: ${err.message}`)),
      );
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    const address = srv.address();
    if (address && typeof address === 'object') port = address.port;
    server = srv;
  };

  const stop = async (): Promise<void> => {
    const srv = server;
    if (!srv) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  // Listen first so that a failed self-check can name the port.
  try {
    await start();
    await selfCheck(backend, root).catch((err: Error & { stderr?: string }) => {
      throw fail(err.message, err.stderr);
    });
  } catch (err) {
    await stop();
    if (ownsRoot) await rm(root, { recursive: true, force: true });
    throw err;
  }

  const repoDir = (name: string): string => join(root, `${checkRepoName(name)}.git`);

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    root,
    credentials: { username: firstUser[0], password: firstUser[1] },
    get listening() {
      return server !== undefined;
    },
    repoUrl(name, opts) {
      const auth = opts?.auth ? `${encodeURIComponent(firstUser[0])}:${encodeURIComponent(firstUser[1])}@` : '';
      return `http://${auth}127.0.0.1:${port}/${checkRepoName(name)}.git`;
    },
    async createRepo(name, opts) {
      const dir = repoDir(name);
      const exists = await stat(join(dir, 'HEAD')).then(() => true, () => false);
      if (!exists) {
        await git(['init', '--quiet', '--bare', `--initial-branch=${opts?.defaultBranch ?? 'main'}`, dir]);
      }
      await git(['-C', dir, 'config', 'http.receivepack', 'true']);
      return dir;
    },
    start,
    stop,
    async close() {
      await stop();
      if (ownsRoot) await rm(root, { recursive: true, force: true });
    },
    stats,
    resetStats() {
      requests.length = 0;
    },
  };
}

function serviceOf(method: string | undefined, url: URL): GitService {
  if (method === 'GET' && url.pathname.endsWith('/info/refs')) return 'info-refs';
  if (method === 'POST' && url.pathname.endsWith('/git-upload-pack')) return 'upload-pack';
  if (method === 'POST' && url.pathname.endsWith('/git-receive-pack')) return 'receive-pack';
  return 'other';
}

/** The user name when the Basic credentials match an account; compared in constant time. */
function authenticate(header: string | undefined, users: Record<string, string>): string | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const name = decoded.slice(0, colon);
  const given = decoded.slice(colon + 1);
  // Hashing first gives equal lengths, and an unknown user costs the same comparison as a known one.
  const expected = Object.hasOwn(users, name) ? users[name] : undefined;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  const same = timingSafeEqual(digest(given), digest(expected ?? `\0unknown-user\0${given}`));
  return same && expected !== undefined ? name : undefined;
}

/** Splits a CGI response into status, headers and the start of the body; undefined until the blank line arrived. */
function parseCgiHead(buf: Buffer): { status: number; headers: Record<string, string>; rest: Buffer } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, len: 4 } : lf >= 0 ? { at: lf, len: 2 } : undefined;
  if (!end) return undefined;
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of buf.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers, rest: buf.subarray(end.at + end.len) };
}

function totalsOf(requests: GitRequestRecord[]): GitServerTotals {
  const t: GitServerTotals = {
    requests: requests.length,
    infoRefs: 0,
    uploadPack: 0,
    receivePack: 0,
    unauthorized: 0,
    bytesIn: 0,
    bytesOut: 0,
    packBytesOut: 0,
    packBytesIn: 0,
  };
  for (const r of requests) {
    t.bytesIn += r.bytesIn;
    t.bytesOut += r.bytesOut;
    if (r.status === 401) t.unauthorized++;
    if (r.service === 'info-refs') t.infoRefs++;
    if (r.service === 'upload-pack') {
      t.uploadPack++;
      t.packBytesOut += r.bytesOut;
    }
    if (r.service === 'receive-pack') {
      t.receivePack++;
      t.packBytesIn += r.bytesIn;
    }
  }
  return t;
}

// Names become paths under the root, so only plain segments are accepted.
function checkRepoName(name: string): string {
  const bare = name.replace(/\.git$/, '');
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/.test(bare) || bare.split('/').some((s) => s.includes('..'))) {
    throw new Error(`git server: invalid repository name ${JSON.stringify(name)}`);
  }
  return bare;
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const GIT_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

async function git(args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile('git', args, { env: GIT_ENV }, (err, stdout, stderr) =>
      err ? reject(new Error(`git server: git ${args.join(' ')} failed: ${tail(stderr) || err.message}`)) : resolve(stdout.trim()),
    );
  });
}

async function gitExecPath(): Promise<string> {
  return await git(['--exec-path']).catch(() => '/usr/lib/git-core');
}

/** Runs the backend once against a missing repo: it must answer with a CGI 404, proving it can serve. */
async function selfCheck(backend: string, root: string): Promise<void> {
  await access(backend, constants.X_OK).catch(() => {
    throw new Error(`git-http-backend not found or not executable at ${backend}`);
  });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(backend, [], {
      env: {
        ...GIT_ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: 'GET',
        PATH_INFO: '/.sluice-self-check.git/info/refs',
        QUERY_STRING: 'service=git-upload-pack',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('latin1')));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-STDERR_TAIL)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`cannot run git-http-backend (${backend}): ${err.message}`), { stderr }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (/^Status:\s*404/m.test(stdout)) resolve();
      else reject(Object.assign(new Error(`git-http-backend (${backend}) failed its self-check (${signal ?? `exit code ${code}`})`), { stderr }));
    });
  });
}
