// GitHub deliveries (X-GitHub-Event) as the port's events. Payload shapes as in
// @octokit/webhooks-examples, which the unit tests feed through here.
//   push                 → push (branch or tag; a deletion has after = 0000…)
//   pull_request         → pull_request (opened, reopened, synchronize, closed; others 'other')
//   issue_comment        → comment, only on pull requests (issue.pull_request is set)
//   pull_request_review  → review, only when submitted (an edited or dismissed review never approves)
//   ping and the rest    → ignored
import type { PullRequestEvent, ReviewEvent, WebhookEvent } from '../ports/webhook-events.ts';
import { notUsed, type Normalised } from './normalised.ts';
import { fieldAt, optionalBoolean, optionalString, presentStrings, requireId, requireNumber, requireString } from './payload-fields.ts';

const PR_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'closed']);
const REVIEW_STATES = new Set(['approved', 'changes_requested', 'commented']);

/** Fields every GitHub-style event shares (Gitea sends the same shapes). */
export function githubStyleRepository(payload: unknown): WebhookEvent['repository'] {
  return {
    fullName: requireString(payload, 'repository.full_name'),
    cloneUrls: presentStrings(payload, ['repository.clone_url', 'repository.ssh_url', 'repository.git_url', 'repository.html_url']),
  };
}

export function normaliseGithub(event: string, payload: unknown, deliveryId: string): Normalised {
  const base = () => ({ host: 'github' as const, deliveryId, repository: githubStyleRepository(payload) });
  switch (event) {
    case 'ping':
      return { ignored: 'ping: the webhook reaches Sluice' };
    case 'push':
      return { events: [{ ...base(), kind: 'push', ref: requireString(payload, 'ref'), after: requireString(payload, 'after') }] };
    case 'pull_request': {
      const action = requireString(payload, 'action');
      const pr: PullRequestEvent = {
        ...base(),
        kind: 'pull_request',
        action: PR_ACTIONS.has(action) ? (action as PullRequestEvent['action']) : 'other',
        number: requireNumber(payload, 'number'),
        headSha: requireString(payload, 'pull_request.head.sha'),
        headRef: requireString(payload, 'pull_request.head.ref'),
        baseRef: requireString(payload, 'pull_request.base.ref'),
        merged: optionalBoolean(payload, 'pull_request.merged') ?? false,
      };
      return { events: [pr] };
    }
    case 'issue_comment': {
      // GitHub sends pull-request conversation comments as comments on the PR's issue.
      const onPullRequest = fieldAt(payload, 'issue.pull_request');
      if (onPullRequest === null || typeof onPullRequest !== 'object') return { ignored: 'comment on an issue, not on a pull request' };
      return {
        events: [
          {
            ...base(),
            kind: 'comment',
            action: requireString(payload, 'action') === 'created' ? 'created' : 'other',
            pullRequest: requireNumber(payload, 'issue.number'),
            commentId: requireId(payload, 'comment.id'),
            body: optionalString(payload, 'comment.body') ?? '',
            user: requireString(payload, 'comment.user.login'),
          },
        ],
      };
    }
    case 'pull_request_review': {
      const action = requireString(payload, 'action');
      if (action !== 'submitted') return { ignored: `review ${action}, not submitted` };
      const state = requireString(payload, 'review.state').toLowerCase();
      const review: ReviewEvent = {
        ...base(),
        kind: 'review',
        pullRequest: requireNumber(payload, 'pull_request.number'),
        user: requireString(payload, 'review.user.login'),
        state: REVIEW_STATES.has(state) ? (state as ReviewEvent['state']) : 'other',
      };
      return { events: [review] };
    }
    default:
      return notUsed(event);
  }
}
