// The Rollouts API: what `kubectl argo rollouts list|get` show, and its lifecycle verbs.
//   GET  /api/v1/rollouts                                   all namespaces
//   GET  /api/v1/namespaces/:ns/rollouts                    summaries (phase, step, weights, replicas)
//   GET  /api/v1/namespaces/:ns/rollouts/:name              the Rollout, its ReplicaSets and pods, its
//                                                           AnalysisRuns with each metric's verdict and latest value
//   POST /api/v1/namespaces/:ns/rollouts/:name/promote      ?full=true or {"full":true}
//   POST …/abort, …/retry, …/pause                          no body
//   POST …/undo {"toRevision":N}, …/restart {"inSeconds":N}, …/set-image {"container","image"}
// Writes need the bearer token. 404: no such Rollout; 409: not possible now; 400: bad body.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { InvalidOperation, RolloutNotFound } from '../../ports/rollout-commands.ts';
import type { CommandResult, RolloutCommands } from '../../ports/rollout-commands.ts';
import { requireBearerToken } from '../bearer-auth.ts';

type Params = { ns: string; name: string };

// `additionalProperties: false` would make fastify's Ajv silently drop unknown keys (its
// removeAdditional default); a schema no value matches rejects them, so a typo is a 400.
const NO_OTHER_KEYS = { not: {} };
const bodyOf = (properties: Record<string, object>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: NO_OTHER_KEYS });

/** Bodies are optional (`curl -X POST …/abort`): no body is an empty object to the schema. */
const emptyBodyIsObject = async (req: FastifyRequest) => {
  req.body ??= {};
};

/** `body.toRevision: must be integer`, `body.ful: unknown field`: the first problem, readable. */
function schemaErrorMessage(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  const where = `${dataVar}${(first?.instancePath ?? '').replaceAll('/', '.')}`;
  const message = first?.keyword === 'not' ? 'unknown field' : (first?.message ?? 'invalid');
  return Object.assign(new Error(`${where}: ${message}`), { code: 'BAD_REQUEST' });
}

export function registerRolloutRoutes(app: FastifyInstance, deps: { rolloutCommands: RolloutCommands; apiToken?: string | undefined }): void {
  const commands = deps.rolloutCommands;
  const auth = requireBearerToken(deps.apiToken);
  // Authentication before the body is even parsed; bad bodies are 400 with a readable message.
  const write = { onRequest: auth, preValidation: emptyBodyIsObject, schemaErrorFormatter: schemaErrorMessage };
  const base = '/api/v1/namespaces/:ns/rollouts/:name';

  const answer = async (reply: FastifyReply, run: () => Promise<unknown>) => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof RolloutNotFound) return reply.code(404).send({ error: 'NOT_FOUND', message: err.message, statusCode: 404 });
      if (err instanceof InvalidOperation) return reply.code(409).send({ error: 'CONFLICT', message: err.message, statusCode: 409 });
      throw err;
    }
  };
  const result = (r: CommandResult) => ({ message: r.message, rollout: r.rollout });

  app.get('/api/v1/rollouts', async () => ({ rollouts: await commands.list(undefined) }));
  app.get<{ Params: { ns: string } }>('/api/v1/namespaces/:ns/rollouts', async (req) => ({ rollouts: await commands.list(req.params.ns) }));
  app.get<{ Params: Params }>(base, async (req, reply) =>
    answer(reply, async () => {
      const details = await commands.get(req.params.ns, req.params.name);
      return { rollout: details.rollout, summary: details.view.summary, replicaSets: details.view.replicaSets, analysisRuns: details.view.analysisRuns };
    }),
  );

  app.post<{ Params: Params; Querystring: { full?: boolean }; Body: { full?: boolean } }>(
    `${base}/promote`,
    { ...write, schema: { querystring: { type: 'object', properties: { full: { type: 'boolean' } } }, body: bodyOf({ full: { type: 'boolean' } }) } },
    async (req, reply) => answer(reply, async () => result(await commands.promote(req.params.ns, req.params.name, { full: req.query.full === true || req.body.full === true }))),
  );
  for (const verb of ['abort', 'retry', 'pause'] as const) {
    app.post<{ Params: Params }>(`${base}/${verb}`, { ...write, schema: { body: bodyOf({}) } }, async (req, reply) =>
      answer(reply, async () => result(await commands[verb](req.params.ns, req.params.name))),
    );
  }
  app.post<{ Params: Params; Body: { toRevision?: number } }>(
    `${base}/undo`,
    { ...write, schema: { body: bodyOf({ toRevision: { type: 'integer', minimum: 0 } }) } },
    async (req, reply) => answer(reply, async () => result(await commands.undo(req.params.ns, req.params.name, { toRevision: req.body.toRevision ?? 0 }))),
  );
  app.post<{ Params: Params; Body: { inSeconds?: number } }>(
    `${base}/restart`,
    { ...write, schema: { body: bodyOf({ inSeconds: { type: 'integer', minimum: 0 } }) } },
    async (req, reply) => answer(reply, async () => result(await commands.restart(req.params.ns, req.params.name, { inSeconds: req.body.inSeconds ?? 0 }))),
  );
  app.post<{ Params: Params; Body: { container: string; image: string } }>(
    `${base}/set-image`,
    { ...write, schema: { body: bodyOf({ container: { type: 'string', minLength: 1 }, image: { type: 'string', minLength: 1 } }, ['container', 'image']) } },
    async (req, reply) => answer(reply, async () => result(await commands.setImage(req.params.ns, req.params.name, req.body.container, req.body.image))),
  );
}
