// GitHub (and GitHub Enterprise: apiUrl https://HOST/api/v3) through @octokit/rest, with the retry
// plugin (server errors, with backoff) and the throttling plugin (primary and secondary rate limits,
// and the pacing GitHub asks for on writes), so Sluice never hand-rolls either.
import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Logger } from 'pino';
import type { RepoHostConfig } from '../config/config-types.ts';
import { HostApiError, type GitHostClient, type Permission, type PullRequestInfo, type Reaction } from './host-client.ts';
import type { FetchFn } from './host-http.ts';

const SluiceOctokit = Octokit.plugin(retry, throttling);

const REACTIONS: Record<Reaction, '+1' | 'eyes' | 'confused'> = { seen: 'eyes', done: '+1', refused: 'confused' };

export function createGitHubClient(config: RepoHostConfig, opts: { fetch: FetchFn; log: Logger }): GitHostClient {
  const [owner = '', repo = ''] = splitRepository(config.repository);
  const log = opts.log;
  const octokit = new SluiceOctokit({
    baseUrl: config.apiUrl,
    ...(config.token ? { auth: config.token } : {}),
    userAgent: 'sluice',
    request: { fetch: opts.fetch },
    // Octokit's own messages go to our log (it never logs the token). It reports every failed
    // request as an error, including the expected ones (404: not a collaborator); callers log
    // what a failure means, so those are debug here.
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log.warn({ host: 'github' }, m), error: (m: string) => log.debug({ host: 'github' }, m) },
    throttle: {
      // Limits are per token: Octokits with the same token share one pacing queue.
      id: `sluice-${createHash('sha256').update(`${config.apiUrl}\n${config.token ?? ''}`).digest('hex').slice(0, 16)}`,
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ host: 'github', method: options.method, url: options.url, retryAfter }, 'GitHub rate limit reached');
        return retryCount < 1;
      },
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ host: 'github', method: options.method, url: options.url, retryAfter }, 'GitHub secondary rate limit reached');
        return retryCount < 1;
      },
    },
  });

  // Octokit's RequestError carries the request (token redacted) and the response; keep status and message only.
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const e = err as { status?: number; message?: string };
      throw new HostApiError(typeof e.status === 'number' ? e.status : 0, `${what}: ${typeof e.status === 'number' ? `HTTP ${e.status} ` : ''}${e.message ?? String(err)}`);
    }
  };

  return {
    type: 'github',
    repository: config.repository,

    async pullRequestsForCommit(sha) {
      const { data } = await call(`GET /repos/${config.repository}/commits/${sha}/pulls`, () =>
        octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: sha, per_page: 100 }),
      );
      return data.map((pr): PullRequestInfo => {
        const info: PullRequestInfo = {
          number: pr.number,
          state: pr.merged_at ? 'merged' : pr.state === 'open' ? 'open' : 'closed',
          headSha: pr.head.sha,
          headRef: pr.head.ref,
          baseRef: pr.base.ref,
          url: pr.html_url,
        };
        if (pr.merge_commit_sha) info.mergeCommitSha = pr.merge_commit_sha;
        return info;
      });
    },

    async listComments(pullRequest) {
      const comments = await call(`GET /repos/${config.repository}/issues/${pullRequest}/comments`, () =>
        octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: pullRequest, per_page: 100 }),
      );
      return comments.map((c) => ({ id: String(c.id), body: c.body ?? '', user: c.user?.login ?? '' }));
    },

    async createComment(pullRequest, body) {
      const { data } = await call(`POST /repos/${config.repository}/issues/${pullRequest}/comments`, () =>
        octokit.rest.issues.createComment({ owner, repo, issue_number: pullRequest, body }),
      );
      return { id: String(data.id), body: data.body ?? body, user: data.user?.login ?? '' };
    },

    async updateComment(_pullRequest, commentId, body) {
      await call(`PATCH /repos/${config.repository}/issues/comments/${commentId}`, () =>
        octokit.rest.issues.updateComment({ owner, repo, comment_id: Number(commentId), body }),
      );
    },

    async setCommitStatus(sha, status) {
      await call(`POST /repos/${config.repository}/statuses/${sha}`, () =>
        octokit.rest.repos.createCommitStatus({
          owner,
          repo,
          sha,
          state: status.state,
          context: status.context,
          description: truncate(status.description, 140),
          ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
        }),
      );
    },

    async permissionOf(user): Promise<Permission> {
      try {
        const { data } = await call(`GET /repos/${config.repository}/collaborators/${user}/permission`, () =>
          octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: user }),
        );
        // role_name knows maintain and triage; the older permission field folds them into write/read.
        const role = data.role_name || data.permission;
        return role === 'admin' || role === 'maintain' || role === 'write' ? 'write' : role === 'none' ? 'none' : 'read';
      } catch (err) {
        // 404: no such user, or not a collaborator of a private repository.
        if (err instanceof HostApiError && err.status === 404) return 'none';
        throw err;
      }
    },

    async react(_pullRequest, commentId, reaction) {
      await call(`POST /repos/${config.repository}/issues/comments/${commentId}/reactions`, () =>
        octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: Number(commentId), content: REACTIONS[reaction] }),
      );
    },

    pullRequestHeadRef: (pullRequest) => `refs/pull/${pullRequest}/head`,
  };
}

export function splitRepository(repository: string): [string, string] {
  const slash = repository.lastIndexOf('/');
  return [repository.slice(0, slash), repository.slice(slash + 1)];
}

export const truncate = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
