// A configured repository with a Git host: its client, its comment upserter and who may approve;
// and which of them a webhook event is about.
import type { GitHostName } from '../ports/webhook-events.ts';
import type { GitHostClient } from './host-client.ts';
import type { CommentUpserter } from './comment-upserter.ts';

export interface HostedRepo {
  /** repos[].name */
  name: string;
  client: GitHostClient;
  upserter: CommentUpserter;
  approvers: string[];
  /** false: track (for approvals) but write no comments or statuses. */
  pullRequests: boolean;
}

/** The repositories an event is about: same host type and `owner/name` (case-insensitive, as hosts treat them). */
export function reposOfEvent(repos: readonly HostedRepo[], event: { host: GitHostName; repository: { fullName: string } }): HostedRepo[] {
  const name = event.repository.fullName.toLowerCase();
  return repos.filter((r) => r.client.type === event.host && r.client.repository.toLowerCase() === name);
}
