// KubeClient takes auth headers from the kubeconfig at most once a second (building client-node's
// agent per request cost a quarter of its CPU), so a refreshed token reaches the server within a
// second and concurrent requests share one lookup. A plain HTTP server records what arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/kube-client.ts';

test('auth headers are reused for a second, then taken again from the kubeconfig', async (t) => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    res.setHeader('content-type', 'application/json');
    res.end('{"kind":"Status","status":"Success"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'first-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  let lookups = 0;
  const apply = kc.applyToHTTPSOptions.bind(kc);
  kc.applyToHTTPSOptions = async (opts) => {
    lookups++;
    await apply(opts);
  };
  const kube = new KubeClient(kc);
  await Promise.all(Array.from({ length: 20 }, () => kube.request({ method: 'GET', path: '/version' })));
  assert.equal(lookups, 1, 'twenty concurrent requests, one kubeconfig lookup');
  kc.users[0] = { ...kc.users[0]!, token: 'rotated-token' };
  await kube.request({ method: 'GET', path: '/version' });
  assert.equal(seen.at(-1), 'Bearer first-token', 'within the second: the cached header');
  await new Promise((r) => setTimeout(r, 1100));
  await kube.request({ method: 'GET', path: '/version' });
  assert.equal(seen.at(-1), 'Bearer rotated-token');
  assert.equal(lookups, 2);
  assert.equal(seen.length, 22);
});
