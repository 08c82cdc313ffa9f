// Prometheus metrics for the AnalysisRun controller, on the injected registry.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AnalysisRunControllerMetrics } from '../analysis/analysis-run-controller.ts';

export function createAnalysisMetrics(registry: Registry): AnalysisRunControllerMetrics {
  const runs = new Counter({ name: 'sluice_analysis_runs_total', help: 'AnalysisRuns this process moved into a completed phase, by phase (Successful, Failed, Error, Inconclusive).', labelNames: ['phase'], registers: [registry] });
  const measurement = new Histogram({ name: 'sluice_analysis_measurement_duration_seconds', help: 'Wall time of one metric provider call (run, resume or terminate), by provider.', labelNames: ['provider'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  const startLag = new Histogram({
    name: 'sluice_analysis_measurement_start_lag_seconds',
    help: "How long after it was due a new measurement started (due: the previous measurement's recorded finishedAt + interval, or the run's startedAt + initialDelay), by provider.",
    labelNames: ['provider'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const reconciles = new Counter({ name: 'sluice_analysis_run_reconcile_total', help: 'AnalysisRun reconciles by result (success, error).', labelNames: ['result'], registers: [registry] });
  const reconcileDuration = new Histogram({ name: 'sluice_analysis_run_reconcile_duration_seconds', help: 'Wall time of one AnalysisRun reconcile: decide, secrets, measurements, status write.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  return {
    reconciled(result, seconds) {
      reconciles.inc({ result });
      reconcileDuration.observe(seconds);
    },
    measured(provider, seconds) {
      measurement.observe({ provider }, seconds);
    },
    measurementStarted(provider, seconds) {
      startLag.observe({ provider }, seconds);
    },
    completed(phase) {
      runs.inc({ phase });
    },
  };
}
