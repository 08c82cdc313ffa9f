// `npm run demo` works: run against the test cluster (no second control plane, no second node
// simulator), it shows the canary stepping through to Healthy and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { testCluster } from '../helpers/cluster.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';

test('the demo deploys web 1.0.0, then canaries 1.1.0 through every step to Healthy', async (t) => {
  const cluster = testCluster();
  const namespace = `demo-${randomBytes(3).toString('hex')}`;
  t.after(async () => {
    const client = new KubeClient(cluster.kubeConfig);
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => undefined);
    client.close();
  });
  const script = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath, SLUICE_TESTBED_SIMULATOR: '0', SLUICE_DEMO_NAMESPACE: namespace },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0, out);
  assert.match(out, /web 1\.0\.0 is Healthy/);
  assert.match(out, /pushed web 1\.1\.0/);
  for (const step of ['step 2/6', 'step 4/6', 'step 6/6']) assert.match(out, new RegExp(`Paused +${step}`), `${step} paused:\n${out}`);
  assert.match(out, /web 1\.1\.0 is Healthy .*the canary went through every step/);
});
