// The Prometheus registry of this process, injected wherever metrics are recorded (no global
// registry, so tests and several app instances never collide).
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createMetricsRegistry(opts: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  return registry;
}
