// Gitea (and Forgejo; apiUrl ends in /api/v1) through its REST API, per the published API reference
// (https://docs.gitea.com/api/1.22/, the swagger the server serves at /api/swagger):
//   the pull request of a commit  GET  /repos/{owner}/{repo}/commits/{sha}/pull           (Gitea ≥ 1.18; 404 when none)
//   comments                      GET/POST /repos/{owner}/{repo}/issues/{index}/comments,
//                                 PATCH /repos/{owner}/{repo}/issues/comments/{id}
//   commit statuses               POST /repos/{owner}/{repo}/statuses/{sha}
//   permission                    GET  /repos/{owner}/{repo}/collaborators/{collaborator}/permission
//   reactions                     POST /repos/{owner}/{repo}/issues/comments/{id}/reactions
//   head refs                     refs/pull/{index}/head (https://docs.gitea.com/usage/pull-request)
import type { RepoHostConfig } from '../config/config-types.ts';
import { HostApiError, type GitHostClient, type PullRequestInfo, type Reaction } from './host-client.ts';
import { requestJson, type FetchFn } from './host-http.ts';
import { splitRepository, truncate } from './github-client.ts';

interface GiteaPullRequest {
  number: number;
  state: 'open' | 'closed';
  merged?: boolean;
  head: { sha: string; ref: string };
  base: { ref: string };
  html_url?: string;
  merge_commit_sha?: string | null;
}
interface GiteaComment {
  id: number;
  body: string;
  user?: { login?: string };
}

const REACTIONS: Record<Reaction, string> = { seen: 'eyes', done: '+1', refused: 'confused' };

export function createGiteaClient(config: RepoHostConfig, opts: { fetch: FetchFn }): GitHostClient {
  const [owner, name] = splitRepository(config.repository);
  const repoUrl = `${config.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  const headers: Record<string, string> = config.token ? { authorization: `token ${config.token}` } : {};
  const req = <T>(method: string, url: string, body?: unknown) => requestJson<T>(opts.fetch, method, url, { headers, body });

  return {
    type: 'gitea',
    repository: config.repository,

    async pullRequestsForCommit(sha) {
      let pr: GiteaPullRequest;
      try {
        pr = (await req<GiteaPullRequest>('GET', `${repoUrl}/commits/${sha}/pull`)).data;
      } catch (err) {
        if (err instanceof HostApiError && err.status === 404) return [];
        throw err;
      }
      const info: PullRequestInfo = {
        number: pr.number,
        state: pr.merged ? 'merged' : pr.state === 'open' ? 'open' : 'closed',
        headSha: pr.head.sha,
        headRef: pr.head.ref,
        baseRef: pr.base.ref,
      };
      if (pr.html_url) info.url = pr.html_url;
      if (pr.merge_commit_sha) info.mergeCommitSha = pr.merge_commit_sha;
      return [info];
    },

    async listComments(pullRequest) {
      // The endpoint is not paged: it returns every comment of the issue.
      const { data } = await req<GiteaComment[]>('GET', `${repoUrl}/issues/${pullRequest}/comments`);
      return data.map((c) => ({ id: String(c.id), body: c.body, user: c.user?.login ?? '' }));
    },

    async createComment(pullRequest, body) {
      const { data } = await req<GiteaComment>('POST', `${repoUrl}/issues/${pullRequest}/comments`, { body });
      return { id: String(data.id), body: data.body, user: data.user?.login ?? '' };
    },

    async updateComment(_pullRequest, commentId, body) {
      await req('PATCH', `${repoUrl}/issues/comments/${commentId}`, { body });
    },

    async setCommitStatus(sha, status) {
      const body: Record<string, string> = { state: status.state, context: status.context, description: truncate(status.description, 255) };
      if (status.targetUrl) body.target_url = status.targetUrl;
      await req('POST', `${repoUrl}/statuses/${sha}`, body);
    },

    async permissionOf(user) {
      try {
        const { data } = await req<{ permission: string }>('GET', `${repoUrl}/collaborators/${encodeURIComponent(user)}/permission`);
        const p = data.permission;
        return p === 'owner' || p === 'admin' || p === 'write' ? 'write' : p === 'read' ? 'read' : 'none';
      } catch (err) {
        if (err instanceof HostApiError && err.status === 404) return 'none';
        throw err;
      }
    },

    async react(_pullRequest, commentId, reaction) {
      await req('POST', `${repoUrl}/issues/comments/${commentId}/reactions`, { content: REACTIONS[reaction] });
    },

    pullRequestHeadRef: (pullRequest) => `refs/pull/${pullRequest}/head`,
  };
}
