// Decides when a Rollout's status file is written: when its phase, step, revision or an analysis
// verdict changes (statusTrigger), or its repository's applied commit changes, for Rollouts that a
// repository with write-back deployed (the sync's `sluice.dev/repo` label). The file is rendered
// when the commit is built, from the caches at that moment, so a batch carries the newest state;
// a Rollout that is gone by then has its file removed.
import type { Logger } from 'pino';
import type { KubeObject } from '../ports/cluster.ts';
import type { ObjectCache } from '../ports/object-cache.ts';
import type { RepoSyncService } from '../ports/repo-sync.ts';
import type { AnalysisRunObject } from '../ports/rollout-commands.ts';
import type { ReplicaSet, Rollout } from '../engine/types.ts';
import { REPO_LABEL } from '../sync/object-identity.ts';
import { renderStatusFile, statusDocument, statusFilePath, statusTrigger } from './status-document.ts';
import type { StatusWriter } from './status-writer.ts';
import { realTimers, type Timers } from './batch-timer.ts';

export interface WritebackTarget {
  writer: Pick<StatusWriter, 'set'>;
  /** The status directory in the repository. */
  path: string;
}

export interface RolloutStatusWatcherDeps {
  caches: { rollouts: ObjectCache; replicaSets: ObjectCache; analysisRuns: ObjectCache };
  repos: Pick<RepoSyncService, 'get'>;
  /** By repository name; only repositories with write-back. */
  targets: ReadonlyMap<string, WritebackTarget>;
  log: Logger;
  now?: () => Date;
  timers?: Timers;
  /** How often the repositories' applied commits are looked at (in memory). Default 1 s. */
  commitPollMs?: number;
}

export interface RolloutStatusWatcher {
  /** Call once the caches are synced: writes every current Rollout's file (unchanged ones commit nothing). */
  start(): void;
  stop(): void;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const ownedBy = (uid: string | undefined) => (o: KubeObject) => uid !== undefined && (o.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);

export function createRolloutStatusWatcher(deps: RolloutStatusWatcherDeps): RolloutStatusWatcher {
  const { caches, targets } = deps;
  const now = deps.now ?? (() => new Date());
  const timers = deps.timers ?? realTimers;
  // Per Rollout: the repository and trigger last sent to a writer.
  const last = new Map<string, { repo: string; trigger: string }>();
  const commits = new Map<string, string | undefined>();
  let started = false;
  let stopped = false;
  let pollHandle: unknown;

  const deployedCommit = (repo: string) => deps.repos.get(repo)?.lastAppliedCommit;
  const related = (rollout: Rollout) => {
    const ns = rollout.metadata.namespace ?? 'default';
    const owned = ownedBy(rollout.metadata.uid);
    return {
      replicaSets: caches.replicaSets.list(ns).filter(owned) as unknown as ReplicaSet[],
      analysisRuns: caches.analysisRuns.list(ns).filter(owned) as unknown as AnalysisRunObject[],
    };
  };

  // The file's content when the commit is built; null (remove the file) when the Rollout is gone
  // or now belongs to another repository.
  const render = (repo: string, namespace: string, name: string) => (): string | null => {
    const obj = caches.rollouts.get(name, namespace);
    if (!obj || obj.metadata?.labels?.[REPO_LABEL] !== repo) return null;
    const rollout = obj as unknown as Rollout;
    return renderStatusFile(statusDocument({ rollout, ...related(rollout), repo, deployedCommit: deployedCommit(repo), updatedAt: now() }));
  };

  const write = (repo: string, namespace: string, name: string) => {
    const target = targets.get(repo);
    target?.writer.set(statusFilePath(target.path, namespace, name), render(repo, namespace, name));
  };

  const evaluate = (obj: KubeObject) => {
    if (stopped || !started) return;
    const name = obj.metadata?.name;
    const namespace = obj.metadata?.namespace ?? 'default';
    if (!name) return;
    const key = keyOf(namespace, name);
    const repo = obj.metadata?.labels?.[REPO_LABEL];
    const before = last.get(key);
    // Relabelled to another repository (or none): the old repository's file goes.
    if (before && before.repo !== repo) {
      last.delete(key);
      write(before.repo, namespace, name);
    }
    if (!repo || !targets.has(repo)) return;
    const rollout = obj as unknown as Rollout;
    if (rollout.metadata.deletionTimestamp) return;
    const { replicaSets, analysisRuns } = related(rollout);
    const trigger = `${deployedCommit(repo) ?? ''} ${statusTrigger(rollout, analysisRuns, replicaSets)}`;
    if (before?.repo === repo && before.trigger === trigger) return;
    last.set(key, { repo, trigger });
    write(repo, namespace, name);
  };

  const removed = (obj: KubeObject) => {
    if (stopped || !started) return;
    const key = keyOf(obj.metadata?.namespace ?? 'default', obj.metadata?.name ?? '');
    const before = last.get(key);
    if (!before) return;
    last.delete(key);
    write(before.repo, obj.metadata?.namespace ?? 'default', obj.metadata?.name ?? '');
  };

  // An AnalysisRun's change matters through the Rollout that owns it.
  const runChanged = (run: KubeObject) => {
    const owner = run.metadata?.ownerReferences?.find((o) => o.kind === 'Rollout');
    const rollout = owner ? caches.rollouts.get(owner.name, run.metadata?.namespace) : undefined;
    if (rollout && rollout.metadata?.uid === owner?.uid) evaluate(rollout);
  };

  // A sync that applied a new commit changes every file of that repository (deployedCommit).
  const pollCommits = () => {
    pollHandle = undefined;
    if (stopped) return;
    for (const repo of targets.keys()) {
      const commit = deployedCommit(repo);
      if (commits.get(repo) === commit) continue;
      commits.set(repo, commit);
      for (const r of caches.rollouts.list()) if (r.metadata?.labels?.[REPO_LABEL] === repo) evaluate(r);
    }
    pollHandle = timers.setTimeout(pollCommits, deps.commitPollMs ?? 1000);
  };

  return {
    start() {
      if (started || stopped || targets.size === 0) return;
      started = true;
      for (const event of ['add', 'update', 'resync'] as const) {
        caches.rollouts.on(event, evaluate);
        caches.analysisRuns.on(event, runChanged);
      }
      caches.rollouts.on('delete', removed);
      caches.analysisRuns.on('delete', runChanged);
      for (const repo of targets.keys()) commits.set(repo, deployedCommit(repo));
      for (const r of caches.rollouts.list()) evaluate(r);
      pollHandle = timers.setTimeout(pollCommits, deps.commitPollMs ?? 1000);
      deps.log.info({ repos: [...targets.keys()] }, 'status write-back started');
    },
    stop() {
      stopped = true;
      if (pollHandle !== undefined) timers.clearTimeout(pollHandle);
    },
  };
}
