// Which configured repositories a push concerns: the payload's clone URLs against `repos[].url`
// (see clone-url.ts), then the pushed ref against what each repository follows:
//   branch B       refs/heads/B
//   tag T          refs/tags/T
//   semver range   any refs/tags/* (the sync picks the highest match)
//   commit pin     never (a pinned commit does not move)
//   HEAD           any refs/heads/* (the default branch may be any of them; a sync costs one refs request)
// A push to a repository's status branch (repos[].writeback.branch) never concerns it: those are
// Sluice's own commits.
import type { RepoConfig } from '../config/config-types.ts';
import type { PushEvent } from '../ports/webhook-events.ts';
import { cloneUrlKey } from './clone-url.ts';

export interface PushMatch {
  /** Names of the repositories to sync. */
  repos: string[];
  /** Why nothing matched, when nothing did. */
  reason?: string;
}

export function matchPush(repos: readonly RepoConfig[], event: Pick<PushEvent, 'ref' | 'repository'>): PushMatch {
  const keys = new Set(event.repository.cloneUrls.map(cloneUrlKey).filter((k): k is string => k !== undefined));
  const sameUrl = repos.filter((r) => {
    const key = cloneUrlKey(r.url);
    return key !== undefined && keys.has(key);
  });
  if (!sameUrl.length) return { repos: [], reason: `no repository in the config has the URL of ${event.repository.fullName}` };
  const matched: string[] = [];
  const skipped: string[] = [];
  for (const repo of sameUrl) {
    const why = whyNot(repo, event.ref);
    if (why) skipped.push(`${repo.name}: ${why}`);
    else matched.push(repo.name);
  }
  return matched.length ? { repos: matched } : { repos: [], reason: skipped.join('; ') };
}

/** Why a push of `ref` does not concern `repo`, or undefined when it does. */
function whyNot(repo: RepoConfig, ref: string): string | undefined {
  if (repo.writeback && ref === `refs/heads/${repo.writeback.branch}`) return `${ref} is its status branch`;
  const spec = repo.ref;
  if ('commit' in spec && spec.commit) return `it is pinned to commit ${spec.commit.slice(0, 7)}`;
  if ('branch' in spec) return ref === `refs/heads/${spec.branch}` ? undefined : `it follows branch ${spec.branch}, not ${ref}`;
  if ('tag' in spec) return ref === `refs/tags/${spec.tag}` ? undefined : `it follows tag ${spec.tag}, not ${ref}`;
  if ('semver' in spec) return ref.startsWith('refs/tags/') ? undefined : `it follows tags matching ${spec.semver}, not ${ref}`;
  return ref.startsWith('refs/heads/') ? undefined : `it follows HEAD, not ${ref}`;
}
