// Who may steer a rollout from a pull request: people named in `host.approvers`, and people with
// write permission on the repository as the host reports it. Everyone else is told why not.
import { isForbidden, type GitHostClient, type Permission } from './host-client.ts';

export type AuthDecision =
  | { allowed: true; via: 'approvers' | 'permission' }
  | { allowed: false; reason: string; error?: unknown };

const normalise = (user: string) => user.replace(/^@/, '').toLowerCase();

export function isApprover(user: string, approvers: readonly string[]): boolean {
  const u = normalise(user);
  return u !== '' && approvers.some((a) => normalise(a) === u);
}

/** The decision from what is known; `permission` undefined when it was not needed or could not be read. */
export function decide(user: string, repository: string, approvers: readonly string[], permission: Permission | undefined): AuthDecision {
  if (isApprover(user, approvers)) return { allowed: true, via: 'approvers' };
  if (permission === 'write') return { allowed: true, via: 'permission' };
  const who = `@${user.replace(/^@/, '')}`;
  const rule = 'only people with write access to the repository or listed as approvers in Sluice\'s config may promote, abort or retry rollouts';
  if (permission === 'read') return { allowed: false, reason: `${who} has read access to ${repository}; ${rule}.` };
  return { allowed: false, reason: `${who} is not a collaborator with write access to ${repository}; ${rule}.` };
}

export async function authorize(user: string, approvers: readonly string[], client: GitHostClient): Promise<AuthDecision> {
  if (isApprover(user, approvers)) return decide(user, client.repository, approvers, undefined);
  try {
    return decide(user, client.repository, approvers, await client.permissionOf(user));
  } catch (err) {
    const why = isForbidden(err) ? 'its API token lacks the right to read collaborator permissions' : 'the host API did not answer';
    return { allowed: false, reason: `Sluice could not check the permission of @${user.replace(/^@/, '')} (${why}), so nothing was done.`, error: err };
  }
}
