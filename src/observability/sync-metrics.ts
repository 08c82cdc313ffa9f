// Prometheus metrics for Git sync, on the injected registry.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { SyncMetrics } from '../sync/sync-metrics.ts';

export function createSyncMetrics(registry: Registry): SyncMetrics {
  const syncs = new Counter({ name: 'sluice_sync_total', help: 'Syncs by repository and result (succeeded, partial, failed, unavailable).', labelNames: ['repo', 'result'], registers: [registry] });
  const duration = new Histogram({ name: 'sluice_sync_duration_seconds', help: 'Wall time of one sync: refs, fetch, render, apply, prune.', labelNames: ['repo'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry] });
  const git = new Counter({ name: 'sluice_git_requests_total', help: 'HTTP requests to Git servers, by kind: refs (ref advertisement) or fetch (upload-pack).', labelNames: ['repo', 'kind'], registers: [registry] });
  const drift = new Counter({ name: 'sluice_sync_drift_repaired_total', help: 'Live objects changed by hand and set back to what Git says.', labelNames: ['repo'], registers: [registry] });
  return {
    syncFinished(repo, result, seconds) {
      syncs.inc({ repo, result });
      duration.observe({ repo }, seconds);
    },
    gitRequest(repo, kind) {
      git.inc({ repo, kind });
    },
    driftRepaired(repo, objects) {
      drift.inc({ repo }, objects);
    },
  };
}
