// Webhook to sync through the real fastify app (buildApp + inject), real Git sync (createGitSync:
// isomorphic-git against the real Git server, the real API server) wired as `sluice serve` wires
// it. The one unreal part is a gate on the cluster's apply, which holds a sync mid-flight so the
// race that matters happens every run: pushes arriving while a sync runs, after it already
// resolved its commit. They must coalesce into one follow-up sync, and that sync must apply the
// last push.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { cloneWorkdir } from '../helpers/git-repo.ts';
import { githubDelivery, githubPushTo } from '../helpers/webhook-payloads.ts';
import { startGitServer } from '../testbed/git-server.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createGitSync } from '../../src/service/git-sync.ts';
import { buildApp } from '../../src/server/build-app.ts';
import { createReadiness } from '../../src/server/readiness.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createWebhookMetrics } from '../../src/observability/webhook-metrics.ts';
import { createPushHandler } from '../../src/webhooks/push-handler.ts';
import { createWebhookReceiver } from '../../src/webhooks/receive-delivery.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';

const SECRET = 'webhook-secret-for-the-sync-test';
const cm = (v: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  version: "${v}"\n`;

test('pushes during a sync coalesce into one follow-up sync that applies the last push', async (t) => {
  const cluster = testCluster();
  await installCrds(cluster.kubeConfig);
  const client = new KubeClient(cluster.kubeConfig);
  t.after(() => client.close());
  const ns = await cluster.newNamespace(t, 'webhook-sync');
  const server = await startGitServer();
  t.after(() => server.close());
  await server.createRepo('apps');
  const work = await cloneWorkdir(server, 'apps', { branch: 'main' });
  t.after(() => work.cleanup());
  const commit = async (v: number) => {
    await work.write('deploy/config.yaml', cm(v));
    const sha = await work.commit(`version ${v}`);
    await work.push();
    return sha;
  };
  await commit(1);

  // Applies pass through to the real API server unless the gate is shut.
  let gate: Promise<void> | undefined;
  let openGate = () => {};
  let heldAtGate = 0;
  const gated = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'applyDetailed') {
        return async (obj: KubeObject, o?: object) => {
          if (gate) {
            heldAtGate++;
            await gate;
          }
          return target.applyDetailed(obj, o);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });

  const dir = mkdtempSync(join(tmpdir(), 'sluice-webhook-sync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(
    [
      'server: { port: 0 }',
      `git: { cacheDir: ${join(dir, 'git')} }`,
      `sync: { stateNamespace: ${ns} }`,
      'webhooks:',
      '  github: { secretEnv: WH_SECRET }',
      'repos:',
      '  - name: apps',
      `    url: ${server.repoUrl('apps')}`,
      '    ref: { branch: main }',
      '    paths: [deploy]',
      `    namespace: ${ns}`,
      // Once a year: only the start-up sync and webhooks sync here.
      '    schedule: "0 0 1 1 *"',
      `    credentials: { username: ${server.credentials.username}, tokenEnv: GIT_TOKEN }`,
    ].join('\n'),
    'webhooks-sync.yaml',
    { WH_SECRET: SECRET, GIT_TOKEN: server.credentials.password },
  );
  const logger = createLogger({ level: 'silent', format: 'json', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const metrics = createMetricsRegistry({ processMetrics: false });
  const gitSync = await createGitSync({ config, cluster: gated, registry: metrics, logger });
  t.after(() => gitSync.stop());
  const pushes = createPushHandler({ repos: config.repos, repoSync: gitSync.service, log: logger });
  const receiver = createWebhookReceiver({ config: config.webhooks, handlers: { push: pushes.push }, pushMatch: pushes.match, log: logger, metrics: createWebhookMetrics(metrics) });
  const app = buildApp({ logger, metrics, readiness: createReadiness(), repos: gitSync.service, webhooks: receiver });
  t.after(() => app.close());

  const live = async () => (await client.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'app-config' }))?.data.version;
  const syncCount = async () => Number(/^sluice_sync_total\{repo="apps",result="succeeded"\} (\d+)$/m.exec(await metrics.metrics())?.[1] ?? 0);
  const notify = async (after: string, delivery: string) => {
    const res = await app.inject({ method: 'POST', url: '/webhooks/github', ...toInject(githubDelivery('push', githubPushTo(server.repoUrl('apps'), { ref: 'refs/heads/main', after }), SECRET, delivery)) });
    assert.equal(res.statusCode, 202, res.body);
    return res.json() as Record<string, unknown>;
  };

  gitSync.start();
  await waitFor('the start-up sync', async () => (await live()) === '1');
  await waitFor('the start-up sync to finish', async () => (await syncCount()) === 1);

  // Push 2 and tell Sluice; its sync resolves commit 2 and is held at the apply.
  gate = new Promise((r) => (openGate = r));
  const sha2 = await commit(2);
  assert.deepEqual(await notify(sha2, 'push-2'), { accepted: 'push', delivery: 'push-2', repos: ['apps'] });
  await waitFor('the sync of push 2 to reach the apply', () => heldAtGate > 0, 15_000, 20);
  assert.equal(gitSync.service.get('apps')?.source.lastFetchedCommit, sha2, 'the running sync resolved commit 2');

  // Two more pushes while it is held: both wait for one follow-up sync.
  const sha3 = await commit(3);
  assert.equal((await notify(sha3, 'push-3')).accepted, 'push');
  const sha4 = await commit(4);
  assert.equal((await notify(sha4, 'push-4')).accepted, 'push');
  assert.deepEqual(await notify(sha4, 'push-4'), { duplicate: true, delivery: 'push-4' }, 'a redelivery is dropped');

  gate = undefined;
  openGate();
  await waitFor('push 4 applied', async () => (await live()) === '4', 30_000);
  await waitFor('the follow-up sync to finish', async () => gitSync.service.get('apps')?.syncing === false && (await syncCount()) >= 3);
  const status = gitSync.service.get('apps');
  assert.equal(status?.lastAppliedCommit, sha4);
  assert.equal(status?.lastSync?.trigger, 'webhook');
  assert.equal(await syncCount(), 3, 'start-up, push 2, and one follow-up for pushes 3 and 4');
  // Nothing further is pending: no sync starts later.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await syncCount(), 3);
  assert.match(await metrics.metrics(), /^sluice_webhooks_total\{host="github",event="push",result="accepted"\} 3$/m);
  assert.match(await metrics.metrics(), /^sluice_webhooks_total\{host="github",event="push",result="duplicate"\} 1$/m);
});

function toInject(d: { headers: Record<string, string>; body: string }) {
  return { headers: d.headers, payload: d.body };
}
