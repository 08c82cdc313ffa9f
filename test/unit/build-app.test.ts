import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/server/build-app.ts';
import { createReadiness } from '../../src/server/readiness.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { createLogger } from '../../src/observability/logger.ts';

function silentLogger() {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return createLogger({ level: 'silent', format: 'json', destination: sink });
}

test('healthz answers 200 without touching any dependency', async (t) => {
  const app = buildApp({ logger: silentLogger(), metrics: createMetricsRegistry(), readiness: createReadiness() });
  t.after(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'ok' });
});

test('readyz is 503 with the first failing check as the reason, 200 once all pass', async (t) => {
  const readiness = createReadiness();
  let apiUp = false;
  readiness.add({ name: 'kubernetes-api', check: () => (apiUp ? { ready: true } : { ready: false, reason: 'connection refused' }) });
  readiness.add({ name: 'caches', check: () => ({ ready: true }) });
  const app = buildApp({ logger: silentLogger(), metrics: createMetricsRegistry(), readiness });
  t.after(() => app.close());
  const down = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(down.statusCode, 503);
  assert.equal(down.json().reason, 'kubernetes-api: connection refused');
  apiUp = true;
  const up = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(up.statusCode, 200);
  assert.equal(up.json().status, 'ready');
});

test('a readiness check that throws makes readyz 503 with its message, not a 500', async (t) => {
  const readiness = createReadiness();
  readiness.add({ name: 'boom', check: () => { throw new Error('exploded'); } });
  const app = buildApp({ logger: silentLogger(), metrics: createMetricsRegistry(), readiness });
  t.after(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().reason, 'boom: exploded');
});

test('metrics serves the Prometheus text format with process metrics', async (t) => {
  const app = buildApp({ logger: silentLogger(), metrics: createMetricsRegistry(), readiness: createReadiness() });
  t.after(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  assert.match(res.body, /^# TYPE sluice_process_cpu_user_seconds_total counter$/m);
  assert.match(res.body, /^sluice_process_resident_memory_bytes \d+/m);
  assert.match(res.body, /^sluice_nodejs_eventloop_lag_seconds /m);
});

test('unknown routes get a JSON 404', async (t) => {
  const app = buildApp({ logger: silentLogger(), metrics: createMetricsRegistry(), readiness: createReadiness() });
  t.after(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/nope' });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), { error: 'NOT_FOUND', message: 'no route for GET /nope', statusCode: 404 });
});

test('buildApp never listens by itself', async (t) => {
  const app = buildApp({ logger: silentLogger(), metrics: createMetricsRegistry(), readiness: createReadiness() });
  t.after(() => app.close());
  await app.ready();
  assert.equal(app.server.listening, false);
});
