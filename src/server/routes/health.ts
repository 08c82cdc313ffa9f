// Liveness and readiness probes. /healthz: the process serves requests. /readyz: 200 only when
// every readiness check passes, otherwise 503 with the first failing check's reason.
import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../readiness.ts';

export function registerHealthRoutes(app: FastifyInstance, deps: { readiness: Readiness }): void {
  // Probes every few seconds would drown the log: these routes log only warnings.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const result = await deps.readiness.evaluate();
    if (result.ready) return { status: 'ready', checks: result.checks };
    const failing = result.checks.find((c) => !c.ready);
    return reply.code(503).send({ status: 'unavailable', reason: failing ? `${failing.name}: ${failing.reason}` : 'not ready', checks: result.checks });
  });
}
