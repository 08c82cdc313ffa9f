// Prometheus metrics for the Rollout controller, on the injected registry.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { RolloutControllerMetrics } from '../rollouts/rollout-controller.ts';

export function createRolloutMetrics(registry: Registry): RolloutControllerMetrics {
  const total = new Counter({ name: 'sluice_rollout_reconcile_total', help: 'Rollout reconciles by result (success, error).', labelNames: ['result'], registers: [registry] });
  const duration = new Histogram({ name: 'sluice_rollout_reconcile_duration_seconds', help: 'Wall time of one Rollout reconcile: decide, actions, status write.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
  return {
    reconciled(result, seconds) {
      total.inc({ result });
      duration.observe(seconds);
    },
  };
}
