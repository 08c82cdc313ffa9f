// POST /webhooks/github|gitlab|gitea|bitbucket. An encapsulated plugin with its own content-type
// parser that keeps the body as the exact bytes received, because signatures are computed over
// those bytes (a re-serialised JSON would not verify). The answer goes out first; the handlers run
// from the onResponse hook, so a slow sync never delays a host's delivery (hosts time out at ~10 s).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GitHostName } from '../../ports/webhook-events.ts';
import { HOST_NAMES } from '../../webhooks/hosts.ts';
import type { WebhookReceiver } from '../../webhooks/receive-delivery.ts';

export function registerWebhookRoutes(app: FastifyInstance, deps: { receiver: WebhookReceiver }): void {
  const { receiver } = deps;
  const bodyLimit = receiver.maxBodyBytes;
  const pending = new WeakMap<FastifyRequest, () => Promise<void>>();

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
      const host = hostOf(req);
      if (err.statusCode === 413 && host) {
        const receipt = receiver.tooLarge(host, req.headers);
        return reply.code(receipt.statusCode).send(receipt.body);
      }
      // Anything else is the app's own error shape (see build-app.ts).
      throw err;
    });
    scope.addHook('onResponse', async (req) => {
      const run = pending.get(req);
      if (!run) return;
      pending.delete(req);
      setImmediate(() => {
        run().catch((err: unknown) => req.log.error({ err }, 'webhook handlers failed'));
      });
    });
    for (const host of HOST_NAMES) {
      scope.post(`/webhooks/${host}`, { bodyLimit }, async (req, reply) => {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const receipt = receiver.receive(host, req.headers, body);
        if (receipt.run) pending.set(req, receipt.run);
        return reply.code(receipt.statusCode).send(receipt.body);
      });
    }
  });
}

function hostOf(req: FastifyRequest): GitHostName | undefined {
  const name = req.url.split('?')[0]?.replace(/^\/webhooks\//, '');
  return HOST_NAMES.find((h) => h === name);
}
