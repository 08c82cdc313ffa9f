// A Gitea REST API (v1) stand-in: pull requests, issue comments, reactions, commit statuses and
// collaborator permissions in memory, limited to the routes Sluice uses, each checked against
// Gitea's published API reference (https://docs.gitea.com/api/1.22/, swagger at /api/swagger).
import { startDocumentedApiDouble, type Answer, type DocumentedRoute } from './documented-api.ts';

const DOCS = 'https://docs.gitea.com/api/1.22';
const REACTIONS = ['+1', '-1', 'laugh', 'hooray', 'confused', 'heart', 'rocket', 'eyes'];
const ROUTES: DocumentedRoute[] = [
  { route: 'GET /api/v1/repos/:owner/:repo/commits/:sha/pull', doc: `${DOCS}/#tag/repository/operation/repoGetCommitPullRequest` },
  { route: 'GET /api/v1/repos/:owner/:repo/issues/:index/comments', doc: `${DOCS}/#tag/issue/operation/issueGetComments`, query: { since: 'string', before: 'string' } },
  {
    route: 'POST /api/v1/repos/:owner/:repo/issues/:index/comments',
    doc: `${DOCS}/#tag/issue/operation/issueCreateComment`,
    body: { type: 'object', required: ['body'], properties: { body: { type: 'string' } }, additionalProperties: false },
  },
  {
    route: 'PATCH /api/v1/repos/:owner/:repo/issues/comments/:id',
    doc: `${DOCS}/#tag/issue/operation/issueEditComment`,
    body: { type: 'object', required: ['body'], properties: { body: { type: 'string' } }, additionalProperties: false },
  },
  {
    route: 'POST /api/v1/repos/:owner/:repo/issues/comments/:id/reactions',
    doc: `${DOCS}/#tag/issue/operation/issuePostCommentReaction`,
    body: { type: 'object', properties: { content: { enum: REACTIONS } }, additionalProperties: false },
  },
  {
    route: 'POST /api/v1/repos/:owner/:repo/statuses/:sha',
    doc: `${DOCS}/#tag/repository/operation/repoCreateStatus`,
    body: {
      type: 'object',
      properties: { state: { enum: ['pending', 'success', 'error', 'failure', 'warning'] }, context: { type: 'string' }, description: { type: 'string' }, target_url: { type: 'string' } },
      additionalProperties: false,
    },
  },
  { route: 'GET /api/v1/repos/:owner/:repo/collaborators/:collaborator/permission', doc: `${DOCS}/#tag/repository/operation/repoGetRepoPermissions` },
];

export interface GiteaPull {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string;
  headRef: string;
  baseRef: string;
  mergeCommitSha?: string;
  commits: string[];
}

export interface GiteaComment {
  id: number;
  issue: number;
  user: string;
  body: string;
  history: string[];
  reactions: string[];
}

export async function startGiteaDouble(opts: { repository?: string; token?: string } = {}) {
  const repository = opts.repository ?? 'acme/deploy';
  const [owner, repo] = repository.split('/') as [string, string];
  const token = opts.token ?? 'gitea-double-token-0123456789';
  const pulls: GiteaPull[] = [];
  const comments: GiteaComment[] = [];
  const statuses: Array<{ sha: string; state: string; context?: string; description?: string }> = [];
  const permissions = new Map<string, string>();
  let nextId = 300;
  const notFound: Answer = { status: 404, body: { message: 'The target couldn\'t be found.', errors: [] } };
  const commentJson = (c: GiteaComment) => ({ id: c.id, body: c.body, user: { id: 1, login: c.user }, issue_url: '', created_at: '2026-01-01T00:00:00Z' });

  const api = await startDocumentedApiDouble({
    routes: ROUTES,
    authorized: (h) => h.authorization === `token ${token}`,
    handle(route, p, _query, body, url) {
      if (p.owner !== owner || p.repo !== repo) return notFound;
      switch (route) {
        case 'GET /api/v1/repos/:owner/:repo/commits/:sha/pull': {
          const pr = pulls.find((x) => x.mergeCommitSha === p.sha || x.commits.includes(p.sha ?? ''));
          if (!pr) return notFound;
          return { status: 200, body: { number: pr.number, state: pr.state, merged: pr.merged, merge_commit_sha: pr.mergeCommitSha ?? null, html_url: `${url}/${repository}/pulls/${pr.number}`, head: { ref: pr.headRef, sha: pr.headSha }, base: { ref: pr.baseRef } } };
        }
        case 'GET /api/v1/repos/:owner/:repo/issues/:index/comments':
          return { status: 200, body: comments.filter((c) => c.issue === Number(p.index)).map(commentJson) };
        case 'POST /api/v1/repos/:owner/:repo/issues/:index/comments': {
          if (!pulls.some((x) => x.number === Number(p.index))) return notFound;
          const c: GiteaComment = { id: nextId++, issue: Number(p.index), user: 'sluice-bot', body: String(body?.body), history: [String(body?.body)], reactions: [] };
          comments.push(c);
          return { status: 201, body: commentJson(c) };
        }
        case 'PATCH /api/v1/repos/:owner/:repo/issues/comments/:id': {
          const c = comments.find((x) => x.id === Number(p.id));
          if (!c) return notFound;
          c.body = String(body?.body);
          c.history.push(c.body);
          return { status: 200, body: commentJson(c) };
        }
        case 'POST /api/v1/repos/:owner/:repo/issues/comments/:id/reactions': {
          const c = comments.find((x) => x.id === Number(p.id));
          if (!c) return notFound;
          const exists = c.reactions.includes(String(body?.content));
          if (!exists) c.reactions.push(String(body?.content));
          return { status: exists ? 200 : 201, body: { user: { login: 'sluice-bot' }, content: body?.content } };
        }
        case 'POST /api/v1/repos/:owner/:repo/statuses/:sha':
          statuses.push({ sha: p.sha ?? '', state: String(body?.state), ...(body?.context ? { context: String(body.context) } : {}), ...(body?.description ? { description: String(body.description) } : {}) });
          return { status: 201, body: { id: nextId++, status: body?.state, context: body?.context, description: body?.description } };
        case 'GET /api/v1/repos/:owner/:repo/collaborators/:collaborator/permission': {
          const permission = permissions.get(p.collaborator ?? '');
          return permission === undefined ? notFound : { status: 200, body: { permission, role_name: permission, user: { login: p.collaborator } } };
        }
        default:
          return notFound;
      }
    },
  });

  return {
    ...api,
    url: `${api.url}/api/v1`,
    token,
    repository,
    pulls,
    comments,
    statuses,
    /** owner, admin, write, read or none, as Gitea reports it. */
    setPermission: (user: string, permission: string) => void permissions.set(user, permission),
    addComment(issue: number, user: string, body: string) {
      const c: GiteaComment = { id: nextId++, issue, user, body, history: [body], reactions: [] };
      comments.push(c);
      return c;
    },
  };
}
