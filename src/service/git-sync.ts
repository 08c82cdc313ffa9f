// Wires Git sync: one RepoSyncer per configured repository (isomorphic-git source, the cluster
// client, CRD schemas, metrics), a node-cron poll per repository, and the RepoSyncService the API
// and webhooks use. start() runs a first sync of every repository; stop() stops the polls and
// waits for syncs in flight.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SluiceConfig } from '../config/config-types.ts';
import type { Cluster } from '../ports/cluster.ts';
import type { RepoStatus, RepoSyncService } from '../ports/repo-sync.ts';
import { createIsomorphicGitSource } from '../git/isomorphic-git-source.ts';
import { RepoSyncer } from '../sync/repo-syncer.ts';
import { loadCrdCatalog } from '../validation/crd-catalog.ts';
import { createSyncMetrics } from '../observability/sync-metrics.ts';

export interface GitSync {
  service: RepoSyncService;
  syncers: RepoSyncer[];
  start(): void;
  stop(): Promise<void>;
}

export function defaultGitCacheDir(): string {
  return join(process.env.SLUICE_CACHE_DIR ?? join(homedir(), '.cache', 'sluice'), 'git');
}

export async function createGitSync(opts: { config: SluiceConfig; cluster: Cluster; registry: Registry; logger: Logger }): Promise<GitSync> {
  const { config, logger } = opts;
  const metrics = createSyncMetrics(opts.registry);
  const crdCatalog = await loadCrdCatalog();
  const cacheDir = config.git.cacheDir ?? defaultGitCacheDir();
  const syncers = config.repos.map(
    (repo) =>
      new RepoSyncer({
        repo,
        git: createIsomorphicGitSource({ name: repo.name, url: repo.url, ref: repo.ref, auth: repo.auth, cacheDir, onRequest: (kind) => metrics.gitRequest(repo.name, kind) }),
        cluster: opts.cluster,
        crdCatalog,
        stateNamespace: config.sync.stateNamespace,
        concurrency: config.sync.concurrency,
        limits: { maxFileBytes: config.sync.maxFileBytes, maxTotalBytes: config.sync.maxRepoBytes, maxAliasCount: 100 },
        log: logger.child({ component: 'sync', repo: repo.name }),
        metrics,
      }),
  );
  const byName = new Map(syncers.map((s) => [s.name, s]));
  const inFlight = new Set<Promise<RepoStatus>>();
  let stopped = false;
  const track = (p: Promise<RepoStatus>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };
  const tasks: ScheduledTask[] = [];

  const service: RepoSyncService = {
    list: () => syncers.map((s) => s.status()),
    get: (name) => byName.get(name)?.status(),
    sync(name, trigger) {
      const s = byName.get(name);
      if (!s || stopped) return undefined;
      return track(s.trigger(trigger));
    },
  };

  return {
    service,
    syncers,
    start() {
      for (const s of syncers) {
        void track(s.trigger('startup'));
        const repo = config.repos.find((r) => r.name === s.name);
        tasks.push(schedule(repo?.schedule ?? '* * * * *', () => void service.sync(s.name, 'poll'), { name: `sync-${s.name}` }));
      }
    },
    async stop() {
      stopped = true;
      for (const t of tasks) await t.destroy();
      await Promise.allSettled([...inFlight]);
    },
  };
}
