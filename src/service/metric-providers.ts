// The metric providers an AnalysisRun can use, one per `metrics[].provider` key. A provider added
// here is available to every run; a key with no provider makes the measurement an Error naming the
// supported ones.
import type { Cluster } from '../ports/cluster.ts';
import { createMetricProviderRegistry, type MetricProviderRegistry } from '../ports/metric-provider.ts';
import { createPrometheusProvider } from '../metrics/prometheus-provider.ts';
import { createWebProvider } from '../metrics/web-provider.ts';
import { createJobProvider } from '../metrics/job-provider.ts';

export function createMetricProviders(opts: { cluster: Cluster }): MetricProviderRegistry {
  return createMetricProviderRegistry([createPrometheusProvider(), createWebProvider(), createJobProvider({ cluster: opts.cluster })]);
}
