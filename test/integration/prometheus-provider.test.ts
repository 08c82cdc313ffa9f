// The prometheus metric provider against a real Prometheus scraping an exporter we control, plus
// contract tests of the request itself against a local HTTP server standing in for Prometheus.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { createPrometheusProvider, RESOLVED_PROMETHEUS_QUERY } from '../../src/metrics/prometheus-provider.ts';
import type { Measurement } from '../../src/ports/metric-provider.ts';
import { startMetricsExporter, type MetricsExporter } from '../testbed/metrics-exporter.ts';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../testbed/prometheus.ts';
import { freePort } from '../testbed/processes.ts';
import { measured, failed } from '../helpers/measurements.ts';

const skip = prometheusAvailable() ? false : 'prometheus is not installed (scripts/install-system-packages.sh installs it)';
const provider = createPrometheusProvider();
let dir: string;
let exporter: MetricsExporter;
let prom: PrometheusServer;


before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
  exporter = await startMetricsExporter();
  exporter.setGauge('http_success_ratio', 0.97);
  exporter.setGauge('sluice_test_nan', Number.NaN);
  prom = await startPrometheus({ scrapeTargets: [exporter.target], dir });
  // Wait (bounded) for the first scrape to land in the TSDB, so queries see the exporter's values.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await prom.query('http_success_ratio').catch(() => undefined);
    if (Array.isArray(answer?.data?.result) && answer.data.result.length > 0) break;
    if (Date.now() > deadline) throw new Error(`prometheus did not scrape ${exporter.target} within 20s; log tail:\n${prom.process.tail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

after(async () => {
  await prom?.stop();
  await exporter?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a vector query returns the sample values, so conditions read result[0]', { skip }, async () => {
  const m = measured(await provider.run({ name: 'success', provider: { address: prom.address, query: 'http_success_ratio' } }, {}));
  assert.deepEqual(m.result, [0.97]);
  assert.equal(m.value, '[0.97]');
  assert.equal(m.metadata?.[RESOLVED_PROMETHEUS_QUERY], 'http_success_ratio');
  assert.ok(m.finishedAt && m.startedAt <= m.finishedAt);
});

test('NaN samples stay NaN numbers and are written as Go writes them', { skip }, async () => {
  const m = measured(await provider.run({ name: 'nan', provider: { address: prom.address, query: 'sluice_test_nan' } }, {}));
  assert.ok(Array.isArray(m.result) && m.result.length === 1 && Number.isNaN(m.result[0]));
  assert.equal(m.value, '[NaN]');
});

test('a scalar query returns a number', { skip }, async () => {
  const m = measured(await provider.run({ name: 'scalar', provider: { address: prom.address, query: 'scalar(http_success_ratio) * 100' } }, {}));
  assert.equal(m.result, 97);
  assert.equal(m.value, '97');
});

test('an empty vector is an empty result, not an error', { skip }, async () => {
  const m = measured(await provider.run({ name: 'empty', provider: { address: prom.address, query: 'http_success_ratio{job="no-such-job"}' } }, {}));
  assert.deepEqual(m.result, []);
  assert.equal(m.value, '[]');
});

test("bad PromQL is an error carrying Prometheus' own message", { skip }, async () => {
  const m = failed(await provider.run({ name: 'bad', provider: { address: prom.address, query: 'sum(http_success_ratio' } }, {}));
  assert.match(m.message, /HTTP 400: bad_data: .*parse error/);
  assert.equal(m.metadata?.[RESOLVED_PROMETHEUS_QUERY], 'sum(http_success_ratio');
});

test('a range query returns every sample of every series, flattened as Argo does', { skip }, async () => {
  const m = measured(
    await provider.run(
      { name: 'range', provider: { address: prom.address, query: 'http_success_ratio', rangeQuery: { start: 'now() - duration("1m")', end: 'now()', step: '1s' } } },
      {},
    ),
  );
  assert.ok(Array.isArray(m.result) && m.result.length >= 1, `matrix samples: ${m.value}`);
  for (const v of m.result as number[]) assert.equal(v, 0.97);
  assert.match(m.metadata?.ResolvedPrometheusRange ?? '', / to .* step 1s$/);
});

test('an unreachable address is an error naming what failed', async () => {
  const port = await freePort();
  const m = failed(await provider.run({ name: 'down', provider: { address: `http://127.0.0.1:${port}`, query: 'up' } }, {}));
  assert.match(m.message, /prometheus query failed: .*ECONNREFUSED/);
  assert.match(m.message, new RegExp(`127\\.0\\.0\\.1:${port}/api/v1/query`));
});

test('bad configuration is an error, never a throw', async () => {
  assert.match(failed(await provider.run({ name: 'x', provider: { address: 'http://127.0.0.1:1' } }, {})).message, /query is required/);
  assert.match(failed(await provider.run({ name: 'x', provider: { query: 'up' } }, {})).message, /address is required/);
  assert.match(failed(await provider.run({ name: 'x', provider: { address: 'not a url', query: 'up' } }, {})).message, /address is not a URL/);
  assert.match(failed(await provider.run({ name: 'x', provider: { address: 'http://127.0.0.1:1', query: 'up', timeout: -1 } }, {})).message, /timeout must be a positive/);
  const range = failed(
    await provider.run({ name: 'x', provider: { address: 'http://127.0.0.1:1', query: 'up', rangeQuery: { start: 'now() - 3600', end: 'now()', step: '1m' } } }, {}),
  );
  assert.match(range.message, /rangeQuery.start: unsupported time expression "now\(\) - 3600"/);
  const oauth = failed(await provider.run({ name: 'x', provider: { address: 'http://127.0.0.1:1', query: 'up', authentication: { oauth2: { tokenUrl: 'http://x' } } } }, {}));
  assert.match(oauth.message, /authentication.oauth2 is not supported/);
});

// --- Contract tests of our request, against a local server standing in for Prometheus. ---

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function standIn(answer: (rec: Recorded) => { status: number; body: string } | 'hang'): Promise<{ address: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(rec);
      const a = answer(rec);
      if (a === 'hang') return; // accept, read, never answer
      res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(a.body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const VECTOR = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1700000000, '1'] }] } });

test('a server that never answers is an error after the configured timeout', async () => {
  const server = await standIn(() => 'hang');
  try {
    const t0 = Date.now();
    const m = failed(await provider.run({ name: 'slow', provider: { address: server.address, query: 'up', timeout: 1 } }, {}));
    const elapsed = Date.now() - t0;
    assert.match(m.message, /prometheus query timed out after 1s/);
    assert.ok(elapsed >= 900 && elapsed < 5000, `took ${elapsed}ms`);
  } finally {
    await server.close();
  }
});

test("the caller's abort signal ends the query early", async () => {
  const server = await standIn(() => 'hang');
  try {
    const m = failed(await provider.run({ name: 'slow', provider: { address: server.address, query: 'up' } }, { signal: AbortSignal.timeout(200) }));
    assert.match(m.message, /prometheus query aborted/);
  } finally {
    await server.close();
  }
});

test('the request is a form POST to /api/v1/query under the address path, with the configured headers', async () => {
  const server = await standIn(() => ({ status: 200, body: VECTOR }));
  const fixed = new Date('2025-03-04T05:06:07.500Z');
  try {
    const p = createPrometheusProvider({ now: () => fixed });
    const m = measured(
      await p.run(
        { name: 'h', provider: { address: `${server.address}/prom/`, query: 'rate(x[5m])', headers: [{ key: 'X-Scope-OrgID', value: 'tenant-a' }, { key: 'X-Other', value: 'b' }] } },
        {},
      ),
    );
    assert.deepEqual(m.result, [1]);
    const [rec] = server.requests;
    assert.ok(rec);
    assert.equal(rec.method, 'POST');
    assert.equal(rec.path, '/prom/api/v1/query');
    assert.equal(rec.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(rec.headers['x-scope-orgid'], 'tenant-a');
    assert.equal(rec.headers['x-other'], 'b');
    const form = new URLSearchParams(rec.body);
    assert.equal(form.get('query'), 'rate(x[5m])');
    assert.equal(form.get('time'), '1741064767.500');
  } finally {
    await server.close();
  }
});

test('a server that refuses POST is asked again with GET', async () => {
  const server = await standIn((rec) => (rec.method === 'POST' ? { status: 405, body: '' } : { status: 200, body: VECTOR }));
  try {
    measured(await provider.run({ name: 'g', provider: { address: server.address, query: 'up' } }, {}));
    assert.deepEqual(server.requests.map((r) => r.method), ['POST', 'GET']);
    assert.match(server.requests[1]?.path ?? '', /^\/api\/v1\/query\?query=up&time=/);
  } finally {
    await server.close();
  }
});

test('a range query sends start, end and step to /api/v1/query_range', async () => {
  const server = await standIn(() => ({ status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { a: '1' }, values: [[1, '0.5'], [2, '+Inf']] }, { metric: { a: '2' }, values: [[1, '2']] }] } }) }));
  const fixed = new Date('2025-03-04T05:00:00Z');
  try {
    const p = createPrometheusProvider({ now: () => fixed });
    const m = measured(
      await p.run({ name: 'r', provider: { address: server.address, query: 'up', rangeQuery: { start: 'now() - duration("1h30m")', end: '"2025-03-04T04:59:00Z"', step: '1m' } } }, {}),
    );
    assert.deepEqual(m.result, [0.5, Number.POSITIVE_INFINITY, 2]);
    assert.equal(m.value, '[0.5,+Inf,2]');
    const form = new URLSearchParams(server.requests[0]?.body);
    assert.equal(server.requests[0]?.path, '/api/v1/query_range');
    assert.equal(form.get('start'), String(fixed.getTime() / 1000 - 5400) + '.000');
    assert.equal(form.get('end'), String(fixed.getTime() / 1000 - 60) + '.000');
    assert.equal(form.get('step'), '60');
  } finally {
    await server.close();
  }
});

test('basic auth is sent as an Authorization header and the password appears in no message or metadata', async () => {
  const password = 's3cr3t-pa55word';
  const expected = `Basic ${Buffer.from(`argo:${password}`).toString('base64')}`;
  const server = await standIn((rec) =>
    rec.headers.authorization === expected ? { status: 200, body: VECTOR } : { status: 401, body: JSON.stringify({ status: 'error', errorType: 'unauthorized', error: 'bad credentials' }) },
  );
  try {
    const ok = measured(await provider.run({ name: 'a', provider: { address: server.address, query: 'up', authentication: { basicAuth: { username: 'argo', password } } } }, {}));
    assert.ok(!JSON.stringify(ok).includes(password));

    // Credentials in the address work too, and never show in the message.
    const inUrl = measured(await provider.run({ name: 'a', provider: { address: server.address.replace('http://', `http://argo:${password}@`), query: 'up' } }, {}));
    assert.ok(!JSON.stringify(inUrl).includes(password));

    const wrong = failed(await provider.run({ name: 'a', provider: { address: server.address.replace('http://', 'http://argo:wrong-password-xyz@'), query: 'up', headers: [{ key: 'X-Api-Key', value: 'header-secret-123' }] } }, {}));
    assert.match(wrong.message, /HTTP 401: unauthorized: bad credentials/);
    for (const secret of ['wrong-password-xyz', 'header-secret-123']) assert.ok(!JSON.stringify(wrong).includes(secret), `${secret} leaked: ${JSON.stringify(wrong)}`);

    const port = await freePort();
    const down = failed(await provider.run({ name: 'a', provider: { address: `http://argo:${password}@127.0.0.1:${port}`, query: 'up', authentication: { basicAuth: { username: 'argo', password } } } }, {}));
    assert.ok(!JSON.stringify(down).includes(password), down.message);
  } finally {
    await server.close();
  }
});

test('answers Prometheus never gives well-formed are errors', async () => {
  const answers = [
    { status: 200, body: 'not json', want: /prometheus answer is not JSON/ },
    { status: 502, body: '<html>bad gateway</html>', want: /prometheus returned HTTP 502: <html>bad gateway<\/html>/ },
    { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'string', result: [1, 'x'] } }), want: /result type 'string' is not supported/ },
  ];
  for (const a of answers) {
    const server = await standIn(() => a);
    try {
      assert.match(failed(await provider.run({ name: 'w', provider: { address: server.address, query: 'up' } }, {})).message, a.want);
    } finally {
      await server.close();
    }
  }
});
