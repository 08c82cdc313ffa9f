// How each Git host sends a delivery: which header names the event, which carries the delivery id,
// how the body is signed, and which normaliser reads it. Header names are lower case (Node's).
import type { GitHostName } from '../ports/webhook-events.ts';
import type { Normaliser } from './normalised.ts';
import type { SignatureScheme } from './verify-signature.ts';
import { normaliseGithub } from './normalise-github.ts';
import { normaliseGitea } from './normalise-gitea.ts';
import { normaliseGitlab } from './normalise-gitlab.ts';
import { normaliseBitbucket } from './normalise-bitbucket.ts';

export interface HostProtocol {
  eventHeader: string;
  /** The first present one is the delivery id; without any, a digest of the body stands in. */
  deliveryHeaders: string[];
  signature: { header: string; scheme: SignatureScheme };
  /** Event names counted under their own metric label; anything else counts as `other`. */
  knownEvents: ReadonlySet<string>;
  normalise: Normaliser;
}

export const HOST_NAMES: readonly GitHostName[] = ['github', 'gitlab', 'gitea', 'bitbucket'];

export const HOSTS: Record<GitHostName, HostProtocol> = {
  github: {
    eventHeader: 'x-github-event',
    deliveryHeaders: ['x-github-delivery'],
    signature: { header: 'x-hub-signature-256', scheme: 'hmac-sha256-prefixed' },
    knownEvents: new Set(['ping', 'push', 'pull_request', 'issue_comment', 'pull_request_review']),
    normalise: normaliseGithub,
  },
  gitea: {
    eventHeader: 'x-gitea-event',
    deliveryHeaders: ['x-gitea-delivery'],
    signature: { header: 'x-gitea-signature', scheme: 'hmac-sha256-hex' },
    knownEvents: new Set(['push', 'pull_request', 'issue_comment', 'pull_request_approved', 'pull_request_rejected', 'pull_request_comment']),
    normalise: normaliseGitea,
  },
  gitlab: {
    eventHeader: 'x-gitlab-event',
    // Idempotency-Key (GitLab 17.4+) stays the same across retries, which is the point.
    deliveryHeaders: ['idempotency-key', 'x-gitlab-event-uuid'],
    signature: { header: 'x-gitlab-token', scheme: 'token' },
    knownEvents: new Set(['Push Hook', 'Tag Push Hook', 'Merge Request Hook', 'Note Hook']),
    normalise: normaliseGitlab,
  },
  bitbucket: {
    eventHeader: 'x-event-key',
    // Cloud: X-Request-UUID; Data Center/Server: X-Request-Id.
    deliveryHeaders: ['x-request-uuid', 'x-request-id'],
    signature: { header: 'x-hub-signature', scheme: 'hmac-sha256-prefixed' },
    knownEvents: new Set([
      'diagnostics:ping',
      'repo:push',
      'repo:refs_changed',
      'pullrequest:created',
      'pullrequest:updated',
      'pullrequest:fulfilled',
      'pullrequest:rejected',
      'pullrequest:comment_created',
      'pullrequest:approved',
      'pullrequest:changes_request_created',
      'pr:opened',
      'pr:from_ref_updated',
      'pr:merged',
      'pr:declined',
      'pr:deleted',
      'pr:comment:added',
      'pr:reviewer:approved',
      'pr:reviewer:changes_requested',
      'pr:reviewer:needs_work',
    ]),
    normalise: normaliseBitbucket,
  },
};
