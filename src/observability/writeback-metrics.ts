// Prometheus metrics for status write-back, on the injected registry.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WritebackMetrics } from '../writeback/status-writer.ts';

export function createWritebackMetrics(registry: Registry): WritebackMetrics {
  const commits = new Counter({ name: 'sluice_writeback_commits_total', help: 'Status batches by repository and result: pushed (a commit landed), unchanged (nothing to commit), failed (given up for now; the files stay pending).', labelNames: ['repo', 'result'], registers: [registry] });
  const attempts = new Counter({ name: 'sluice_writeback_push_attempts_total', help: 'Pushes to status branches by result: accepted, rejected (the branch moved; fetched and re-applied), error.', labelNames: ['repo', 'result'], registers: [registry] });
  const pending = new Gauge({ name: 'sluice_writeback_pending_files', help: 'Status files waiting for a commit.', labelNames: ['repo'], registers: [registry] });
  return {
    commit: (repo, result) => commits.inc({ repo, result }),
    pushAttempt: (repo, result) => attempts.inc({ repo, result }),
    pending: (repo, files) => pending.set({ repo }, files),
  };
}
