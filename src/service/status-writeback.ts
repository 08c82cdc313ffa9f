// Wires status write-back: for each repository with `writeback`, a status branch in its own
// working cache (`<git.cacheDir>/writeback/<repo>.git`, apart from the sync's cache) with the
// repository's credentials, a batching writer, and one watcher over the Rollout and AnalysisRun
// caches that decides what to write. start() once the caches are synced; stop() commits what is
// still pending.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SluiceConfig } from '../config/config-types.ts';
import type { ObjectCache } from '../ports/object-cache.ts';
import type { RepoSyncService } from '../ports/repo-sync.ts';
import { createStatusBranch } from '../writeback/status-branch.ts';
import { createStatusWriter, type StatusWriter } from '../writeback/status-writer.ts';
import { createRolloutStatusWatcher, type WritebackTarget } from '../writeback/rollout-status-watcher.ts';
import { sameStatus } from '../writeback/status-document.ts';
import { createWritebackMetrics } from '../observability/writeback-metrics.ts';
import { defaultGitCacheDir } from './git-sync.ts';

export interface StatusWriteback {
  writers: Map<string, StatusWriter>;
  start(): void;
  stop(): Promise<void>;
}

// The subject names up to three Rollouts (`namespace/name`); the body lists every file.
function commitMessage(changed: string[]): string {
  const names = changed.map((p) => p.replace(/\.yaml$/, '').split('/').slice(-2).join('/'));
  const subject = names.length <= 3 ? `Rollout status: ${names.join(', ')}` : `Rollout status: ${names.length} rollouts`;
  return `${subject}\n\n${changed.map((p) => `- ${p}`).join('\n')}\n`;
}

export function createStatusWriteback(opts: {
  config: SluiceConfig;
  caches: { rollouts: ObjectCache; replicaSets: ObjectCache; analysisRuns: ObjectCache };
  repos: RepoSyncService;
  registry: Registry;
  logger: Logger;
}): StatusWriteback {
  const { config, logger } = opts;
  const cacheDir = join(config.git.cacheDir ?? defaultGitCacheDir(), 'writeback');
  const metrics = createWritebackMetrics(opts.registry);
  const log = logger.child({ component: 'writeback' });
  const writers = new Map<string, StatusWriter>();
  const targets = new Map<string, WritebackTarget>();
  for (const repo of config.repos) {
    const wb = repo.writeback;
    if (!wb) continue;
    const branch = createStatusBranch({
      url: repo.url,
      branch: wb.branch,
      auth: repo.auth,
      gitdir: join(cacheDir, `${repo.name}.git`),
      author: { name: wb.authorName, email: wb.authorEmail },
      // The config check cannot see which branch the remote's HEAD is; the first push checks.
      refuseIfRemoteHead: 'head' in repo.ref,
    });
    const writer = createStatusWriter({ repo: repo.name, branch, batchWindowMs: wb.batchWindowMs, maxPushAttempts: wb.maxPushAttempts, log, metrics, same: sameStatus, message: commitMessage });
    writers.set(repo.name, writer);
    targets.set(repo.name, { writer, path: wb.path });
  }
  const watcher = createRolloutStatusWatcher({ caches: opts.caches, repos: opts.repos, targets, log });
  return {
    writers,
    start: () => watcher.start(),
    async stop() {
      watcher.stop();
      await Promise.all([...writers.values()].map((w) => w.stop()));
    },
  };
}
