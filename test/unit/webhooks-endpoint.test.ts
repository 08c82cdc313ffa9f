// The webhook endpoint through the real fastify app (buildApp + inject): answers per outcome, the
// handler running only after the answer, redeliveries acting once, the body limits, metrics, and
// the rest of the app keeping its JSON parser. Git sync is a recording double here; the
// integration tests use the real one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/server/build-app.ts';
import { createReadiness } from '../../src/server/readiness.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createWebhookMetrics } from '../../src/observability/webhook-metrics.ts';
import { createWebhookReceiver } from '../../src/webhooks/receive-delivery.ts';
import { createPushHandler } from '../../src/webhooks/push-handler.ts';
import type { RepoConfig, SecretSource, WebhooksConfig } from '../../src/config/config-types.ts';
import type { RepoStatus, RepoSyncService } from '../../src/ports/repo-sync.ts';
import { githubDelivery, githubExample, githubPushTo } from '../helpers/webhook-payloads.ts';

const SECRET = 'github-webhook-secret-42';
const REPO_URL = 'https://git.example.com/team/apps.git';

function secretSource(secret: string): SecretSource {
  const src: SecretSource = { secretEnv: 'GH_SECRET' };
  Object.defineProperty(src, 'secret', { value: secret, enumerable: false });
  return src;
}

function setup(opts: { maxBodyBytes?: number; bodyLimitBytes?: number } = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }) });
  const syncs: Array<{ name: string; trigger: string }> = [];
  let release: () => void = () => {};
  const syncDone = new Promise<void>((r) => (release = r));
  const status = (name: string): RepoStatus => ({ name, url: REPO_URL, ref: 'branch main', syncing: false, source: { state: 'available' } });
  const repoSync: RepoSyncService = {
    list: () => [],
    get: (name) => status(name),
    sync(name, trigger) {
      syncs.push({ name, trigger });
      // A sync that takes as long as the test wants: the answer must not wait for it.
      return syncDone.then(() => status(name));
    },
  };
  const repos: RepoConfig[] = [{ name: 'apps', url: REPO_URL, ref: { branch: 'main' }, paths: ['.'], schedule: '0 0 * * *', prune: true, namespace: 'default' }];
  const metrics = createMetricsRegistry({ processMetrics: false });
  const config: WebhooksConfig = { maxBodyBytes: opts.maxBodyBytes ?? 5 * 1024 * 1024, github: secretSource(SECRET) };
  const pushes = createPushHandler({ repos, repoSync, log: logger });
  const receiver = createWebhookReceiver({ config, handlers: { push: pushes.push }, pushMatch: pushes.match, log: logger, metrics: createWebhookMetrics(metrics) });
  const app = buildApp({ logger, metrics, readiness: createReadiness(), webhooks: receiver, bodyLimitBytes: opts.bodyLimitBytes });
  const post = (d: { headers: Record<string, string>; body: string }) => app.inject({ method: 'POST', url: '/webhooks/github', headers: d.headers, payload: d.body });
  const metricLine = async (event: string, result: string) => {
    const text = await metrics.metrics();
    const m = new RegExp(`^sluice_webhooks_total\\{host="github",event="${event}",result="${result}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { app, post, syncs, release, lines, metricLine };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a push to a followed branch: 202 accepted at once, the sync is enqueued after the answer', async (t) => {
  const s = setup();
  t.after(() => s.app.close());
  const delivery = githubDelivery('push', githubPushTo(REPO_URL, { ref: 'refs/heads/main', after: 'a'.repeat(40) }), SECRET, 'delivery-1');
  const res = await s.post(delivery);
  assert.equal(res.statusCode, 202);
  assert.deepEqual(res.json(), { accepted: 'push', delivery: 'delivery-1', repos: ['apps'] });
  assert.deepEqual(s.syncs, [], 'nothing ran before the answer was complete');
  await tick();
  await tick();
  assert.deepEqual(s.syncs, [{ name: 'apps', trigger: 'webhook' }]);
  // The sync has not finished (it waits for release), and the answer did not wait for it either.
  s.release();
  assert.equal(await s.metricLine('push', 'accepted'), 1);
});

test('a redelivery (same X-GitHub-Delivery) answers duplicate and acts once', async (t) => {
  const s = setup();
  t.after(() => s.app.close());
  s.release();
  const delivery = githubDelivery('push', githubPushTo(REPO_URL, { ref: 'refs/heads/main', after: 'b'.repeat(40) }), SECRET, 'delivery-2');
  assert.equal((await s.post(delivery)).statusCode, 202);
  const again = await s.post(delivery);
  assert.equal(again.statusCode, 202);
  assert.deepEqual(again.json(), { duplicate: true, delivery: 'delivery-2' });
  await tick();
  await tick();
  assert.equal(s.syncs.length, 1);
  assert.equal(await s.metricLine('push', 'duplicate'), 1);
  // A new delivery id for the same push is a new delivery.
  assert.equal((await s.post(githubDelivery('push', JSON.parse(delivery.body), SECRET, 'delivery-3'))).json().accepted, 'push');
});

test('ping, unused events, other branches and unknown repositories: 202 ignored, nothing synced', async (t) => {
  const s = setup();
  t.after(() => s.app.close());
  const ping = await s.post(githubDelivery('ping', githubExample('ping'), SECRET));
  assert.equal(ping.statusCode, 202);
  assert.match(ping.json().ignored, /^ping/);
  const star = await s.post(githubDelivery('star', githubExample('star'), SECRET));
  assert.equal(star.json().ignored, 'event "star" is not used by Sluice');
  const issues = await s.post(githubDelivery('issues', githubExample('issues'), SECRET));
  assert.equal(issues.statusCode, 202);
  assert.ok(issues.json().ignored);
  const other = await s.post(githubDelivery('push', githubPushTo(REPO_URL, { ref: 'refs/heads/feature', after: 'c'.repeat(40) }), SECRET));
  assert.equal(other.json().ignored, 'push of refs/heads/feature: apps: it follows branch main, not refs/heads/feature');
  // The example as GitHub sent it: Codertocat/Hello-World is no configured repository.
  const unknown = await s.post(githubDelivery('push', githubExample('push', (p) => p.ref === 'refs/heads/master'), SECRET));
  assert.equal(unknown.statusCode, 202);
  assert.equal(unknown.json().ignored, 'push of refs/heads/master: no repository in the config has the URL of Codertocat/Hello-World');
  const comment = await s.post(githubDelivery('issue_comment', githubExample('issue_comment', (p) => p.action === 'created'), SECRET));
  assert.equal(comment.json().ignored, 'comment on an issue, not on a pull request');
  await tick();
  await tick();
  assert.deepEqual(s.syncs, []);
  assert.equal(await s.metricLine('ping', 'ignored'), 1);
  assert.equal(await s.metricLine('push', 'ignored'), 2);
  assert.equal(await s.metricLine('other', 'ignored'), 2, 'star and issues are counted as other');
  assert.ok(s.lines.some((l) => l.msg === 'webhook delivery ignored' && /no repository in the config has the URL of Codertocat\/Hello-World/.test(String(l.reason))), 'the unknown repository is logged');
});

test('bad input: forged 401, malformed JSON 400, missing event 400, over the limit 413, wrong payload 400', async (t) => {
  const s = setup({ maxBodyBytes: 64 * 1024 });
  t.after(() => s.app.close());
  const good = githubDelivery('push', githubPushTo(REPO_URL, { ref: 'refs/heads/main', after: 'd'.repeat(40) }), SECRET);
  const forged = githubDelivery('push', JSON.parse(good.body), 'not-the-secret');
  const unauthorized = await s.post(forged);
  assert.equal(unauthorized.statusCode, 401);
  assert.deepEqual(unauthorized.json(), { error: 'UNAUTHORIZED', message: 'x-hub-signature-256 does not match the body', statusCode: 401 });

  const notJson = '{"ref": "refs/heads/main",';
  const malformed = await s.post({ body: notJson, headers: { ...good.headers, 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(notJson).digest('hex')}` } });
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().error, 'MALFORMED_PAYLOAD');
  assert.match(malformed.json().message, /^payload is not JSON: /);

  const noEvent = { body: good.body, headers: { ...good.headers } };
  delete noEvent.headers['x-github-event'];
  const missing = await s.post(noEvent);
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json().message, 'missing x-github-event header');

  const lacking = githubDelivery('push', { repository: { full_name: 'a/b' } }, SECRET);
  const wrongShape = await s.post(lacking);
  assert.equal(wrongShape.statusCode, 400);
  assert.equal(wrongShape.json().message, 'push: payload field ref must be a non-empty string');

  const huge = githubDelivery('push', { ...JSON.parse(good.body), padding: 'x'.repeat(70 * 1024) }, SECRET);
  const tooLarge = await s.post(huge);
  assert.equal(tooLarge.statusCode, 413);
  assert.deepEqual(tooLarge.json(), { error: 'PAYLOAD_TOO_LARGE', message: 'payload larger than webhooks.maxBodyBytes (65536 bytes)', statusCode: 413 });

  await tick();
  assert.deepEqual(s.syncs, [], 'no bad delivery reached a handler');
  assert.equal(await s.metricLine('push', 'unauthorized'), 1);
  assert.equal(await s.metricLine('push', 'malformed'), 2);
  assert.equal(await s.metricLine('other', 'malformed'), 1);
  assert.equal(await s.metricLine('push', 'too_large'), 1);
});

test('webhooks.maxBodyBytes, not server.bodyLimitBytes, bounds webhooks; other routes keep the JSON parser', async (t) => {
  const s = setup({ maxBodyBytes: 3 * 1024 * 1024, bodyLimitBytes: 1024 * 1024 });
  s.app.post('/echo', async (req) => ({ got: req.body }));
  t.after(() => s.app.close());
  s.release();
  const big = githubDelivery('push', { ...githubPushTo(REPO_URL, { ref: 'refs/heads/main', after: 'e'.repeat(40) }), padding: 'x'.repeat(2 * 1024 * 1024) }, SECRET);
  const res = await s.post(big);
  assert.equal(res.statusCode, 202, res.body);
  const echo = await s.app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
  assert.deepEqual(echo.json(), { got: { a: 1 } }, 'the raw-body parser is confined to the webhook routes');
  assert.equal((await s.app.inject({ method: 'POST', url: '/webhooks/forgejo', payload: '{}' })).statusCode, 404);
});
