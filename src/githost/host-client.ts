// The one small interface through which Sluice talks to a Git host's API (GitHub, GitLab, Gitea):
// what the pull-request integration needs and nothing more. Each host implements it in its own
// file; host-registry.ts picks one from the repository's config.
import type { GitHostType } from '../config/config-types.ts';

export interface PullRequestInfo {
  /** GitHub/Gitea number, GitLab iid: what people write as #7 / !7. */
  number: number;
  state: 'open' | 'closed' | 'merged';
  headSha: string;
  /** The source branch name. */
  headRef: string;
  baseRef: string;
  url?: string;
  /** The commit the merge created (merge or squash), when merged. */
  mergeCommitSha?: string;
}

export interface HostComment {
  id: string;
  body: string;
  /** The author's login. */
  user: string;
}

/** What Sluice reports per Rollout; each host maps it to its own words. */
export type CommitState = 'pending' | 'success' | 'failure';

export interface CommitStatusInput {
  state: CommitState;
  /** `sluice/<namespace>/<rollout>`. */
  context: string;
  /** One short line (hosts cap it: GitHub at 140 characters). */
  description: string;
  targetUrl?: string;
}

/** `write`: may change the repository (GitHub write/maintain/admin, GitLab Developer+, Gitea write+). */
export type Permission = 'write' | 'read' | 'none';

/** How a command was taken: seen and working on it, done, or refused/failed. */
export type Reaction = 'seen' | 'done' | 'refused';

export interface GitHostClient {
  readonly type: GitHostType;
  /** `owner/name` (GitLab: the project path). */
  readonly repository: string;
  /** Pull requests that contain or merged `sha`; newest knowledge of the host, possibly empty. */
  pullRequestsForCommit(sha: string): Promise<PullRequestInfo[]>;
  listComments(pullRequest: number): Promise<HostComment[]>;
  createComment(pullRequest: number, body: string): Promise<HostComment>;
  updateComment(pullRequest: number, commentId: string, body: string): Promise<void>;
  setCommitStatus(sha: string, status: CommitStatusInput): Promise<void>;
  permissionOf(user: string): Promise<Permission>;
  react(pullRequest: number, commentId: string, reaction: Reaction): Promise<void>;
  /** The Git ref under which the host serves the pull request's head commit (works for forks too). */
  pullRequestHeadRef(pullRequest: number): string;
}

/** A host API answered with an error status (or could not be reached: status 0). Never carries the token. */
export class HostApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HostApiError';
    this.status = status;
  }
}

/** 401/403: the token is missing rights; reported as a log line and a metric, never retried. */
export const isForbidden = (err: unknown): boolean => err instanceof HostApiError && (err.status === 401 || err.status === 403);
