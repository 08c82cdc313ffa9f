// A GitLab REST API (v4) stand-in: merge requests, notes, award emoji, commit statuses, users and
// project members in memory, limited to the routes Sluice uses, each checked against GitLab's
// published docs (query parameters and bodies as documented there).
import { startDocumentedApiDouble, type Answer, type DocumentedRoute } from './documented-api.ts';

const DOCS = 'https://docs.gitlab.com/api';
const ROUTES: DocumentedRoute[] = [
  { route: 'GET /api/v4/projects/:id/repository/commits/:sha/merge_requests', doc: `${DOCS}/commits/#list-merge-requests-associated-with-a-commit`, query: { state: ['opened', 'closed', 'locked', 'merged'] } },
  {
    route: 'GET /api/v4/projects/:id/merge_requests/:iid/notes',
    doc: `${DOCS}/notes/#list-all-merge-request-notes`,
    query: { sort: ['asc', 'desc'], order_by: ['created_at', 'updated_at'], page: 'integer', per_page: 'integer' },
  },
  {
    route: 'POST /api/v4/projects/:id/merge_requests/:iid/notes',
    doc: `${DOCS}/notes/#create-new-merge-request-note`,
    body: { type: 'object', required: ['body'], properties: { body: { type: 'string', maxLength: 1_000_000 }, created_at: { type: 'string' }, internal: { type: 'boolean' }, merge_request_diff_head_sha: { type: 'string' } }, additionalProperties: false },
  },
  {
    route: 'PUT /api/v4/projects/:id/merge_requests/:iid/notes/:note_id',
    doc: `${DOCS}/notes/#modify-existing-merge-request-note`,
    body: { type: 'object', required: ['body'], properties: { body: { type: 'string', maxLength: 1_000_000 }, confidential: { type: 'boolean' } }, additionalProperties: false },
  },
  {
    route: 'POST /api/v4/projects/:id/merge_requests/:iid/notes/:note_id/award_emoji',
    doc: `${DOCS}/emoji_reactions/#add-a-new-emoji-reaction-to-a-comment`,
    body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, additionalProperties: false },
  },
  {
    route: 'POST /api/v4/projects/:id/statuses/:sha',
    doc: `${DOCS}/commits/#set-the-pipeline-status-of-a-commit`,
    body: {
      type: 'object',
      required: ['state'],
      properties: {
        state: { enum: ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'] },
        ref: { type: 'string' },
        name: { type: 'string' },
        context: { type: 'string' },
        target_url: { type: 'string' },
        description: { type: 'string', maxLength: 255 },
        coverage: { type: 'number' },
        pipeline_id: { type: 'integer' },
      },
      additionalProperties: false,
    },
  },
  { route: 'GET /api/v4/users', doc: `${DOCS}/users/#list-users`, query: { username: 'string' } },
  { route: 'GET /api/v4/projects/:id/members/all/:user_id', doc: `${DOCS}/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members` },
];

export interface GitLabMergeRequest {
  iid: number;
  state: 'opened' | 'closed' | 'merged';
  sha: string;
  sourceBranch: string;
  targetBranch: string;
  mergeCommitSha?: string;
  commits: string[];
}

export interface GitLabNote {
  id: number;
  iid: number;
  author: string;
  body: string;
  system: boolean;
  history: string[];
  awards: string[];
}

export async function startGitLabDouble(opts: { project?: string; token?: string } = {}) {
  const project = opts.project ?? 'acme/platform/deploy';
  const token = opts.token ?? 'glpat-double-token-0123456789';
  const mergeRequests: GitLabMergeRequest[] = [];
  const notes: GitLabNote[] = [];
  const statuses: Array<{ sha: string; state: string; name?: string; description?: string }> = [];
  const users = new Map<string, number>([['sluice-bot', 1]]);
  const access = new Map<number, number>();
  let nextId = 500;
  const notFound: Answer = { status: 404, body: { message: '404 Not found' } };
  const noteJson = (n: GitLabNote) => ({ id: n.id, body: n.body, system: n.system, noteable_iid: n.iid, noteable_type: 'MergeRequest', author: { id: users.get(n.author) ?? 0, username: n.author } });

  const api = await startDocumentedApiDouble({
    routes: ROUTES,
    authorized: (h) => h['private-token'] === token,
    handle(route, p, query, body, url) {
      // :id is the URL-encoded project path (or a numeric id, which Sluice does not use).
      if ('id' in p && p.id !== project) return notFound;
      switch (route) {
        case 'GET /api/v4/projects/:id/repository/commits/:sha/merge_requests':
          return {
            status: 200,
            body: mergeRequests
              .filter((mr) => mr.commits.includes(p.sha ?? '') || mr.mergeCommitSha === p.sha)
              .map((mr) => ({ iid: mr.iid, id: mr.iid * 100, project_id: 42, state: mr.state, sha: mr.sha, source_branch: mr.sourceBranch, target_branch: mr.targetBranch, merge_commit_sha: mr.mergeCommitSha ?? null, squash_commit_sha: null, web_url: `${url}/${project}/-/merge_requests/${mr.iid}` })),
          };
        case 'GET /api/v4/projects/:id/merge_requests/:iid/notes': {
          const perPage = Number(query.get('per_page') ?? 20);
          const page = Number(query.get('page') ?? 1);
          const all = notes.filter((n) => n.iid === Number(p.iid));
          return { status: 200, body: all.slice((page - 1) * perPage, page * perPage).map(noteJson) };
        }
        case 'POST /api/v4/projects/:id/merge_requests/:iid/notes': {
          if (!mergeRequests.some((mr) => mr.iid === Number(p.iid))) return notFound;
          const n: GitLabNote = { id: nextId++, iid: Number(p.iid), author: 'sluice-bot', body: String(body?.body), system: false, history: [String(body?.body)], awards: [] };
          notes.push(n);
          return { status: 201, body: noteJson(n) };
        }
        case 'PUT /api/v4/projects/:id/merge_requests/:iid/notes/:note_id': {
          const n = notes.find((x) => x.id === Number(p.note_id) && x.iid === Number(p.iid));
          if (!n) return notFound;
          n.body = String(body?.body);
          n.history.push(n.body);
          return { status: 200, body: noteJson(n) };
        }
        case 'POST /api/v4/projects/:id/merge_requests/:iid/notes/:note_id/award_emoji': {
          const n = notes.find((x) => x.id === Number(p.note_id) && x.iid === Number(p.iid));
          if (!n) return notFound;
          n.awards.push(String(body?.name));
          return { status: 201, body: { id: nextId++, name: body?.name, awardable_id: n.id, awardable_type: 'Note' } };
        }
        case 'POST /api/v4/projects/:id/statuses/:sha': {
          const last = statuses.filter((s) => s.sha === p.sha && s.name === body?.name).at(-1);
          // GitLab refuses to move a status into the state it is in.
          if (last?.state === body?.state) return { status: 400, body: { message: `Cannot transition status via :${String(body?.state)} from :${last?.state}` } };
          statuses.push({ sha: p.sha ?? '', state: String(body?.state), ...(body?.name ? { name: String(body.name) } : {}), ...(body?.description ? { description: String(body.description) } : {}) });
          return { status: 201, body: { id: nextId++, sha: p.sha, status: body?.state, name: body?.name, description: body?.description ?? null } };
        }
        case 'GET /api/v4/users': {
          const name = query.get('username') ?? '';
          const id = users.get(name);
          return { status: 200, body: id === undefined ? [] : [{ id, username: name, state: 'active' }] };
        }
        case 'GET /api/v4/projects/:id/members/all/:user_id': {
          const level = access.get(Number(p.user_id));
          return level === undefined ? notFound : { status: 200, body: { id: Number(p.user_id), access_level: level, state: 'active' } };
        }
        default:
          return notFound;
      }
    },
  });

  return {
    ...api,
    url: `${api.url}/api/v4`,
    token,
    project,
    mergeRequests,
    notes,
    statuses,
    /** A user, optionally a project member with this access level (10 guest … 30 developer … 50 owner). */
    addUser(username: string, accessLevel?: number) {
      const id = users.get(username) ?? nextId++;
      users.set(username, id);
      if (accessLevel !== undefined) access.set(id, accessLevel);
    },
    addNote(iid: number, author: string, body: string, system = false) {
      const n: GitLabNote = { id: nextId++, iid, author, body, system, history: [body], awards: [] };
      notes.push(n);
      return n;
    },
  };
}
