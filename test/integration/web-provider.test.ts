// The web metric provider against a local HTTP server: what it sends, and how answers become
// `result` and `value` (Argo's webmetric semantics).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { createWebProvider } from '../../src/metrics/web-provider.ts';
import type { Measurement } from '../../src/ports/metric-provider.ts';
import { freePort } from '../testbed/processes.ts';
import { measured, failed } from '../helpers/measurements.ts';

const provider = createWebProvider();
let base: string;
let server: Server;
const sockets = new Set<Socket>();
const seen: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[] = [];

const STATUS = { data: { ok: true, ratio: 0.99, items: [{ v: 1 }, { v: 2 }], name: 'canary' } };

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const json = (status: number, v: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(v));
      switch (req.url) {
        case '/status':
          return json(200, STATUS);
        case '/echo':
          return json(200, { method: req.method, contentType: req.headers['content-type'] ?? null, token: req.headers['x-token'] ?? null, body: body ? (JSON.parse(body) as unknown) : null });
        case '/echo-text':
          return json(200, { method: req.method, body });
        case '/text':
          return res.writeHead(200, { 'Content-Type': 'text/plain' }).end('all good');
        case '/fail':
          return res.writeHead(503, { 'Content-Type': 'text/plain' }).end('upstream down\nretry later');
        case '/hang':
          return; // never answers
        default:
          return json(404, { error: 'no such path' });
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const run = (provider_: Record<string, unknown>) => provider.run({ name: 'web', provider: provider_ }, {});

test('GET with a jsonPath returns the value it points at', async () => {
  const ratio = measured(await run({ url: `${base}/status`, jsonPath: '{$.data.ratio}' }));
  assert.equal(ratio.result, 0.99);
  assert.equal(ratio.value, '0.99');
  assert.equal(measured(await run({ url: `${base}/status`, jsonPath: '{$.data.ok}' })).result, true);
  assert.equal(measured(await run({ url: `${base}/status`, jsonPath: '{.data.items[1].v}' })).result, 2);
  assert.equal(measured(await run({ url: `${base}/status`, jsonPath: "{$['data'].items[-1].v}" })).result, 2);
  const name = measured(await run({ url: `${base}/status`, jsonPath: '{.data.name}' }));
  assert.equal(name.result, 'canary');
  assert.equal(name.value, '"canary"');
  // Several matches: the first one, as Argo takes it.
  assert.equal(measured(await run({ url: `${base}/status`, jsonPath: '{.data.items[*].v}' })).result, 1);
  assert.equal(seen.at(-1)?.method, 'GET');
});

test('without a jsonPath the whole document is the result', async () => {
  const m = measured(await run({ url: `${base}/status` }));
  assert.deepEqual(m.result, STATUS);
  assert.equal(m.value, JSON.stringify(STATUS));
  assert.deepEqual(measured(await run({ url: `${base}/status`, jsonPath: '{$}' })).result, STATUS);
});

test('POST with jsonBody sends JSON with its content type', async () => {
  const m = measured(await run({ method: 'POST', url: `${base}/echo`, jsonBody: { canary: 'v2', weight: 20 }, jsonPath: '{$}' }));
  assert.deepEqual(m.result, { method: 'POST', contentType: 'application/json', token: null, body: { canary: 'v2', weight: 20 } });
});

test('PUT with a string body sends it as written', async () => {
  const m = measured(await run({ method: 'PUT', url: `${base}/echo-text`, body: 'ratio=0.5' }));
  assert.deepEqual(m.result, { method: 'PUT', body: 'ratio=0.5' });
});

test('headers are sent, and their values appear in no message', async () => {
  const m = measured(await run({ url: `${base}/echo`, headers: [{ key: 'X-Token', value: 'tok-123' }], jsonPath: '{.token}' }));
  assert.equal(m.result, 'tok-123');
  const port = await freePort();
  const down = failed(await run({ url: `http://127.0.0.1:${port}/x`, headers: [{ key: 'X-Token', value: 'tok-secret-456' }] }));
  assert.match(down.message, /web metric request failed: .*ECONNREFUSED.*\(GET http:\/\/127\.0\.0\.1:\d+\/x\)/);
  assert.ok(!JSON.stringify(down).includes('tok-secret-456'));
});

test('a non-2xx answer is an error with the status and a body excerpt', async () => {
  const m = failed(await run({ url: `${base}/fail` }));
  assert.match(m.message, /received non 2xx response code: 503 \(GET http:\/\/127\.0\.0\.1:\d+\/fail\): upstream down retry later/);
  assert.match(failed(await run({ url: `${base}/nowhere` })).message, /404 .*no such path/);
});

test('a server that never answers is an error after timeoutSeconds', async () => {
  const t0 = Date.now();
  const m = failed(await run({ url: `${base}/hang`, timeoutSeconds: 1 }));
  const elapsed = Date.now() - t0;
  assert.match(m.message, /web metric timed out after 1s/);
  assert.ok(elapsed >= 900 && elapsed < 5000, `took ${elapsed}ms`);
});

test('a body with GET, or two bodies, is an error and nothing is sent', async () => {
  const before = seen.length;
  assert.match(failed(await run({ url: `${base}/echo`, body: 'x' })).message, /body is not allowed with GET/);
  assert.match(failed(await run({ url: `${base}/echo`, jsonBody: { a: 1 } })).message, /body is not allowed with GET/);
  assert.match(failed(await run({ method: 'POST', url: `${base}/echo`, body: 'x', jsonBody: { a: 1 } })).message, /either body or jsonBody/);
  assert.match(failed(await run({ method: 'DELETE', url: `${base}/echo` })).message, /method must be one of GET, POST, PUT/);
  assert.equal(seen.length, before);
});

test('a body that is not JSON is the raw string', async () => {
  const m = measured(await run({ url: `${base}/text` }));
  assert.equal(m.result, 'all good');
  assert.equal(m.value, 'all good');
});

test('a jsonPath that finds nothing, or that we cannot read, is an error', async () => {
  assert.match(failed(await run({ url: `${base}/status`, jsonPath: '{$.data.missing}' })).message, /could not find JSONPath in body: missing is not found/);
  assert.match(failed(await run({ url: `${base}/status`, jsonPath: '{$.data.items[5].v}' })).message, /array index out of bounds: index 5, length 2/);
  assert.match(failed(await run({ url: `${base}/status`, jsonPath: '{$.data.items[?(@.v==2)].v}' })).message, /a filter .* is not supported/);
  assert.match(failed(await run({ url: `${base}/status`, jsonPath: '$.data.ok' })).message, /must be one \{\.\.\.\} expression/);
});

test('insecure skips TLS verification of a self-signed server; without it the request fails', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-web-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
  const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => new Promise<void>((resolve) => tls.close(() => resolve())));
  const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
  assert.match(failed(await run({ url })).message, /web metric request failed: .*(self-signed|SELF_SIGNED)/i);
  assert.equal(measured(await run({ url, insecure: true, jsonPath: '{.ok}' })).result, true);
});
