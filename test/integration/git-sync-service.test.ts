// Git sync through the real `sluice` process: `sluice diff` exit codes and output, the first sync
// at start-up, the repos API (status, bearer-protected trigger) and the sync metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startGitServer } from '../testbed/git-server.ts';
import { cloneWorkdir } from '../helpers/git-repo.ts';
import { serveSluice, runSluice } from '../helpers/sluice-process.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';

const TOKEN = 'api-token-for-tests-0123456789';

test('sluice diff, the startup sync, the repos API and sync metrics', async (t) => {
  const cluster = testCluster();
  await installCrds(cluster.kubeConfig);
  const client = new KubeClient(cluster.kubeConfig);
  t.after(() => client.close());
  const ns = await cluster.newNamespace(t, 'sync-svc');
  const server = await startGitServer();
  t.after(() => server.close());
  await server.createRepo('apps');
  const work = await cloneWorkdir(server, 'apps');
  t.after(() => work.cleanup());
  await work.write('deploy/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  v: "1"\n');
  await work.commit('a');
  await work.push();

  const dir = mkdtempSync(join(tmpdir(), 'sluice-svc-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `server:\n  host: 127.0.0.1\n  port: 0\nlog:\n  level: info\n  format: json\nkubernetes:\n  kubeconfig: ${cluster.kubeconfigPath}\n  namespace: ${ns}\ngit:\n  cacheDir: ${join(dir, 'git')}\nsync:\n  stateNamespace: ${ns}\napi:\n  token: ${TOKEN}\nrepos:\n  - name: apps\n    url: ${server.repoUrl('apps')}\n    ref:\n      branch: main\n    paths: [deploy]\n    namespace: ${ns}\n    schedule: "0 0 1 1 *"\n    credentials:\n      username: ${server.credentials.username}\n      tokenEnv: APPS_GIT_TOKEN\n`,
  );
  const env = { APPS_GIT_TOKEN: server.credentials.password };
  const cm = () => client.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' });

  // diff before anything was applied: it differs (exit 1) and changes nothing.
  const before = await runSluice(['diff', '--config', config], env);
  assert.equal(before.code, 1, before.stderr + before.stdout);
  assert.match(before.stdout, new RegExp(`^\\+ created ConfigMap ${ns}/a \\(deploy/a\\.yaml:1\\)$`, 'm'));
  assert.match(before.stdout, /^1 to create, 0 to change, 0 unchanged, 0 to prune, 0 problem\(s\)$/m);
  assert.equal(await cm(), undefined, 'diff applied nothing');

  const s = await serveSluice(config, env);
  t.after(() => s.stop('SIGKILL'));
  await waitFor('the startup sync', async () => (await cm()) !== undefined, 30_000);
  await waitFor('status after the startup sync', async () => {
    const r = (await (await fetch(`${s.url}/api/v1/repos/apps`)).json()) as { lastSync?: { result: string } };
    return r.lastSync?.result === 'succeeded';
  });
  const list = (await (await fetch(`${s.url}/api/v1/repos`)).json()) as { repos: Array<{ name: string; ref: string; lastAppliedCommit: string; source: { state: string } }> };
  assert.equal(list.repos.length, 1);
  assert.equal(list.repos[0]?.ref, 'branch main');
  assert.equal(list.repos[0]?.lastAppliedCommit, await work.head());
  assert.equal(list.repos[0]?.source.state, 'available');
  const missing = await fetch(`${s.url}/api/v1/repos/nope`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { message: string }).message, 'no repository named "nope"');

  // Nothing differs now.
  const same = await runSluice(['diff', '--config', config, '--repo', 'apps'], env);
  assert.equal(same.code, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /^0 to create, 0 to change, 1 unchanged, 0 to prune, 0 problem\(s\)$/m);

  await work.write('deploy/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  v: "2"\n');
  await work.commit('a v2');
  await work.push();
  const changed = await runSluice(['diff', '--config', config], env);
  assert.equal(changed.code, 1);
  assert.match(changed.stdout, new RegExp(`^~ changed ConfigMap ${ns}/a \\(deploy/a\\.yaml:1\\)$`, 'm'));
  assert.match(changed.stdout, /^ {4}- {2}v: "1"$/m);
  assert.match(changed.stdout, /^ {4}\+ {2}v: "2"$/m);

  // The trigger needs the bearer token.
  assert.equal((await fetch(`${s.url}/api/v1/repos/apps/sync`, { method: 'POST' })).status, 401);
  assert.equal((await fetch(`${s.url}/api/v1/repos/apps/sync`, { method: 'POST', headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
  const accepted = await fetch(`${s.url}/api/v1/repos/apps/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(accepted.status, 202);
  assert.deepEqual(await accepted.json(), { accepted: true, repo: 'apps' });
  const waited = await fetch(`${s.url}/api/v1/repos/apps/sync?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(waited.status, 200);
  assert.equal(((await waited.json()) as { lastAppliedCommit: string }).lastAppliedCommit, await work.head());
  assert.equal((await cm())?.data.v, '2');

  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^sluice_sync_total\{repo="apps",result="succeeded"\} [2-9]/m);
  assert.match(metrics, /^sluice_git_requests_total\{repo="apps",kind="refs"\} \d+/m);
  // No fetch metric is expected: the earlier `sluice diff` runs already filled the shared on-disk cache.
  assert.match(metrics, /^sluice_sync_duration_seconds_count\{repo="apps"\} \d+/m);
  assert.ok(!s.output().includes(server.credentials.password), 'the Git token never reaches the log');

  const { code } = await s.stop();
  assert.equal(code, 0);

  // Bad input: one line, exit 2.
  const unknown = await runSluice(['diff', '--config', config, '--repo', 'nope'], env);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, `sluice: config error: no repository named "nope" in ${config} (have: apps)\n`);
  await server.stop();
  const down = await runSluice(['diff', '--config', config], env);
  assert.equal(down.code, 2);
  assert.match(down.stdout, /! error {3}cannot list refs of /);
});
