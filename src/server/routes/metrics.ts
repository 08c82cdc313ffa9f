// Prometheus scrape endpoint for this process's registry.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export function registerMetricsRoute(app: FastifyInstance, deps: { metrics: Registry }): void {
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.contentType);
    return await deps.metrics.metrics();
  });
}
