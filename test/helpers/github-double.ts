// A GitHub REST API stand-in for tests: a real HTTP server keeping pull requests, comments,
// reactions, commit statuses and collaborators in memory, implementing only the operations Sluice
// uses. Every request is checked against GitHub's OpenAPI description (method and path, path and
// query parameters, JSON body); anything the description does not allow, an operation the double
// does not implement, or a wrong token is recorded in `violations` (tests assert it stays empty)
// and answered as GitHub would (404 or 422). Answers are built from GitHub's own documented
// examples and checked against the response schemas too, so the double cannot drift from GitHub.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { githubOpenApi, type MatchedOperation } from './openapi-validator.ts';

export type GitHubRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

export interface DoublePullRequest {
  number: number;
  state: 'open' | 'closed';
  headSha: string;
  headRef: string;
  baseRef: string;
  mergedAt?: string;
  mergeCommitSha?: string;
  /** Commits GitHub associates with the pull request (its commits, and the merge commit once merged). */
  commits: string[];
}

export interface DoubleComment {
  id: number;
  issue: number;
  user: string;
  body: string;
  /** Every body the comment had, oldest first (the creation, then each edit). */
  history: string[];
  reactions: Array<{ user: string; content: string }>;
}

export interface DoubleStatus {
  sha: string;
  state: string;
  context: string;
  description?: string | null;
  targetUrl?: string | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  operationId?: string;
  body?: unknown;
  status: number;
}

export interface GitHubDouble {
  /** Base URL for `host.apiUrl`. */
  url: string;
  readonly token: string;
  /** `owner/name` of the one repository the double hosts. */
  readonly repository: string;
  /** The login the token belongs to: authors Sluice's comments and reactions. */
  readonly botLogin: string;
  violations: string[];
  requests: RecordedRequest[];
  addPullRequest(pr: DoublePullRequest): void;
  setRole(user: string, role: GitHubRole): void;
  /** A person's comment (as if written on github.com); returns it, e.g. to deliver its webhook. */
  addComment(issue: number, user: string, body: string): DoubleComment;
  comments(issue: number): DoubleComment[];
  statuses(sha: string): DoubleStatus[];
  /** Answer the next `count` requests to this operation with `status` (e.g. 403 for a token without rights). */
  failNext(operationId: string, status: number, count?: number): void;
  close(): Promise<void>;
}

const NOW = '2026-01-01T00:00:00Z';

export async function startGitHubDouble(opts: { repository?: string; token?: string; botLogin?: string } = {}): Promise<GitHubDouble> {
  const api = githubOpenApi();
  const repository = opts.repository ?? 'acme/deploy';
  const token = opts.token ?? 'ghp_double_token_0123456789abcdefghij';
  const botLogin = opts.botLogin ?? 'sluice-bot';
  const [owner, repoName] = repository.split('/') as [string, string];
  const pulls: DoublePullRequest[] = [];
  const comments: DoubleComment[] = [];
  const statuses: DoubleStatus[] = [];
  const roles = new Map<string, GitHubRole>([[botLogin, 'write']]);
  const faults = new Map<string, { status: number; count: number }>();
  const violations: string[] = [];
  const requests: RecordedRequest[] = [];
  let nextId = 1000;
  let url = '';

  const user = (login: string) => {
    const u = api.example({ path: '/repos/{owner}/{repo}/issues/comments/{comment_id}', method: 'get' }, 200) as { user: Record<string, unknown> };
    return { ...u.user, login, id: [...login].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 1_000_000, url: `${url}/users/${login}`, html_url: `https://github.com/${login}` };
  };

  const commentJson = (c: DoubleComment) => {
    const body = api.example({ path: '/repos/{owner}/{repo}/issues/comments/{comment_id}', method: 'get' }, 200) as Record<string, unknown>;
    return {
      ...body,
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${url}/repos/${repository}/issues/comments/${c.id}`,
      html_url: `https://github.com/${repository}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${url}/repos/${repository}/issues/${c.issue}`,
      body: c.body,
      user: user(c.user),
      created_at: NOW,
      updated_at: NOW,
    };
  };

  const pullJson = (pr: DoublePullRequest) => {
    const [example] = api.example({ path: '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', method: 'get' }, 200) as Array<Record<string, unknown>>;
    const head = example?.head as Record<string, unknown>;
    const base = example?.base as Record<string, unknown>;
    return {
      ...example,
      id: pr.number * 1000,
      number: pr.number,
      state: pr.state,
      url: `${url}/repos/${repository}/pulls/${pr.number}`,
      html_url: `https://github.com/${repository}/pull/${pr.number}`,
      merged_at: pr.mergedAt ?? null,
      closed_at: pr.state === 'closed' ? (pr.mergedAt ?? NOW) : null,
      merge_commit_sha: pr.mergeCommitSha ?? null,
      // The example lists a team without `type`, which its own schema requires.
      requested_teams: [],
      head: { ...head, ref: pr.headRef, sha: pr.headSha, label: `${owner}:${pr.headRef}` },
      base: { ...base, ref: pr.baseRef, label: `${owner}:${pr.baseRef}` },
    };
  };

  type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
  const notFound = (): Answer => ({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });

  function handle(op: MatchedOperation, query: URLSearchParams, body: Record<string, unknown> | undefined): Answer {
    const p = op.params;
    if (p.owner !== owner || p.repo !== repoName) return notFound();
    switch (op.operationId) {
      case 'repos/list-pull-requests-associated-with-commit': {
        const sha = String(p.commit_sha);
        return { status: 200, body: pulls.filter((pr) => pr.commits.includes(sha) || pr.headSha === sha || pr.mergeCommitSha === sha).map(pullJson) };
      }
      case 'issues/list-comments': {
        const perPage = Number(query.get('per_page') ?? 30);
        const page = Number(query.get('page') ?? 1);
        const all = comments.filter((c) => c.issue === p.issue_number);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        // Octokit's paginate follows the Link header, as with GitHub.
        if (page * perPage < all.length) headers.link = `<${url}/repos/${repository}/issues/${p.issue_number}/comments?per_page=${perPage}&page=${page + 1}>; rel="next"`;
        return { status: 200, body: slice.map(commentJson), headers };
      }
      case 'issues/create-comment': {
        if (!pulls.some((pr) => pr.number === p.issue_number)) return notFound();
        const c: DoubleComment = { id: nextId++, issue: Number(p.issue_number), user: botLogin, body: String(body?.body), history: [String(body?.body)], reactions: [] };
        comments.push(c);
        return { status: 201, body: commentJson(c), headers: { location: `${url}/repos/${repository}/issues/comments/${c.id}` } };
      }
      case 'issues/get-comment':
      case 'issues/update-comment': {
        const c = comments.find((x) => x.id === p.comment_id);
        if (!c) return notFound();
        if (op.operationId === 'issues/update-comment') {
          c.body = String(body?.body);
          c.history.push(c.body);
        }
        return { status: 200, body: commentJson(c) };
      }
      case 'reactions/create-for-issue-comment': {
        const c = comments.find((x) => x.id === p.comment_id);
        if (!c) return notFound();
        const content = String(body?.content);
        const existing = c.reactions.some((r) => r.user === botLogin && r.content === content);
        if (!existing) c.reactions.push({ user: botLogin, content });
        const reaction = api.example({ path: op.path, method: 'post' }, 201) as Record<string, unknown>;
        return { status: existing ? 200 : 201, body: { ...reaction, content, user: user(botLogin), created_at: NOW } };
      }
      case 'repos/create-commit-status': {
        const s: DoubleStatus = { sha: String(p.sha), state: String(body?.state), context: String(body?.context ?? 'default'), description: (body?.description as string | null | undefined) ?? null, targetUrl: (body?.target_url as string | null | undefined) ?? null };
        statuses.push(s);
        const example = api.example({ path: op.path, method: 'post' }, 201) as Record<string, unknown>;
        return { status: 201, body: { ...example, id: nextId++, url: `${url}/repos/${repository}/statuses/${s.sha}`, state: s.state, context: s.context, description: s.description, target_url: s.targetUrl, creator: user(botLogin) } };
      }
      case 'repos/get-collaborator-permission-level': {
        const login = String(p.username);
        const role = roles.get(login);
        if (!role) return notFound();
        const example = api.example({ path: op.path, method: 'get' }, 200) as Record<string, unknown>;
        // GitHub folds maintain into write and triage into read in the legacy `permission` field.
        const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
        return { status: 200, body: { ...example, permission, role_name: role, user: { ...user(login), permissions: { admin: role === 'admin', maintain: role === 'admin' || role === 'maintain', push: ['admin', 'maintain', 'write'].includes(role), triage: role !== 'read', pull: true }, role_name: role } } };
      }
      default:
        violations.push(`${op.method.toUpperCase()} ${op.path} (${op.operationId}): a valid GitHub operation the double does not implement`);
        return notFound();
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = new URL(req.url ?? '/', url);
    const method = req.method ?? 'GET';
    const send = (answer: Answer, op?: MatchedOperation) => {
      requests.push({ method, path: target.pathname, ...(op ? { operationId: op.operationId } : {}), ...(raw ? { body: safeJson(raw) } : {}), status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-remaining': '4999', 'x-ratelimit-limit': '5000', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    };
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${token}` && auth !== `Bearer ${token}`) {
      violations.push(`${method} ${target.pathname}: wrong or missing token (authorization: ${auth ? auth.split(' ')[0] : 'none'})`);
      send({ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } });
      return;
    }
    let body: unknown;
    if (raw) {
      body = safeJson(raw);
      if (body === undefined) violations.push(`${method} ${target.pathname}: body is not JSON`);
    }
    const check = api.checkRequest(method, target.pathname, target.searchParams, req.headers['content-type'], body);
    violations.push(...check.violations);
    if (!check.operation) return send(notFound());
    const op = check.operation;
    if (check.violations.length) return send({ status: 422, body: { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest' } }, op);
    const fault = faults.get(op.operationId);
    if (fault && fault.count > 0) {
      fault.count--;
      return send({ status: fault.status, body: { message: fault.status === 403 ? 'Resource not accessible by personal access token' : 'Server Error', documentation_url: 'https://docs.github.com/rest' } }, op);
    }
    const answer = handle(op, target.searchParams, body as Record<string, unknown> | undefined);
    violations.push(...api.checkResponse(op, answer.status, answer.body));
    send(answer, op);
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      violations.push(`double failed: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    repository,
    botLogin,
    violations,
    requests,
    addPullRequest: (pr) => void pulls.push(pr),
    setRole: (login, role) => void roles.set(login, role),
    addComment(issue, login, body) {
      const c: DoubleComment = { id: nextId++, issue, user: login, body, history: [body], reactions: [] };
      comments.push(c);
      return c;
    },
    comments: (issue) => comments.filter((c) => c.issue === issue),
    statuses: (sha) => statuses.filter((s) => s.sha === sha),
    failNext: (operationId, status, count = 1) => void faults.set(operationId, { status, count }),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
