// GitLab deliveries (X-Gitlab-Event) as the port's events, after GitLab's "Webhook events" page
// (doc/user/project/integrations/webhook_events.md, GitLab 17–18):
//   Push Hook, Tag Push Hook → push
//   Merge Request Hook       → pull_request (open, reopen, close, merge, and update with `oldrev`,
//                              i.e. new commits, as synchronize); action `approval` (one user
//                              approved) → review approved; approved/unapproved/unapproval, which
//                              summarise or withdraw, are ignored so one approval acts once
//   Note Hook                → comment, only on merge requests
//   the rest                 → ignored
import type { PullRequestEvent, WebhookEvent } from '../ports/webhook-events.ts';
import { notUsed, type Normalised } from './normalised.ts';
import { fieldAt, optionalString, presentStrings, requireId, requireNumber, requireString } from './payload-fields.ts';

function repository(payload: unknown): WebhookEvent['repository'] {
  return {
    fullName: requireString(payload, 'project.path_with_namespace'),
    cloneUrls: presentStrings(payload, ['project.git_http_url', 'project.git_ssh_url', 'project.web_url', 'repository.git_http_url', 'repository.git_ssh_url', 'repository.homepage']),
  };
}

export function normaliseGitlab(event: string, payload: unknown, deliveryId: string): Normalised {
  const base = () => ({ host: 'gitlab' as const, deliveryId, repository: repository(payload) });
  switch (event) {
    case 'Push Hook':
    case 'Tag Push Hook':
      return { events: [{ ...base(), kind: 'push', ref: requireString(payload, 'ref'), after: requireString(payload, 'after') }] };
    case 'Merge Request Hook':
      return mergeRequest(payload, base);
    case 'Note Hook': {
      const type = requireString(payload, 'object_attributes.noteable_type');
      if (type !== 'MergeRequest') return { ignored: `comment on ${type} (not a merge request)` };
      // `action` exists since GitLab 16.11; earlier notes are always new ones.
      const action = optionalString(payload, 'object_attributes.action') ?? 'create';
      return {
        events: [
          {
            ...base(),
            kind: 'comment',
            action: action === 'create' ? 'created' : 'other',
            pullRequest: requireNumber(payload, 'merge_request.iid'),
            commentId: requireId(payload, 'object_attributes.id'),
            body: optionalString(payload, 'object_attributes.note') ?? '',
            user: requireString(payload, 'user.username'),
          },
        ],
      };
    }
    default:
      return notUsed(event);
  }
}

function mergeRequest(payload: unknown, base: () => Pick<WebhookEvent, 'host' | 'deliveryId' | 'repository'>): Normalised {
  const action = optionalString(payload, 'object_attributes.action') ?? '';
  const number = requireNumber(payload, 'object_attributes.iid');
  if (action === 'approval') {
    return { events: [{ ...base(), kind: 'review', state: 'approved', pullRequest: number, user: requireString(payload, 'user.username') }] };
  }
  if (action === 'approved' || action === 'unapproved' || action === 'unapproval') return { ignored: `merge request ${action}` };
  const state = optionalString(payload, 'object_attributes.state');
  const mapped: PullRequestEvent['action'] =
    action === 'open' ? 'opened' : action === 'reopen' ? 'reopened' : action === 'close' || action === 'merge' ? 'closed' : action === 'update' && fieldAt(payload, 'object_attributes.oldrev') !== undefined ? 'synchronize' : 'other';
  return {
    events: [
      {
        ...base(),
        kind: 'pull_request',
        action: mapped,
        number,
        headSha: requireString(payload, 'object_attributes.last_commit.id'),
        headRef: requireString(payload, 'object_attributes.source_branch'),
        baseRef: requireString(payload, 'object_attributes.target_branch'),
        merged: action === 'merge' || state === 'merged',
      },
    ],
  };
}
