// Gitea deliveries (X-Gitea-Event) as the port's events. Gitea's payloads follow GitHub's shapes
// (modules/structs/hook.go in go-gitea/gitea 1.21–1.24), with its own event and action names:
//   push                                    → push
//   pull_request                            → pull_request ('synchronized' is GitHub's 'synchronize')
//   issue_comment                           → comment, only when is_pull (or issue.pull_request)
//   pull_request_approved / _rejected / _comment → review approved / changes_requested / commented,
//                                             by the sender
//   the rest (create, delete, issues, …)    → ignored
import type { PullRequestEvent, ReviewEvent } from '../ports/webhook-events.ts';
import { githubStyleRepository } from './normalise-github.ts';
import { notUsed, type Normalised } from './normalised.ts';
import { fieldAt, optionalBoolean, optionalString, requireId, requireNumber, requireString } from './payload-fields.ts';

const PR_ACTIONS: Record<string, PullRequestEvent['action']> = { opened: 'opened', reopened: 'reopened', synchronized: 'synchronize', closed: 'closed' };
const REVIEW_EVENTS: Record<string, ReviewEvent['state']> = {
  pull_request_approved: 'approved',
  pull_request_rejected: 'changes_requested',
  pull_request_comment: 'commented',
};

export function normaliseGitea(event: string, payload: unknown, deliveryId: string): Normalised {
  const base = () => ({ host: 'gitea' as const, deliveryId, repository: githubStyleRepository(payload) });
  const reviewState = REVIEW_EVENTS[event];
  if (reviewState) {
    return {
      events: [{ ...base(), kind: 'review', state: reviewState, pullRequest: prNumber(payload), user: requireString(payload, 'sender.login') }],
    };
  }
  switch (event) {
    case 'push':
      return { events: [{ ...base(), kind: 'push', ref: requireString(payload, 'ref'), after: requireString(payload, 'after') }] };
    case 'pull_request': {
      const pr: PullRequestEvent = {
        ...base(),
        kind: 'pull_request',
        action: PR_ACTIONS[requireString(payload, 'action')] ?? 'other',
        number: prNumber(payload),
        headSha: requireString(payload, 'pull_request.head.sha'),
        headRef: requireString(payload, 'pull_request.head.ref'),
        baseRef: requireString(payload, 'pull_request.base.ref'),
        merged: optionalBoolean(payload, 'pull_request.merged') ?? false,
      };
      return { events: [pr] };
    }
    case 'issue_comment': {
      const prMeta = fieldAt(payload, 'issue.pull_request');
      const onPull = optionalBoolean(payload, 'is_pull') ?? (prMeta !== null && typeof prMeta === 'object');
      if (!onPull) return { ignored: 'comment on an issue, not on a pull request' };
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
    default:
      return notUsed(event);
  }
}

/** The pull request's number: `number` at the top, else the pull request's own. */
function prNumber(payload: unknown): number {
  return fieldAt(payload, 'number') !== undefined ? requireNumber(payload, 'number') : requireNumber(payload, 'pull_request.number');
}
