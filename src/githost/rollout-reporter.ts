// Reports each deployed Rollout back to the Git host: one comment per Rollout on the pull request
// that brought the deployed commit, edited in place as it moves, and a commit status
// `sluice/<namespace>/<rollout>` on that commit.
//
// Which Rollouts a commit deployed: when a repository's last applied commit moves, the Rollouts the
// sync created or changed for it. After a restart that history is gone: every Rollout of the
// repository is looked for on the pull request of the last applied commit, and only those whose
// comment is found there (by its marker) are reported again; nothing new is created for them.
//
// Updates follow the Rollout and AnalysisRun caches, debounced per Rollout, one write in flight per
// Rollout, and only when the rendered comment or status changed.
import type { Logger } from 'pino';
import type { Rollout } from '../engine/types.ts';
import type { ObjectCache } from '../ports/object-cache.ts';
import type { KubeObject } from '../ports/cluster.ts';
import type { RepoStatus, SyncReport } from '../ports/repo-sync.ts';
import type { AnalysisRunObject } from '../ports/rollout-commands.ts';
import type { ReplicaSet } from '../engine/types.ts';
import { describeRollout } from '../rollouts/rollout-view.ts';
import { isForbidden, type PullRequestInfo } from './host-client.ts';
import type { HostedRepo } from './hosted-repo.ts';
import { renderRolloutComment, rolloutMarker } from './rollout-comment.ts';
import { commitStatusOf } from './rollout-state.ts';

export interface TrackedRollout {
  namespace: string;
  name: string;
  repo: HostedRepo;
  commit: string;
  /** The pull request that brought the commit; undefined when there is none (or the host did not say). */
  pullRequest?: number;
}

export interface RolloutReporterDeps {
  repos: HostedRepo[];
  repoStatus(name: string): RepoStatus | undefined;
  rollouts: ObjectCache<KubeObject>;
  replicaSets: ObjectCache<KubeObject>;
  analysisRuns: ObjectCache<KubeObject>;
  /** Reads a Rollout from the API server: just after a sync the cache may still hold the old spec. */
  readRollout(namespace: string, name: string): Promise<Rollout | undefined>;
  log: Logger;
  /** Quiet time after a change before the comment is rendered. Default 1000 ms. */
  debounceMs?: number;
  /** How often the repositories' last applied commits are looked at. Default 1000 ms. */
  pollMs?: number;
  /** After a failed write, try again this much later. Default 30 s. */
  retryMs?: number;
}

export interface RolloutReporter {
  start(): void;
  stop(): Promise<void>;
  /** The tracked Rollouts of these repositories that came with the pull request (waits for pending look-ups). */
  rolloutsOf(repoNames: readonly string[], pullRequest: number): Promise<TrackedRollout[]>;
  /** Re-render soon, e.g. after a command changed it. */
  touch(namespace: string, name: string): void;
}

const REPO_LABEL = 'sluice.dev/repo';
const CHANGED_ROLLOUT = /^Rollout ([^/\s]+)\/(\S+)$/;

interface Entry {
  namespace: string;
  name: string;
  repo: HostedRepo;
  commit: string;
  /** undefined: not looked up yet; null: the host knows no pull request for the commit. */
  pullRequest?: number | null;
  /** Renders wait until the cache holds at least this generation (what the sync applied). */
  minGeneration?: number;
  /** Picked up after a restart: reported only once its comment was found on the pull request. */
  resumed: boolean;
  confirmed: boolean;
  lastBody?: string;
  lastStatus?: string;
  timer?: NodeJS.Timeout;
  running: boolean;
  dirty: boolean;
}

/** The pull request a commit came from: the one that merged it, else one whose head it is, else the first. */
export function pickPullRequest(prs: PullRequestInfo[], commit: string): PullRequestInfo | undefined {
  return (
    prs.find((p) => p.state === 'merged' && p.mergeCommitSha === commit) ??
    prs.find((p) => p.state === 'merged') ??
    prs.find((p) => p.headSha === commit) ??
    prs[0]
  );
}

/** Rollouts a sync created or changed, from its report's change list (`Rollout ns/name`). */
export function changedRollouts(report: SyncReport | undefined, commit: string): Array<{ namespace: string; name: string }> {
  if (!report || report.commit !== commit) return [];
  return report.changes.flatMap((c) => {
    const m = c.outcome === 'created' || c.outcome === 'changed' ? CHANGED_ROLLOUT.exec(c.object) : null;
    return m?.[1] && m[2] ? [{ namespace: m[1], name: m[2] }] : [];
  });
}

export function createRolloutReporter(deps: RolloutReporterDeps): RolloutReporter {
  const { log } = deps;
  const debounceMs = deps.debounceMs ?? 1000;
  const retryMs = deps.retryMs ?? 30_000;
  const entries = new Map<string, Entry>();
  const seen = new Map<string, string>();
  const lookups = new Map<string, Promise<number | null>>();
  const running = new Set<Promise<void>>();
  let poller: NodeJS.Timeout | undefined;
  let stopped = false;
  const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

  function schedule(entry: Entry, delay = debounceMs): void {
    if (stopped || entry.timer) return;
    entry.timer = setTimeout(() => {
      delete entry.timer;
      const p = flush(entry);
      running.add(p);
      void p.finally(() => running.delete(p));
    }, delay);
  }

  async function pullRequestOf(entry: Entry): Promise<number | null | undefined> {
    if (entry.pullRequest !== undefined) return entry.pullRequest;
    const key = `${entry.repo.name}\n${entry.commit}`;
    let lookup = lookups.get(key);
    if (!lookup) {
      const { client } = entry.repo;
      lookup = client.pullRequestsForCommit(entry.commit).then((prs) => pickPullRequest(prs, entry.commit)?.number ?? null);
      lookups.set(key, lookup);
      // A failed look-up is asked again at the next render.
      lookup.catch(() => lookups.delete(key));
    }
    try {
      entry.pullRequest = await lookup;
      return entry.pullRequest;
    } catch (err) {
      logFailure(err, entry, 'could not find the pull request of the deployed commit');
      return undefined;
    }
  }

  function logFailure(err: unknown, entry: Entry, what: string): void {
    const fields = { repo: entry.repo.name, host: entry.repo.client.type, rollout: keyOf(entry.namespace, entry.name), commit: entry.commit, err: (err as Error).message };
    if (isForbidden(err)) log.error(fields, `${what}: the API token lacks the rights (see README, Pull requests and approvals)`);
    else log.warn(fields, what);
  }

  /** Who else came with the same pull request decides whether commands need the Rollout's name. */
  function commandTarget(entry: Entry): string | undefined {
    const siblings = [...entries.values()].filter((e) => e.pullRequest === entry.pullRequest && e.repo.client.repository === entry.repo.client.repository);
    if (siblings.length <= 1) return undefined;
    return siblings.filter((e) => e.name === entry.name).length > 1 ? keyOf(entry.namespace, entry.name) : entry.name;
  }

  async function flush(entry: Entry): Promise<void> {
    if (entry.running) {
      entry.dirty = true;
      return;
    }
    entry.running = true;
    let retry = false;
    try {
      if (entry.minGeneration === undefined && !entry.resumed) {
        const live = await deps.readRollout(entry.namespace, entry.name);
        entry.minGeneration = live?.metadata.generation ?? 0;
      }
      const rollout = deps.rollouts.get(entry.name, entry.namespace) as Rollout | undefined;
      if (!rollout) return;
      // The cache has not caught up with what the sync applied, or the controller has not seen
      // that spec yet (its status still describes the previous update): a later cache event renders it.
      const generation = rollout.metadata.generation ?? 0;
      if (generation < (entry.minGeneration ?? 0)) return;
      const observed = Number(rollout.status?.observedGeneration);
      if (!entry.resumed && Number.isInteger(observed) && observed < generation) return;
      const replicaSets = deps.replicaSets.list(entry.namespace) as unknown as ReplicaSet[];
      const runs = deps.analysisRuns.list(entry.namespace) as unknown as AnalysisRunObject[];
      const view = describeRollout(rollout, replicaSets, [], runs);
      if (!entry.repo.pullRequests) return;

      const pr = await pullRequestOf(entry);
      if (pr === undefined) retry = true;
      if (pr !== undefined && pr !== null) {
        const target = commandTarget(entry);
        const body = renderRolloutComment({ rollout, view, commit: entry.commit, ...(target ? { commandTarget: target } : {}) });
        if (body !== entry.lastBody) {
          try {
            const outcome = await entry.repo.upserter.upsert(pr, rolloutMarker(entry.namespace, entry.name), body, { createIfMissing: !entry.resumed });
            if (outcome !== 'superseded') entry.lastBody = body;
            if (outcome === 'created' || outcome === 'updated' || outcome === 'unchanged') entry.confirmed = true;
            log.debug({ repo: entry.repo.name, pullRequest: pr, rollout: keyOf(entry.namespace, entry.name), outcome }, 'pull-request comment');
          } catch (err) {
            retry = true;
            logFailure(err, entry, 'could not write the pull-request comment');
          }
        }
      }

      const status = commitStatusOf(view.summary);
      const statusKey = `${status.state}\n${status.description}`;
      if (statusKey !== entry.lastStatus && entry.confirmed) {
        try {
          await entry.repo.client.setCommitStatus(entry.commit, { ...status, context: `sluice/${entry.namespace}/${entry.name}` });
          entry.lastStatus = statusKey;
        } catch (err) {
          retry = true;
          logFailure(err, entry, 'could not set the commit status');
        }
      }
    } catch (err) {
      retry = true;
      logFailure(err, entry, 'could not report the rollout');
    } finally {
      entry.running = false;
      if (entry.dirty) {
        entry.dirty = false;
        schedule(entry);
      } else if (retry) schedule(entry, retryMs);
    }
  }

  function track(entry: Entry): void {
    const key = keyOf(entry.namespace, entry.name);
    const old = entries.get(key);
    if (old?.timer) clearTimeout(old.timer);
    entries.set(key, entry);
    schedule(entry);
  }

  function poll(): void {
    if (!deps.rollouts.synced) return;
    for (const repo of deps.repos) {
      const status = deps.repoStatus(repo.name);
      const commit = status?.lastAppliedCommit;
      const before = seen.get(repo.name);
      if (!commit || commit === before) continue;
      seen.set(repo.name, commit);
      const base = { repo, commit, running: false, dirty: false };
      if (before === undefined) {
        for (const ro of deps.rollouts.list()) {
          if (ro.metadata?.labels?.[REPO_LABEL] !== repo.name || entries.has(keyOf(ro.metadata.namespace ?? '', ro.metadata.name ?? ''))) continue;
          track({ ...base, namespace: ro.metadata.namespace ?? '', name: ro.metadata.name ?? '', resumed: true, confirmed: false });
        }
      } else {
        const changed = changedRollouts(status?.lastSync, commit);
        for (const { namespace, name } of changed) track({ ...base, namespace, name, resumed: false, confirmed: true });
        if (changed.length) log.info({ repo: repo.name, commit, rollouts: changed.map((r) => keyOf(r.namespace, r.name)) }, 'reporting rollouts to the Git host');
      }
      // Look-ups of commits no Rollout refers to any more are not needed again.
      const live = new Set([...entries.values()].map((e) => `${e.repo.name}\n${e.commit}`));
      for (const k of lookups.keys()) if (!live.has(k)) lookups.delete(k);
    }
  }

  const onRollout = (obj: KubeObject) => {
    const entry = entries.get(keyOf(obj.metadata?.namespace ?? '', obj.metadata?.name ?? ''));
    if (entry) schedule(entry);
  };
  const onRun = (obj: KubeObject) => {
    const owner = obj.metadata?.ownerReferences?.find((o) => o.kind === 'Rollout');
    const entry = owner && entries.get(keyOf(obj.metadata?.namespace ?? '', owner.name));
    if (entry) schedule(entry);
  };

  return {
    start() {
      for (const event of ['add', 'update', 'resync'] as const) {
        deps.rollouts.on(event, onRollout);
        deps.analysisRuns.on(event, onRun);
      }
      deps.rollouts.on('delete', (obj) => {
        const key = keyOf(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
        const entry = entries.get(key);
        if (entry?.timer) clearTimeout(entry.timer);
        entries.delete(key);
      });
      poller = setInterval(poll, deps.pollMs ?? 1000);
      poll();
    },
    async stop() {
      stopped = true;
      if (poller) clearInterval(poller);
      for (const e of entries.values()) if (e.timer) clearTimeout(e.timer);
      await Promise.allSettled([...running]);
    },
    async rolloutsOf(repoNames, pullRequest) {
      const candidates = [...entries.values()].filter((e) => e.confirmed && repoNames.includes(e.repo.name));
      const found: TrackedRollout[] = [];
      for (const e of candidates) {
        if ((await pullRequestOf(e)) === pullRequest) found.push({ namespace: e.namespace, name: e.name, repo: e.repo, commit: e.commit, pullRequest });
      }
      return found;
    },
    touch(namespace, name) {
      const entry = entries.get(keyOf(namespace, name));
      if (entry) schedule(entry);
    },
  };
}
