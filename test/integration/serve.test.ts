// `sluice serve` as a real process: readiness follows the Kubernetes API, secrets stay out of the
// log, and SIGTERM/SIGINT shut it down cleanly within the 10 s budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { serveSluice, runSluice } from '../helpers/sluice-process.ts';
import { freePort } from '../testbed/processes.ts';
import { writeKubeconfig } from '../testbed/control-plane.ts';

const SECRET = 'do-not-log-this-token-123';

// Each test's Sluice controls only its own namespace: test files share one cluster.
function configFor(kubeconfig: string, namespace: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-serve-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `server:\n  host: 127.0.0.1\n  port: 0\nlog:\n  level: debug\n  format: json\nkubernetes:\n  kubeconfig: ${kubeconfig}\n  namespace: ${namespace}\napi:\n  token: ${SECRET}\n`);
  return config;
}

test('without a reachable API server, readyz is 503 with the reason while healthz and metrics answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dead-'));
  const deadPort = await freePort();
  writeKubeconfig(join(dir, 'kubeconfig'), `https://127.0.0.1:${deadPort}`, '', 'token');
  const s = await serveSluice(configFor(join(dir, 'kubeconfig'), 'unreachable'));
  t.after(() => s.stop('SIGKILL'));
  const ready = await fetch(`${s.url}/readyz`);
  assert.equal(ready.status, 503);
  const body = (await ready.json()) as { status: string; reason: string };
  assert.equal(body.status, 'unavailable');
  assert.match(body.reason, new RegExp(`^kubernetes-api: Kubernetes API at https://127\\.0\\.0\\.1:${deadPort} does not answer`));
  assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  const metrics = await fetch(`${s.url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /sluice_process_cpu_seconds_total/);
  const { code, ms } = await s.stop('SIGINT');
  assert.equal(code, 0);
  assert.ok(ms < 10_000, `SIGINT shutdown took ${ms} ms`);
});

test('with the API server up and caches synced, readyz is 200; SIGTERM stops it cleanly within 10 s', async (t) => {
  const cluster = testCluster();
  await installCrds(cluster.kubeConfig);
  const s = await serveSluice(configFor(cluster.kubeconfigPath, await cluster.newNamespace(t, 'serve')));
  t.after(() => s.stop('SIGKILL'));
  await waitFor('readyz 200', async () => (await fetch(`${s.url}/readyz`)).status === 200, 30_000);
  const body = (await (await fetch(`${s.url}/readyz`)).json()) as { checks: Array<{ name: string; ready: boolean }> };
  assert.deepEqual(body.checks.map((c) => `${c.name}:${c.ready}`), ['kubernetes-api:true', 'caches:true']);
  const { code, ms } = await s.stop('SIGTERM');
  assert.equal(code, 0, s.output());
  assert.ok(ms < 10_000, `SIGTERM shutdown took ${ms} ms`);
  assert.match(s.output(), /"msg":"shutting down"/);
  assert.match(s.output(), /"msg":"sluice stopped"/);
  assert.ok(!s.output().includes(SECRET), 'the API token never reaches the log');
});

test('a bad config exits 2 with one line naming the key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-badcfg-'));
  writeFileSync(join(dir, 'c.yaml'), 'server:\n  port: 8080\nkubernetes:\n  kubeconfg: /x\n');
  const { code, stdout, stderr } = await runSluice(['serve', '--config', join(dir, 'c.yaml')]);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.equal(stderr, `sluice: config error: ${join(dir, 'c.yaml')}:4: kubernetes.kubeconfg: unknown key (allowed: kubeconfig, context, namespace, resyncSeconds)\n`);
});
