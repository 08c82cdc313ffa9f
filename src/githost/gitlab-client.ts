// GitLab (gitlab.com or self-managed; apiUrl ends in /api/v4) through its REST API, per the
// published docs:
//   merge requests of a commit  https://docs.gitlab.com/api/commits/#list-merge-requests-associated-with-a-commit
//   notes on a merge request    https://docs.gitlab.com/api/notes/#merge-requests
//   commit statuses             https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
//   users by username           https://docs.gitlab.com/api/users/#list-users
//   project members (inherited) https://docs.gitlab.com/api/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members
//   emoji reactions on notes    https://docs.gitlab.com/api/emoji_reactions/#add-a-new-emoji-reaction-to-a-comment
//   merge request head refs     https://docs.gitlab.com/user/project/merge_requests/merge_request_troubleshooting/#check-out-merge-requests-locally-through-the-head-ref
import type { RepoHostConfig } from '../config/config-types.ts';
import { HostApiError, type CommitState, type GitHostClient, type PullRequestInfo, type Reaction } from './host-client.ts';
import { allPages, requestJson, type FetchFn } from './host-http.ts';
import { truncate } from './github-client.ts';

interface GitLabMergeRequest {
  iid: number;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  sha: string;
  source_branch: string;
  target_branch: string;
  web_url?: string;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
}
interface GitLabNote {
  id: number;
  body: string;
  system?: boolean;
  author?: { username?: string };
}

/** Reporter is 20, Developer 30: Developers may push, so they may steer a rollout too. */
export const GITLAB_DEVELOPER = 30;
const PER_PAGE = 100;
const AWARDS: Record<Reaction, string> = { seen: 'eyes', done: 'thumbsup', refused: 'confused' };
// GitLab's commit status has its own states; a rollout in flight is `running`.
const STATES: Record<CommitState, string> = { pending: 'running', success: 'success', failure: 'failed' };

export function createGitLabClient(config: RepoHostConfig, opts: { fetch: FetchFn }): GitHostClient {
  const project = `${config.apiUrl}/projects/${encodeURIComponent(config.repository)}`;
  const headers: Record<string, string> = config.token ? { 'PRIVATE-TOKEN': config.token } : {};
  const req = <T>(method: string, url: string, body?: unknown) => requestJson<T>(opts.fetch, method, url, { headers, body });
  const userIds = new Map<string, number | undefined>();

  async function userId(username: string): Promise<number | undefined> {
    if (userIds.has(username)) return userIds.get(username);
    const { data } = await req<Array<{ id: number; username: string }>>('GET', `${config.apiUrl}/users?username=${encodeURIComponent(username)}`);
    const id = data.find((u) => u.username.toLowerCase() === username.toLowerCase())?.id;
    userIds.set(username, id);
    return id;
  }

  return {
    type: 'gitlab',
    repository: config.repository,

    async pullRequestsForCommit(sha) {
      const { data } = await req<GitLabMergeRequest[]>('GET', `${project}/repository/commits/${sha}/merge_requests`);
      return data.map((mr): PullRequestInfo => {
        const info: PullRequestInfo = {
          number: mr.iid,
          state: mr.state === 'merged' ? 'merged' : mr.state === 'opened' ? 'open' : 'closed',
          headSha: mr.sha,
          headRef: mr.source_branch,
          baseRef: mr.target_branch,
        };
        if (mr.web_url) info.url = mr.web_url;
        const merged = mr.merge_commit_sha ?? mr.squash_commit_sha;
        if (merged) info.mergeCommitSha = merged;
        return info;
      });
    },

    async listComments(pullRequest) {
      const notes = await allPages(
        async (page) => (await req<GitLabNote[]>('GET', `${project}/merge_requests/${pullRequest}/notes?sort=asc&order_by=created_at&per_page=${PER_PAGE}&page=${page}`)).data,
        PER_PAGE,
      );
      // System notes ("added 1 commit") are GitLab's own, never comments.
      return notes.filter((n) => !n.system).map((n) => ({ id: String(n.id), body: n.body, user: n.author?.username ?? '' }));
    },

    async createComment(pullRequest, body) {
      const { data } = await req<GitLabNote>('POST', `${project}/merge_requests/${pullRequest}/notes`, { body });
      return { id: String(data.id), body: data.body, user: data.author?.username ?? '' };
    },

    async updateComment(pullRequest, commentId, body) {
      await req('PUT', `${project}/merge_requests/${pullRequest}/notes/${commentId}`, { body });
    },

    async setCommitStatus(sha, status) {
      const body: Record<string, string> = { state: STATES[status.state], name: status.context, description: truncate(status.description, 255) };
      if (status.targetUrl) body.target_url = status.targetUrl;
      try {
        await req('POST', `${project}/statuses/${sha}`, body);
      } catch (err) {
        // GitLab refuses to "move" a status to the state it is already in; that is success here.
        if (err instanceof HostApiError && err.status === 400 && /Cannot transition status/i.test(err.message)) return;
        throw err;
      }
    },

    async permissionOf(user) {
      const id = await userId(user);
      if (id === undefined) return 'none';
      try {
        const { data } = await req<{ access_level: number }>('GET', `${project}/members/all/${id}`);
        return data.access_level >= GITLAB_DEVELOPER ? 'write' : 'read';
      } catch (err) {
        if (err instanceof HostApiError && err.status === 404) return 'none';
        throw err;
      }
    },

    async react(pullRequest, commentId, reaction) {
      await req('POST', `${project}/merge_requests/${pullRequest}/notes/${commentId}/award_emoji`, { name: AWARDS[reaction] });
    },

    pullRequestHeadRef: (pullRequest) => `refs/merge-requests/${pullRequest}/head`,
  };
}
