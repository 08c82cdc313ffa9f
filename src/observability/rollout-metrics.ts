// Prometheus metrics for the Rollout controller, on the injected registry.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { RolloutControllerMetrics } from '../rollouts/rollout-controller.ts';

export function createRolloutMetrics(registry: Registry): RolloutControllerMetrics {
  const total = new Counter({ name: 'sluice_rollout_reconcile_total', help: 'Rollout reconciles by result (success, error).', labelNames: ['result'], registers: [registry] });
  const duration = new Histogram({ name: 'sluice_rollout_reconcile_duration_seconds', help: 'Wall time of one Rollout reconcile: decide, actions, status write.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
  const queueWait = new Histogram({
    name: 'sluice_rollout_queue_wait_seconds',
    help: 'Time a Rollout key waited in the work queue before its reconcile started, by lane: due (a pause or deadline whose time came, measured from that time) or event (measured from the first watch event).',
    labelNames: ['lane'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const statusPatch = new Histogram({ name: 'sluice_rollout_status_patch_duration_seconds', help: 'Wall time of one Rollout status write (PATCH rollouts/status).', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
  return {
    reconciled(result, seconds) {
      total.inc({ result });
      duration.observe(seconds);
    },
    queueWait(lane, seconds) {
      queueWait.observe({ lane }, seconds);
    },
    statusPatched(seconds) {
      statusPatch.observe(seconds);
    },
  };
}
