// While a pull request is open (opened, reopened, new commits), one comment on it says what merging
// would do: the sync's dry run of the pull request's head commit for every configured repository
// it would deploy into. Nothing is applied. Updates of one pull request run one after another and
// collapse to the newest head.
import type { Logger } from 'pino';
import type { Rollout } from '../engine/types.ts';
import type { PullRequestEvent } from '../ports/webhook-events.ts';
import type { SyncReport } from '../ports/repo-sync.ts';
import { isForbidden } from './host-client.ts';
import { reposOfEvent, type HostedRepo } from './hosted-repo.ts';
import { PLAN_MARKER, renderPlanComment, type RepoPlan } from './plan-comment.ts';

export interface PlannedRevision {
  report: SyncReport;
  /** The Rollouts at that commit that the report creates or changes. */
  rollouts: Rollout[];
}

export interface PullRequestPlanDeps {
  repos: HostedRepo[];
  /** The dry run of `sha` (fetched from `ref`) for repository `repo`; applies nothing. */
  planRevision(repo: string, sha: string, ref: string): Promise<PlannedRevision>;
  /** Whether merging into `baseRef` deploys through this repository (it follows that branch). */
  deploysFrom(repo: string, baseRef: string): boolean;
  /** The ref spec in words, for the comment. */
  describeRef(repo: string): string;
  log: Logger;
}

export function createPullRequestPlans(deps: PullRequestPlanDeps): { pullRequest(event: PullRequestEvent): Promise<void> } {
  const { log } = deps;
  const latest = new Map<string, PullRequestEvent>();
  const busy = new Set<string>();

  async function plan(event: PullRequestEvent, repos: HostedRepo[]): Promise<void> {
    const first = repos[0];
    if (!first) return;
    const plans: RepoPlan[] = [];
    for (const repo of repos) {
      const ref = deps.describeRef(repo.name);
      try {
        const { report, rollouts } = await deps.planRevision(repo.name, event.headSha, repo.client.pullRequestHeadRef(event.number));
        plans.push({ repo: repo.name, ref, report, rollouts });
      } catch (err) {
        plans.push({ repo: repo.name, ref, error: (err as Error).message });
      }
    }
    const body = renderPlanComment({ headSha: event.headSha, plans });
    try {
      const outcome = await first.upserter.upsert(event.number, PLAN_MARKER, body);
      log.info({ repo: first.name, pullRequest: event.number, head: event.headSha, outcome }, 'pull-request plan');
    } catch (err) {
      const fields = { repo: first.name, host: first.client.type, pullRequest: event.number, err: (err as Error).message };
      if (isForbidden(err)) log.error(fields, 'could not write the plan comment: the API token lacks the rights');
      else log.warn(fields, 'could not write the plan comment');
    }
  }

  async function pullRequest(event: PullRequestEvent): Promise<void> {
    if (event.action !== 'opened' && event.action !== 'reopened' && event.action !== 'synchronize') return;
    const repos = reposOfEvent(deps.repos, event).filter((r) => r.pullRequests && deps.deploysFrom(r.name, event.baseRef));
    if (!repos.length) return;
    const key = `${event.host}\n${event.repository.fullName.toLowerCase()}\n${event.number}`;
    latest.set(key, event);
    if (busy.has(key)) return;
    busy.add(key);
    try {
      for (let next = latest.get(key); next; next = latest.get(key)) {
        latest.delete(key);
        await plan(next, repos);
      }
    } catch (err) {
      log.error({ err: (err as Error).message, pullRequest: event.number }, 'pull-request plan failed');
    } finally {
      busy.delete(key);
    }
  }

  return { pullRequest };
}
