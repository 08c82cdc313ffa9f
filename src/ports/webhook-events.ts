// The seam between the webhook endpoint (src/webhooks: authenticity, parsing, one shape for every
// host) and what acts on the events: Git sync for pushes, the pull-request integration for
// comments, reviews and pull requests. The endpoint answers before any handler runs.

export type GitHostName = 'github' | 'gitlab' | 'gitea' | 'bitbucket';

interface EventBase {
  host: GitHostName;
  /** The host's delivery id (X-GitHub-Delivery, X-Gitea-Delivery, X-Gitlab-Event-UUID, X-Request-UUID). */
  deliveryId: string;
  /** The repository as its clone URLs say (https and ssh), for matching `repos[].url`. */
  repository: { fullName: string; cloneUrls: string[] };
}

export interface PushEvent extends EventBase {
  kind: 'push';
  /** Full ref: `refs/heads/main`, `refs/tags/v1.2.0`. */
  ref: string;
  /** The commit the ref now points at (all zeros when the ref was deleted). */
  after: string;
}

export interface PullRequestEvent extends EventBase {
  kind: 'pull_request';
  /** opened, reopened, synchronize (updated), closed, … as the host names it, normalised to GitHub's words. */
  action: 'opened' | 'reopened' | 'synchronize' | 'closed' | 'other';
  number: number;
  headSha: string;
  headRef: string;
  baseRef: string;
  merged: boolean;
}

export interface CommentEvent extends EventBase {
  kind: 'comment';
  /** Only comments on pull requests are delivered; plain issue comments are ignored by the endpoint. */
  pullRequest: number;
  commentId: string;
  body: string;
  user: string;
  /** created (others, e.g. edited, are delivered as 'other' and ignored by handlers). */
  action: 'created' | 'other';
}

export interface ReviewEvent extends EventBase {
  kind: 'review';
  pullRequest: number;
  user: string;
  /** approved, changes_requested, commented (lower case, GitHub's words). */
  state: 'approved' | 'changes_requested' | 'commented' | 'other';
}

export type WebhookEvent = PushEvent | PullRequestEvent | CommentEvent | ReviewEvent;

/**
 * Handlers are called after the HTTP answer was sent, once per delivery id (redeliveries are
 * dropped before they reach a handler). A handler never throws; it logs and counts its failures.
 */
export interface WebhookHandlers {
  push?(event: PushEvent): Promise<void>;
  pullRequest?(event: PullRequestEvent): Promise<void>;
  comment?(event: CommentEvent): Promise<void>;
  review?(event: ReviewEvent): Promise<void>;
}
