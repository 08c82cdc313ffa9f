// Bitbucket deliveries (X-Event-Key) as the port's events, for Bitbucket Cloud (support.atlassian.com
// "Event payloads", 2024) and Bitbucket Data Center/Server (8.x "Event payload" page):
//   Cloud  repo:push                        → one push per entry of push.changes
//          pullrequest:created/updated/fulfilled/rejected → pull_request opened/synchronize/closed
//          pullrequest:comment_created      → comment
//          pullrequest:approved, pullrequest:changes_request_created → review
//   Server repo:refs_changed                → one push per entry of changes
//          pr:opened/from_ref_updated/merged/declined/deleted → pull_request
//          pr:comment:added                 → comment
//          pr:reviewer:approved, pr:reviewer:changes_requested/needs_work → review
//   diagnostics:ping and the rest           → ignored
// Cloud payloads carry no clone URL; the repository's page (links.html.href) is its https clone
// URL without `.git`, and the ssh form follows from the host and full name.
import type { PullRequestEvent, PushEvent, ReviewEvent, WebhookEvent } from '../ports/webhook-events.ts';
import { notUsed, ZERO_SHA, type Normalised } from './normalised.ts';
import { fieldAt, MalformedPayloadError, optionalString, requireArray, requireId, requireNumber, requireString } from './payload-fields.ts';

type Base = Pick<WebhookEvent, 'host' | 'deliveryId' | 'repository'>;

const CLOUD_PR: Record<string, PullRequestEvent['action']> = {
  'pullrequest:created': 'opened',
  'pullrequest:updated': 'synchronize',
  'pullrequest:fulfilled': 'closed',
  'pullrequest:rejected': 'closed',
};
const SERVER_PR: Record<string, PullRequestEvent['action']> = {
  'pr:opened': 'opened',
  'pr:from_ref_updated': 'synchronize',
  'pr:merged': 'closed',
  'pr:declined': 'closed',
  'pr:deleted': 'closed',
};
const REVIEWS: Record<string, ReviewEvent['state']> = {
  'pullrequest:approved': 'approved',
  'pullrequest:changes_request_created': 'changes_requested',
  'pr:reviewer:approved': 'approved',
  'pr:reviewer:changes_requested': 'changes_requested',
  'pr:reviewer:needs_work': 'changes_requested',
};

export function normaliseBitbucket(event: string, payload: unknown, deliveryId: string): Normalised {
  if (event === 'diagnostics:ping') return { ignored: 'ping: the webhook reaches Sluice' };
  const server = event.startsWith('pr:') || event === 'repo:refs_changed';
  // Server pull-request payloads hold the repository under the target ref.
  const repoAt = server && event.startsWith('pr:') ? 'pullRequest.toRef.repository' : 'repository';
  const base = (): Base => ({ host: 'bitbucket', deliveryId, repository: server ? serverRepository(fieldAt(payload, repoAt)) : cloudRepository(fieldAt(payload, repoAt)) });

  if (event === 'repo:push') return { events: cloudPushes(payload, base) };
  if (event === 'repo:refs_changed') return { events: serverPushes(payload, base) };
  const cloudAction = CLOUD_PR[event];
  if (cloudAction) {
    return {
      events: [
        {
          ...base(),
          kind: 'pull_request',
          action: cloudAction,
          number: requireNumber(payload, 'pullrequest.id'),
          headSha: requireString(payload, 'pullrequest.source.commit.hash'),
          headRef: requireString(payload, 'pullrequest.source.branch.name'),
          baseRef: requireString(payload, 'pullrequest.destination.branch.name'),
          merged: event === 'pullrequest:fulfilled',
        },
      ],
    };
  }
  const serverAction = SERVER_PR[event];
  if (serverAction) {
    return {
      events: [
        {
          ...base(),
          kind: 'pull_request',
          action: serverAction,
          number: requireNumber(payload, 'pullRequest.id'),
          headSha: requireString(payload, 'pullRequest.fromRef.latestCommit'),
          headRef: requireString(payload, 'pullRequest.fromRef.displayId'),
          baseRef: requireString(payload, 'pullRequest.toRef.displayId'),
          merged: event === 'pr:merged',
        },
      ],
    };
  }
  if (event === 'pullrequest:comment_created') {
    return {
      events: [
        {
          ...base(),
          kind: 'comment',
          action: 'created',
          pullRequest: requireNumber(payload, 'pullrequest.id'),
          commentId: requireId(payload, 'comment.id'),
          body: optionalString(payload, 'comment.content.raw') ?? '',
          user: cloudUser(payload, fieldAt(payload, 'comment.user') ?? fieldAt(payload, 'actor')),
        },
      ],
    };
  }
  if (event === 'pr:comment:added') {
    return {
      events: [
        {
          ...base(),
          kind: 'comment',
          action: 'created',
          pullRequest: requireNumber(payload, 'pullRequest.id'),
          commentId: requireId(payload, 'comment.id'),
          body: optionalString(payload, 'comment.text') ?? '',
          user: optionalString(payload, 'comment.author.name') ?? requireString(payload, 'actor.name'),
        },
      ],
    };
  }
  const reviewState = REVIEWS[event];
  if (reviewState) {
    const user = server ? optionalString(payload, 'participant.user.name') ?? requireString(payload, 'actor.name') : cloudUser(payload, fieldAt(payload, 'approval.user') ?? fieldAt(payload, 'actor'));
    return { events: [{ ...base(), kind: 'review', state: reviewState, pullRequest: requireNumber(payload, server ? 'pullRequest.id' : 'pullrequest.id'), user }] };
  }
  return notUsed(event);
}

function cloudRepository(repo: unknown): Base['repository'] {
  const fullName = requireString(repo, 'full_name');
  const page = requireString(repo, 'links.html.href');
  const urls = [page];
  try {
    urls.push(`git@${new URL(page).hostname}:${fullName}.git`);
  } catch {
    // A page that is no URL matches nothing; the https form is kept as given.
  }
  return { fullName, cloneUrls: urls };
}

function serverRepository(repo: unknown): Base['repository'] {
  const clone = fieldAt(repo, 'links.clone');
  const cloneUrls = Array.isArray(clone) ? clone.map((c) => optionalString(c, 'href')).filter((h): h is string => h !== undefined) : [];
  return { fullName: `${requireString(repo, 'project.key')}/${requireString(repo, 'slug')}`, cloneUrls };
}

/** Bitbucket Cloud has no usernames since 2019: the nickname, else the account id. */
function cloudUser(payload: unknown, user: unknown): string {
  return optionalString(user, 'nickname') ?? optionalString(user, 'account_id') ?? optionalString(user, 'uuid') ?? requireString(payload, 'actor.display_name');
}

function cloudPushes(payload: unknown, base: () => Base): PushEvent[] {
  return requireArray(payload, 'push.changes').map((change, i) => {
    // `new` is null when the ref was deleted; `old` still names it.
    const side = fieldAt(change, 'new') ? 'new' : 'old';
    const type = requireString(change, `${side}.type`);
    const name = requireString(change, `${side}.name`);
    if (type !== 'branch' && type !== 'tag' && type !== 'annotated_tag') throw new MalformedPayloadError(`payload field push.changes[${i}].${side}.type: unknown ref type "${type}"`);
    return { ...base(), kind: 'push', ref: `${type === 'branch' ? 'refs/heads/' : 'refs/tags/'}${name}`, after: side === 'new' ? requireString(change, 'new.target.hash') : ZERO_SHA };
  });
}

function serverPushes(payload: unknown, base: () => Base): PushEvent[] {
  return requireArray(payload, 'changes').map((change) => ({
    ...base(),
    kind: 'push',
    ref: requireString(change, 'ref.id'),
    after: optionalString(change, 'type') === 'DELETE' ? ZERO_SHA : requireString(change, 'toHash'),
  }));
}
