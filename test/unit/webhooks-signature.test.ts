// Authenticity of webhook deliveries, per host, on the exact bytes: a valid signature passes; a
// wrong secret, a missing header, a body changed after signing, or a signature of the wrong length
// is refused with 401 and counted, and no handler runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { createWebhookReceiver } from '../../src/webhooks/receive-delivery.ts';
import { verifySignature } from '../../src/webhooks/verify-signature.ts';
import type { WebhooksConfig, SecretSource } from '../../src/config/config-types.ts';
import type { GitHostName } from '../../src/ports/webhook-events.ts';

const SECRET = 'webhook-secret-0123456789';
const log = createLogger({ level: 'silent', format: 'json', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const hmac = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

function secretSource(secret: string): SecretSource {
  const src: SecretSource = { secretEnv: 'TEST_SECRET' };
  Object.defineProperty(src, 'secret', { value: secret, enumerable: false });
  return src;
}

const config: WebhooksConfig = {
  maxBodyBytes: 1 << 20,
  github: secretSource(SECRET),
  gitea: secretSource(SECRET),
  gitlab: secretSource(SECRET),
  bitbucket: secretSource(SECRET),
};

// Each host's signature header and how it is formed; `sign` gets the exact body bytes.
const HOSTS: Array<{ host: GitHostName; header: string; sign: (body: string, secret?: string) => string; event: Record<string, string> }> = [
  { host: 'github', header: 'x-hub-signature-256', sign: (b, s) => `sha256=${hmac(b, s)}`, event: { 'x-github-event': 'ping', 'x-github-delivery': 'd1' } },
  { host: 'gitea', header: 'x-gitea-signature', sign: (b, s) => hmac(b, s), event: { 'x-gitea-event': 'issues', 'x-gitea-delivery': 'd1' } },
  { host: 'bitbucket', header: 'x-hub-signature', sign: (b, s) => `sha256=${hmac(b, s)}`, event: { 'x-event-key': 'diagnostics:ping', 'x-request-uuid': 'd1' } },
  { host: 'gitlab', header: 'x-gitlab-token', sign: (_b, s) => s ?? SECRET, event: { 'x-gitlab-event': 'Issue Hook', 'x-gitlab-event-uuid': 'd1' } },
];

function receiver(cfg: WebhooksConfig = config) {
  const counted: string[] = [];
  let handled = 0;
  const r = createWebhookReceiver({
    config: cfg,
    handlers: { push: async () => void handled++, comment: async () => void handled++, review: async () => void handled++, pullRequest: async () => void handled++ },
    log,
    metrics: { delivery: (host, event, result) => counted.push(`${host} ${event} ${result}`) },
  });
  return { r, counted, handled: () => handled };
}

for (const h of HOSTS) {
  test(`${h.host}: a valid ${h.header} is accepted on the exact bytes`, () => {
    const { r, counted } = receiver();
    const body = '{"zen":"Keep it logically awesome.",  "hook_id": 1}';
    const res = r.receive(h.host, { ...h.event, [h.header]: h.sign(body), 'content-type': 'application/json' }, Buffer.from(body));
    assert.equal(res.statusCode, 202, JSON.stringify(res.body));
    assert.ok('ignored' in res.body, 'an event Sluice does not use is ignored once authentic');
    assert.equal(counted.length, 1);
    assert.match(counted[0] ?? '', / ignored$/);
  });

  test(`${h.host}: wrong secret, missing header, tampered body and wrong length are 401`, () => {
    const { r, counted, handled } = receiver();
    const body = '{"ref":"refs/heads/main"}';
    const cases: Array<[string, Record<string, string>, string]> = [
      ['wrong secret', { [h.header]: h.sign(body, 'another-secret-0123456789') }, body],
      ['missing header', {}, body],
      // Signed before a byte changed; GitLab's token does not cover the body, so its tamper case
      // is a token with one character changed instead.
      h.host === 'gitlab' ? ['tampered token', { [h.header]: `${SECRET.slice(0, -1)}X` }, body] : ['tampered body', { [h.header]: h.sign(body) }, body.replace('main', 'mair')],
      ['length mismatch', { [h.header]: h.sign(body).slice(0, -2) }, body],
      ['longer than expected', { [h.header]: `${h.sign(body)}00` }, body],
      ['empty', { [h.header]: '' }, body],
    ];
    for (const [name, sig, sent] of cases) {
      const res = r.receive(h.host, { ...h.event, ...sig }, Buffer.from(sent));
      assert.equal(res.statusCode, 401, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'UNAUTHORIZED', name);
      assert.equal(typeof res.body.message, 'string', name);
      assert.equal(res.run, undefined, `${name}: nothing to run`);
    }
    assert.equal(handled(), 0);
    assert.equal(counted.filter((c) => c.endsWith(' unauthorized')).length, cases.length);
  });

  test(`${h.host}: without a configured secret every delivery is 401, however it is signed`, () => {
    const { r } = receiver({ maxBodyBytes: 1 << 20 });
    const body = '{}';
    const res = r.receive(h.host, { ...h.event, [h.header]: h.sign(body) }, Buffer.from(body));
    assert.equal(res.statusCode, 401);
    assert.match(String(res.body.message), new RegExp(`no secret is configured for ${h.host} webhooks`));
  });
}

test('verifySignature: schemes, prefixes and lengths', () => {
  const body = Buffer.from('{"a":1}');
  const hex = hmac('{"a":1}');
  assert.equal(verifySignature('hmac-sha256-prefixed', `sha256=${hex}`, body, SECRET), true);
  assert.equal(verifySignature('hmac-sha256-prefixed', `sha256=${hex.toUpperCase()}`, body, SECRET), true, 'hex digits in either case');
  assert.equal(verifySignature('hmac-sha256-prefixed', hex, body, SECRET), false, 'GitHub and Bitbucket need the sha256= prefix');
  assert.equal(verifySignature('hmac-sha256-prefixed', `sha1=${hex}`, body, SECRET), false, 'another algorithm is refused');
  assert.equal(verifySignature('hmac-sha256-hex', hex, body, SECRET), true);
  assert.equal(verifySignature('hmac-sha256-hex', `sha256=${hex}`, body, SECRET), false, 'Gitea sends no prefix');
  assert.equal(verifySignature('hmac-sha256-hex', `${hex.slice(0, 62)}zz`, body, SECRET), false, 'not hex');
  assert.equal(verifySignature('hmac-sha256-hex', hex, Buffer.from('{"a": 1}'), SECRET), false, 'whitespace changes the bytes');
  assert.equal(verifySignature('token', SECRET, body, SECRET), true);
  assert.equal(verifySignature('token', `${SECRET} `, body, SECRET), false);
  assert.equal(verifySignature('token', SECRET.slice(1), body, SECRET), false);
  assert.equal(verifySignature('token', '', body, SECRET), false);
  assert.equal(verifySignature('hmac-sha256-hex', hex, body, ''), false, 'an empty secret verifies nothing');
  assert.equal(verifySignature('token', undefined, body, SECRET), false);
});
