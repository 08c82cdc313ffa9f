// Webhooks against a real listening `sluice serve` with a real Git server and API server: a push
// with a GitHub push payload (from @octokit/webhooks-examples, repository URLs moved to the test
// Git server) signed as GitHub signs it is applied within seconds although the poll runs once a
// year; a forged signature is 401 and syncs nothing; a redelivery acts once; oversized (413),
// malformed (400) and ping (202 ignored) deliveries are answered as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { cloneWorkdir } from '../helpers/git-repo.ts';
import { serveSluice, writeServeConfig } from '../helpers/sluice-process.ts';
import { githubDelivery, githubExample, githubPushTo, type SignedDelivery } from '../helpers/webhook-payloads.ts';
import { startGitServer } from '../testbed/git-server.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';

const SECRET = 'github-webhook-secret-for-serve-test';
const cm = (v: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  version: "${v}"\n`;

interface RepoView {
  lastAppliedCommit?: string;
  syncing: boolean;
  lastSync?: { trigger: string; startedAt: string; result: string };
}

test('sluice serve: push webhook → applied at once; forged 401; redelivery acts once; 413, 400, ping', async (t) => {
  const cluster = testCluster();
  await installCrds(cluster.kubeConfig);
  const client = new KubeClient(cluster.kubeConfig);
  t.after(() => client.close());
  const ns = await cluster.newNamespace(t, 'webhooks');
  const server = await startGitServer();
  t.after(() => server.close());
  await server.createRepo('web');
  const work = await cloneWorkdir(server, 'web', { branch: 'main' });
  t.after(() => work.cleanup());
  await work.write('deploy/config.yaml', cm(1));
  await work.commit('version 1');
  await work.push();

  const config = writeServeConfig('sluice-webhooks-', { kubeconfigPath: cluster.kubeconfigPath, ns }, [
    'webhooks:',
    '  maxBodyBytes: 65536',
    '  github: { secretEnv: GITHUB_WEBHOOK_SECRET }',
    'repos:',
    '  - name: web',
    `    url: ${server.repoUrl('web')}`,
    '    ref: { branch: main }',
    '    paths: [deploy]',
    `    namespace: ${ns}`,
    // Polls once a year, so every sync after the first is the webhook's doing.
    '    schedule: "0 0 1 1 *"',
    `    credentials: { username: ${server.credentials.username}, tokenEnv: GIT_TOKEN }`,
  ]);
  const s = await serveSluice(config, { GITHUB_WEBHOOK_SECRET: SECRET, GIT_TOKEN: server.credentials.password });
  t.after(() => s.stop('SIGKILL'));

  const repo = async () => (await (await fetch(`${s.url}/api/v1/repos/web`)).json()) as RepoView;
  const live = async () => (await client.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'web-config' }))?.data.version;
  const syncs = async () => Number(/^sluice_sync_total\{repo="web",result="succeeded"\} (\d+)$/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1] ?? 0);
  const post = (d: SignedDelivery) => fetch(`${s.url}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body });

  await waitFor('the start-up sync', async () => (await repo()).lastSync?.result === 'succeeded', 30_000);
  assert.equal(await live(), '1');
  assert.equal(await syncs(), 1);

  // GitHub's ping when the webhook is created.
  const ping = await post(githubDelivery('ping', githubExample('ping'), SECRET));
  assert.equal(ping.status, 202);
  assert.match(((await ping.json()) as { ignored: string }).ignored, /^ping/);

  await work.write('deploy/config.yaml', cm(2));
  const sha2 = await work.commit('version 2');
  await work.push();
  const payload = githubPushTo(server.repoUrl('web'), { ref: 'refs/heads/main', after: sha2 });

  // Forged: signed with another secret. Refused, and nothing syncs.
  const forged = await post(githubDelivery('push', payload, 'an-attackers-guess', 'forged-1'));
  assert.equal(forged.status, 401);
  assert.deepEqual(await forged.json(), { error: 'UNAUTHORIZED', message: 'x-hub-signature-256 does not match the body', statusCode: 401 });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await live(), '1', 'a forged push applies nothing');
  assert.equal(await syncs(), 1, 'a forged push starts no sync');

  // The real delivery: accepted at once, applied within seconds.
  const delivery = githubDelivery('push', payload, SECRET, 'delivery-v2');
  const sentAt = Date.now();
  const accepted = await post(delivery);
  const answeredMs = Date.now() - sentAt;
  assert.equal(accepted.status, 202);
  assert.deepEqual(await accepted.json(), { accepted: 'push', delivery: 'delivery-v2', repos: ['web'] });
  await waitFor('version 2 applied', async () => (await live()) === '2', 10_000, 25);
  const appliedMs = Date.now() - sentAt;
  t.diagnostic(`webhook answered in ${answeredMs} ms; version 2 applied ${appliedMs} ms after the POST`);
  assert.ok(appliedMs < 5000, `applied ${appliedMs} ms after the webhook`);
  await waitFor('the webhook sync to finish', async () => !(await repo()).syncing && (await syncs()) === 2);
  const afterPush = await repo();
  assert.equal(afterPush.lastAppliedCommit, sha2);
  assert.equal(afterPush.lastSync?.trigger, 'webhook');

  // GitHub's "Redeliver": same delivery id, same body. Answered, not acted on.
  const again = await post(delivery);
  assert.equal(again.status, 202);
  assert.deepEqual(await again.json(), { duplicate: true, delivery: 'delivery-v2' });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await syncs(), 2, 'the redelivery started no sync');
  assert.equal((await repo()).lastSync?.startedAt, afterPush.lastSync?.startedAt);

  // Over webhooks.maxBodyBytes (64 KiB here): 413 before the body is read in full.
  const big = await post(githubDelivery('push', { ...payload, padding: 'x'.repeat(80 * 1024) }, SECRET));
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { error: string }).error, 'PAYLOAD_TOO_LARGE');

  // Signed but not JSON.
  const text = '{"ref": "refs/heads/main", ';
  const malformed = await post({ body: text, headers: { ...delivery.headers, 'x-github-delivery': 'malformed-1', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(text).digest('hex')}` } });
  assert.equal(malformed.status, 400);
  assert.match(((await malformed.json()) as { message: string }).message, /^payload is not JSON/);

  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  for (const [event, result, n] of [['ping', 'ignored', 1], ['push', 'unauthorized', 1], ['push', 'accepted', 1], ['push', 'duplicate', 1], ['push', 'too_large', 1], ['push', 'malformed', 1]] as const) {
    assert.match(metrics, new RegExp(`^sluice_webhooks_total\\{host="github",event="${event}",result="${result}"\\} ${n}$`, 'm'));
  }
  assert.equal(await syncs(), 2);
  assert.ok(!s.output().includes(SECRET), 'the webhook secret never reaches the log');
  assert.match(s.output(), /"msg":"webhook push: sync enqueued"/);
  const { code } = await s.stop();
  assert.equal(code, 0);
});
