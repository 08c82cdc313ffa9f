// Wires the pull-request integration: a host client per repository with `host` config, the
// reporter (comments and commit statuses following the Rollout caches), the approvals (commands
// and reviews acting through RolloutCommands) and the plan of open pull requests (the sync's dry
// run of their head). The webhook endpoint gets `handlers`.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RefSpec, SluiceConfig } from '../config/config-types.ts';
import type { Cluster, KubeObject } from '../ports/cluster.ts';
import type { ObjectCache } from '../ports/object-cache.ts';
import type { RolloutCommands } from '../ports/rollout-commands.ts';
import type { WebhookHandlers } from '../ports/webhook-events.ts';
import type { Rollout } from '../engine/types.ts';
import { createHostClient } from '../githost/host-registry.ts';
import { createCommentUpserter } from '../githost/comment-upserter.ts';
import type { HostedRepo } from '../githost/hosted-repo.ts';
import { createRolloutReporter } from '../githost/rollout-reporter.ts';
import { createApprovals } from '../githost/pr-approvals.ts';
import { createPullRequestPlans, type PlannedRevision } from '../githost/pr-plan.ts';
import { createGitHostMetrics } from '../observability/githost-metrics.ts';
import { describeRef } from '../sync/repo-syncer.ts';
import { describeObject } from '../sync/object-identity.ts';
import type { GitSync } from './git-sync.ts';

export interface PullRequestsDeps {
  config: SluiceConfig;
  caches: { rollouts: ObjectCache<KubeObject>; replicaSets: ObjectCache<KubeObject>; analysisRuns: ObjectCache<KubeObject> };
  gitSync: GitSync;
  cluster: Cluster;
  rolloutCommands: RolloutCommands;
  registry: Registry;
  logger: Logger;
  /** Quiet time before a changed Rollout's comment is rendered (default 1000 ms). */
  debounceMs?: number;
}

export interface PullRequests {
  handlers: Required<Pick<WebhookHandlers, 'pullRequest' | 'comment' | 'review'>>;
  /** Starts following the caches; call once they are started. */
  start(): void;
  stop(): Promise<void>;
}

/** Whether merging into `baseRef` deploys: the repository follows that branch (or the remote's HEAD, whose name Sluice does not know). */
export function deploysFrom(ref: RefSpec, baseRef: string): boolean {
  if ('head' in ref) return true;
  if ('commit' in ref && ref.commit) return false;
  return 'branch' in ref && ref.branch === baseRef;
}

export function createPullRequests(deps: PullRequestsDeps): PullRequests {
  const { config, cluster } = deps;
  const log = deps.logger.child({ component: 'pull-requests' });
  const metrics = createGitHostMetrics(deps.registry);
  const repos: HostedRepo[] = config.repos.flatMap((repo) => {
    if (!repo.host) return [];
    const client = createHostClient(repo.host, { log, metrics });
    return [{ name: repo.name, client, upserter: createCommentUpserter(client), approvers: repo.host.approvers, pullRequests: repo.host.pullRequests }];
  });
  const readRollout = async (namespace: string, name: string) =>
    (await cluster.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace, name })) as unknown as Rollout | undefined;

  const reporter = createRolloutReporter({
    repos,
    repoStatus: (name) => deps.gitSync.service.get(name),
    rollouts: deps.caches.rollouts,
    replicaSets: deps.caches.replicaSets,
    analysisRuns: deps.caches.analysisRuns,
    readRollout,
    log,
    debounceMs: deps.debounceMs,
  });
  const approvals = createApprovals({ repos, reporter, commands: deps.rolloutCommands, readRollout, log, metrics });

  const repoConfig = (name: string) => {
    const repo = config.repos.find((r) => r.name === name);
    if (!repo) throw new Error(`no repository named "${name}"`);
    return repo;
  };
  async function planRevision(name: string, sha: string, ref: string): Promise<PlannedRevision> {
    const syncer = deps.gitSync.syncers.find((s) => s.name === name);
    if (!syncer) throw new Error(`no repository named "${name}"`);
    const report = await syncer.plan(sha, { ref });
    if (report.commit !== sha || report.result === 'unavailable') return { report, rollouts: [] };
    // The Rollouts this commit would create or change, with the namespace sync would give them.
    const touched = new Set(report.changes.filter((c) => c.outcome === 'created' || c.outcome === 'changed').map((c) => c.object));
    const rollouts = (await syncer.renderedAt(sha)).flatMap((o) => {
      if (o.object.kind !== 'Rollout' || o.object.apiVersion !== 'argoproj.io/v1alpha1') return [];
      const rollout = structuredClone(o.object) as unknown as Rollout;
      rollout.metadata.namespace ??= repoConfig(name).namespace;
      return touched.has(describeObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: rollout.metadata.namespace, name: rollout.metadata.name })) ? [rollout] : [];
    });
    return { report, rollouts };
  }
  const plans = createPullRequestPlans({
    repos,
    planRevision,
    deploysFrom: (name, baseRef) => deploysFrom(repoConfig(name).ref, baseRef),
    describeRef: (name) => describeRef(repoConfig(name).ref),
    log,
  });

  return {
    handlers: { pullRequest: plans.pullRequest, comment: approvals.comment, review: approvals.review },
    start() {
      if (repos.length) reporter.start();
    },
    stop: () => reporter.stop(),
  };
}
