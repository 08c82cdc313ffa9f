// buildApp(deps): the HTTP surface of Sluice as a fastify instance that never listens by itself,
// so tests drive it with inject() and the service decides where to listen.
import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerMetricsRoute } from './routes/metrics.ts';
import { registerRepoRoutes } from './routes/repos.ts';
import { registerRolloutRoutes } from './routes/rollouts.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import type { RepoSyncService } from '../ports/repo-sync.ts';
import type { RolloutCommands } from '../ports/rollout-commands.ts';
import type { WebhookReceiver } from '../webhooks/receive-delivery.ts';

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  readiness: Readiness;
  /** Git sync; the repos API is served when given. */
  repos?: RepoSyncService | undefined;
  /** Rollout lifecycle commands; the rollouts API is served when given. */
  rolloutCommands?: RolloutCommands | undefined;
  /** Git host webhooks; POST /webhooks/<host> is served when given. */
  webhooks?: WebhookReceiver | undefined;
  /** Bearer token for write endpoints; without one they answer 403. */
  apiToken?: string | undefined;
  bodyLimitBytes?: number;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    return503OnClosing: true,
  });
  // Every error is JSON with a stable shape: { error, message, statusCode }.
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    void reply.code(status).send({ error: err.code ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message: err.message, statusCode: status });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'NOT_FOUND', message: `no route for ${req.method} ${req.url}`, statusCode: 404 });
  });
  registerHealthRoutes(app, deps);
  registerMetricsRoute(app, deps);
  if (deps.repos) registerRepoRoutes(app, { repos: deps.repos, apiToken: deps.apiToken });
  if (deps.rolloutCommands) registerRolloutRoutes(app, { rolloutCommands: deps.rolloutCommands, apiToken: deps.apiToken });
  if (deps.webhooks) registerWebhookRoutes(app, { receiver: deps.webhooks });
  return app;
}
