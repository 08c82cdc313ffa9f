// The repositories API: sync status per repository, and a trigger that enqueues a sync (the
// webhook handlers call the same port).
//   GET  /api/v1/repos                    all repositories' status
//   GET  /api/v1/repos/:name              one
//   POST /api/v1/repos/:name/sync         202, sync enqueued; ?wait=true answers 200 after the sync
import type { FastifyInstance } from 'fastify';
import type { RepoSyncService } from '../../ports/repo-sync.ts';
import { requireBearerToken } from '../bearer-auth.ts';

export function registerRepoRoutes(app: FastifyInstance, deps: { repos: RepoSyncService; apiToken?: string | undefined }): void {
  const notFound = (name: string) => ({ error: 'NOT_FOUND', message: `no repository named "${name}"`, statusCode: 404 });
  app.get('/api/v1/repos', async () => ({ repos: deps.repos.list() }));
  app.get<{ Params: { name: string } }>('/api/v1/repos/:name', async (req, reply) => {
    const status = deps.repos.get(req.params.name);
    return status ?? reply.code(404).send(notFound(req.params.name));
  });
  app.post<{ Params: { name: string }; Querystring: { wait?: string } }>(
    '/api/v1/repos/:name/sync',
    { preHandler: requireBearerToken(deps.apiToken) },
    async (req, reply) => {
      const done = deps.repos.sync(req.params.name, 'api');
      if (!done) return reply.code(404).send(notFound(req.params.name));
      if (req.query.wait === 'true') return reply.code(200).send(await done);
      done.catch((err: unknown) => req.log.error({ err }, 'sync failed'));
      return reply.code(202).send({ accepted: true, repo: req.params.name });
    },
  );
}
