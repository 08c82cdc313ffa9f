// Bearer-token check for the API's write endpoints, compared in constant time. Without a
// configured token the write endpoints are disabled rather than open.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function requireBearerToken(token: string | undefined) {
  const expected = token ? digest(token) : undefined;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!expected) {
      return reply.code(403).send({ error: 'API_DISABLED', message: 'write endpoints are disabled: set api.token (or api.tokenFile, SLUICE_API_TOKEN)', statusCode: 403 });
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1] ?? ''), expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="sluice"').send({ error: 'UNAUTHORIZED', message: 'a valid bearer token is required', statusCode: 401 });
    }
    return undefined;
  };
}
