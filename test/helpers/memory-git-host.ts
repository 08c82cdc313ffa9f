// An in-memory GitHostClient for unit tests of what sits on top of the clients (reporter,
// approvals): pull requests by commit, comments with their edit history, reactions, commit
// statuses and permissions, and every call in order. The HTTP clients themselves are tested
// against the API doubles (test/unit/githost-clients.test.ts).
import { HostApiError, type GitHostClient, type Permission, type PullRequestInfo, type Reaction, type CommitStatusInput } from '../../src/githost/host-client.ts';

export interface MemoryComment {
  id: string;
  pr: number;
  user: string;
  body: string;
  history: string[];
  reactions: Reaction[];
}

export function memoryGitHost(repository = 'acme/deploy') {
  const pulls: PullRequestInfo[] = [];
  const comments: MemoryComment[] = [];
  const statuses: Array<CommitStatusInput & { sha: string }> = [];
  const permissions = new Map<string, Permission>();
  const calls: string[] = [];
  const failures = new Map<string, HostApiError>();
  let nextId = 1;
  const fail = (op: string) => {
    calls.push(op.split(' ')[0] ?? op);
    const err = failures.get(op.split(' ')[0] ?? op);
    if (err) throw err;
  };
  const client: GitHostClient = {
    type: 'github',
    repository,
    async pullRequestsForCommit(sha) {
      fail(`pullRequestsForCommit ${sha}`);
      return pulls.filter((p) => p.headSha === sha || p.mergeCommitSha === sha);
    },
    async listComments(pr) {
      fail(`listComments ${pr}`);
      return comments.filter((c) => c.pr === pr).map(({ id, body, user }) => ({ id, body, user }));
    },
    async createComment(pr, body) {
      fail(`createComment ${pr}`);
      const c: MemoryComment = { id: String(nextId++), pr, user: 'sluice-bot', body, history: [body], reactions: [] };
      comments.push(c);
      return { id: c.id, body, user: c.user };
    },
    async updateComment(_pr, id, body) {
      fail(`updateComment ${id}`);
      const c = comments.find((x) => x.id === id);
      if (!c) throw new HostApiError(404, 'Not Found');
      c.body = body;
      c.history.push(body);
    },
    async setCommitStatus(sha, status) {
      fail(`setCommitStatus ${sha}`);
      statuses.push({ sha, ...status });
    },
    async permissionOf(user) {
      fail(`permissionOf ${user}`);
      return permissions.get(user) ?? 'none';
    },
    async react(_pr, id, reaction) {
      fail(`react ${id}`);
      comments.find((c) => c.id === id)?.reactions.push(reaction);
    },
    pullRequestHeadRef: (n) => `refs/pull/${n}/head`,
  };
  return {
    client,
    pulls,
    comments,
    statuses,
    permissions,
    calls,
    /** Every call of this operation (a GitHostClient method name) fails with this error until cleared. */
    failWith(operation: keyof GitHostClient, err: HostApiError | undefined) {
      if (err) failures.set(operation, err);
      else failures.delete(operation);
    },
    /** A person's comment. */
    addComment(pr: number, user: string, body: string): MemoryComment {
      const c: MemoryComment = { id: String(nextId++), pr, user, body, history: [body], reactions: [] };
      comments.push(c);
      return c;
    },
  };
}
