// What sync reports to metrics; src/observability/sync-metrics.ts implements it with prom-client.
import type { SyncResult } from '../ports/repo-sync.ts';

export interface SyncMetrics {
  syncFinished(repo: string, result: SyncResult, seconds: number): void;
  gitRequest(repo: string, kind: string): void;
  driftRepaired(repo: string, objects: number): void;
}

export const noSyncMetrics: SyncMetrics = { syncFinished() {}, gitRequest() {}, driftRepaired() {} };
