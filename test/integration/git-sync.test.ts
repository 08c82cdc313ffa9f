// Git sync end to end: a real Git server, a real API server. Commits are applied, deleted files
// pruned, hand edits repaired, broken files reported by line while the rest applies, and nothing
// is pruned or reverted when the Git server is down or a render yields nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { testCluster } from '../helpers/cluster.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { installCrds } from '../helpers/crds.ts';
import { startGitServer, type GitServer } from '../testbed/git-server.ts';
import { cloneWorkdir, type Workdir } from '../helpers/git-repo.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { createIsomorphicGitSource } from '../../src/git/isomorphic-git-source.ts';
import { RepoSyncer } from '../../src/sync/repo-syncer.ts';
import { loadCrdCatalog } from '../../src/validation/crd-catalog.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { RepoConfig, RefSpec } from '../../src/config/config-types.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { RenderLimits } from '../../src/sync/manifest-types.ts';
import type { TestContext } from 'node:test';

const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig);
let server: GitServer;
let cacheRoot: string;
let repoCount = 0;
const log = createLogger({ level: 'silent', format: 'json', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

before(async () => {
  server = await startGitServer();
  cacheRoot = mkdtempSync(join(tmpdir(), 'sluice-sync-cache-'));
  await installCrds(cluster.kubeConfig);
});
after(async () => {
  client.close();
  await server?.close();
  rmSync(cacheRoot, { recursive: true, force: true });
});

const configMap = (name: string, data: Record<string, string>) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`;

interface Fixture { ns: string; work: Workdir; syncer: (extra?: Partial<RepoConfig>, limits?: Partial<RenderLimits>, as?: KubeClient) => Promise<RepoSyncer>; get: (name: string) => Promise<(KubeObject & { data?: Record<string, string> }) | undefined> }

async function fixture(t: TestContext, files: Record<string, string>, ref: RefSpec = { branch: 'main' }): Promise<Fixture> {
  const ns = await cluster.newNamespace(t, 'sync');
  const repoName = `r${++repoCount}-${ns.slice(-6)}`;
  await server.createRepo(repoName);
  const work = await cloneWorkdir(server, repoName);
  t.after(() => work.cleanup());
  for (const [path, content] of Object.entries(files)) await work.write(path, content);
  await work.commit('initial');
  await work.push();
  const crdCatalog = await loadCrdCatalog();
  return {
    ns,
    work,
    async syncer(extra = {}, limits = {}, as = client) {
      const repo: RepoConfig = { name: repoName, url: server.repoUrl(repoName), ref, paths: ['deploy'], schedule: '* * * * *', prune: true, namespace: ns, ...extra };
      return new RepoSyncer({
        repo,
        git: createIsomorphicGitSource({ name: repo.name, url: repo.url, ref: repo.ref, auth: server.credentials, cacheDir: cacheRoot }),
        cluster: as,
        crdCatalog,
        stateNamespace: ns,
        concurrency: 8,
        limits: { maxFileBytes: 1 << 20, maxTotalBytes: 1 << 26, maxAliasCount: 100, ...limits },
        log,
      });
    },
    get: (name) => client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name }),
  };
}

test('a pushed commit is applied; an unchanged re-sync writes nothing; a deleted file is pruned', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', { v: '1' }), 'deploy/b.yaml': configMap('b', { v: '1' }), 'elsewhere/x.yaml': configMap('x', {}) });
  const syncer = await f.syncer();
  const first = await syncer.trigger('test');
  assert.equal(first.lastSync?.result, 'succeeded', JSON.stringify(first.lastSync?.errors));
  assert.deepEqual(first.lastSync?.objects, { created: 2, changed: 0, unchanged: 0, pruned: 0, failed: 0 });
  assert.equal(first.lastAppliedCommit, await f.work.head());
  assert.equal(first.source.lastFetchedCommit, await f.work.head());
  const a = await f.get('a');
  assert.equal(a?.data?.v, '1');
  assert.equal(a?.metadata?.labels?.['sluice.dev/repo'], syncer.name);
  assert.equal(await f.get('x'), undefined, 'only the configured paths are rendered');

  const inventoryRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: f.ns, name: `sluice-inventory-${syncer.name}` };
  const stateRef = { ...inventoryRef, name: `sluice-state-${syncer.name}` };
  const inventoryBefore = await client.get(inventoryRef);
  const stateBefore = await client.get<KubeObject & { data: Record<string, string> }>(stateRef);
  assert.equal(stateBefore?.data.lastAppliedCommit, await f.work.head());
  const again = await syncer.trigger('test');
  assert.deepEqual(again.lastSync?.objects, { created: 0, changed: 0, unchanged: 2, pruned: 0, failed: 0 });
  assert.equal((await f.get('a'))?.metadata?.resourceVersion, a?.metadata?.resourceVersion, 'no write for an unchanged object');
  assert.equal((await client.get(inventoryRef))?.metadata?.resourceVersion, inventoryBefore?.metadata?.resourceVersion, 'no inventory write either');
  assert.equal((await client.get(stateRef))?.metadata?.resourceVersion, stateBefore?.metadata?.resourceVersion, 'nor a state write');

  // A new commit that changes objects but not which objects there are: only the small state is written.
  await f.work.write('deploy/a.yaml', configMap('a', { v: '1', w: '1' }));
  await f.work.commit('change a only');
  await f.work.push();
  const changedOnly = await syncer.trigger('test');
  assert.deepEqual(changedOnly.lastSync?.objects, { created: 0, changed: 1, unchanged: 1, pruned: 0, failed: 0 });
  assert.equal((await client.get(inventoryRef))?.metadata?.resourceVersion, inventoryBefore?.metadata?.resourceVersion, 'the object list is not rewritten');
  const stateAfter = await client.get<KubeObject & { data: Record<string, string> }>(stateRef);
  assert.equal(stateAfter?.data.lastAppliedCommit, await f.work.head(), 'the state records the new commit');

  await f.work.write('deploy/a.yaml', configMap('a', { v: '2' }));
  await f.work.remove('deploy/b.yaml');
  await f.work.commit('change a, delete b');
  await f.work.push();
  const third = await syncer.trigger('test');
  assert.deepEqual(third.lastSync?.objects, { created: 0, changed: 1, unchanged: 0, pruned: 1, failed: 0 });
  assert.equal((await f.get('a'))?.data?.v, '2');
  assert.equal(await f.get('b'), undefined, 'b pruned');
  const changed = third.lastSync?.changes.find((c) => c.outcome === 'changed');
  assert.equal(changed?.source, 'deploy/a.yaml:1');
  assert.match(changed?.diff ?? '', /^-  v: "1"$/m);
  assert.match(changed?.diff ?? '', /^\+  v: "2"$/m);
});

test('a new commit re-renders only the files that changed; the result is that of rendering all of them', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', { v: '1' }), 'deploy/b.yaml': configMap('b', { v: '1' }), 'deploy/c.yaml': configMap('c', { v: '1' }) });
  const syncer = await f.syncer();
  assert.deepEqual((await syncer.trigger('test')).lastSync?.objects, { created: 3, changed: 0, unchanged: 0, pruned: 0, failed: 0 });
  await f.work.write('deploy/a.yaml', configMap('a', { v: '2' }));
  await f.work.write('deploy/c.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: [unclosed\n');
  await f.work.write('deploy/d.yaml', configMap('d', { v: '1' }));
  await f.work.commit('change a, break c, add d');
  await f.work.push();
  const second = (await syncer.trigger('test')).lastSync;
  assert.equal(second?.result, 'partial');
  assert.deepEqual(second?.objects, { created: 1, changed: 1, unchanged: 1, pruned: 0, failed: 0 });
  assert.deepEqual(second?.errors.map((e) => e.file), ['deploy/c.yaml']);
  // c back to its first bytes (not the last render's), a back to v1.
  await f.work.write('deploy/a.yaml', configMap('a', { v: '1' }));
  await f.work.write('deploy/c.yaml', configMap('c', { v: '1' }));
  await f.work.commit('restore a and c');
  await f.work.push();
  const third = (await syncer.trigger('test')).lastSync;
  assert.equal(third?.result, 'succeeded', JSON.stringify(third?.errors));
  assert.deepEqual(third?.objects, { created: 0, changed: 1, unchanged: 3, pruned: 0, failed: 0 });
  assert.equal((await f.get('a'))?.data?.v, '1');
});

test('over the total size limit the files are refused in path order, as one render of all of them', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', { v: '1' }), 'deploy/b.yaml': configMap('b', { v: '1' }), 'deploy/c.yaml': configMap('c', { v: '1' }) });
  const size = Buffer.byteLength(configMap('a', { v: '1' }));
  const syncer = await f.syncer({ prune: false }, { maxTotalBytes: 2 * size });
  const first = (await syncer.trigger('test')).lastSync;
  assert.deepEqual(first?.objects, { created: 2, changed: 0, unchanged: 0, pruned: 0, failed: 0 });
  assert.deepEqual(first?.errors.map((e) => `${e.file}: ${e.message}`), [`deploy/c.yaml: not rendered: the repository's YAML files together exceed the ${2 * size} bytes limit`]);
  await f.work.remove('deploy/a.yaml');
  await f.work.commit('remove a');
  await f.work.push();
  const second = (await syncer.trigger('test')).lastSync;
  assert.equal(second?.result, 'succeeded', JSON.stringify(second?.errors));
  assert.deepEqual(second?.objects, { created: 1, changed: 0, unchanged: 1, pruned: 0, failed: 0 });
});

test('a live object edited by hand is repaired by the next sync and reported as drift', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', { v: '1' }) });
  const syncer = await f.syncer();
  await syncer.trigger('test');
  await client.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: f.ns, name: 'a' }, { data: { v: 'hand-edited' } });
  const status = await syncer.trigger('test');
  assert.equal((await f.get('a'))?.data?.v, '1');
  assert.deepEqual(status.lastSync?.driftRepaired, [`ConfigMap ${f.ns}/a`]);
});

test('a Secret written with stringData is up to date on the next sync: no write, not reported as changed', async (t) => {
  const f = await fixture(t, { 'deploy/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: "p@ss w0rd é"\ndata:\n  plain: dg==\n' });
  const syncer = await f.syncer({ allowedKinds: ['Secret'] });
  const first = await syncer.trigger('test');
  assert.deepEqual(first.lastSync?.objects, { created: 1, changed: 0, unchanged: 0, pruned: 0, failed: 0 }, JSON.stringify(first.lastSync?.errors));
  const ref = { apiVersion: 'v1', kind: 'Secret', namespace: f.ns, name: 's' };
  const before = await client.get<KubeObject & { data: Record<string, string> }>(ref);
  assert.equal(Buffer.from(before?.data.password ?? '', 'base64').toString('utf8'), 'p@ss w0rd é');
  // A second later: an apply now would move the field manager's timestamp and the resourceVersion.
  await new Promise((r) => setTimeout(r, 1100));
  const again = await syncer.trigger('test');
  assert.deepEqual(again.lastSync?.objects, { created: 0, changed: 0, unchanged: 1, pruned: 0, failed: 0 });
  assert.deepEqual(again.lastSync?.driftRepaired, []);
  assert.equal((await client.get(ref))?.metadata?.resourceVersion, before?.metadata?.resourceVersion, 'no write');
  // A hand edit of a stringData value is still drift, and repaired.
  await client.patch(ref, { data: { password: Buffer.from('changed').toString('base64') } });
  const repaired = await syncer.trigger('test');
  assert.deepEqual(repaired.lastSync?.driftRepaired, [`Secret ${f.ns}/s`]);
  assert.equal(Buffer.from((await client.get<KubeObject & { data: Record<string, string> }>(ref))?.data.password ?? '', 'base64').toString('utf8'), 'p@ss w0rd é');
});

test('objects in several namespaces and cluster-scoped ones are seen live (and compared as stored): unchanged, then drift repaired', async (t) => {
  // Live objects are listed per kind and namespace, a kind spread over more than eight namespaces
  // once across all of them, cluster-scoped kinds across the cluster: every path must find its objects.
  const spread = await Promise.all(Array.from({ length: 9 }, () => cluster.newNamespace(t, 'spread')));
  const other = spread[0]!;
  const roleName = `sluice-test-scopes-${other.slice(-6)}`;
  t.after(() => client.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName }).catch(() => undefined));
  const files: Record<string, string> = {
    'deploy/a.yaml': configMap('a', { v: '1' }),
    'deploy/role.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${roleName}\nrules: []\n`,
    'deploy/sa.yaml': `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  namespace: ${other}\nautomountServiceAccountToken: true\n`,
  };
  // Quantities not in canonical form: the server stores "0.5" as "500m" and "0.5Gi" as "512Mi".
  files['deploy/deploy.yaml'] = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 0\n  selector:\n    matchLabels: {app: d}\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n      containers:\n        - name: c\n          image: registry.invalid/d:1\n          resources:\n            limits: {cpu: "0.5", memory: "0.5Gi"}\n            requests: {cpu: ".1"}\n';
  spread.forEach((ns, i) => (files[`deploy/secret-${i}.yaml`] = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ${ns}\nstringData:\n  k: v\n`));
  const f = await fixture(t, files);
  const syncer = await f.syncer({ allowedKinds: ['ConfigMap', 'ServiceAccount', 'Secret', 'ClusterRole', 'Deployment'] });
  const first = await syncer.trigger('test');
  assert.deepEqual(first.lastSync?.objects, { created: 13, changed: 0, unchanged: 0, pruned: 0, failed: 0 }, JSON.stringify(first.lastSync?.errors));
  // A second later: an object applied again now (one that does not compare as up to date) would
  // move its field manager's timestamp and count as changed.
  await new Promise((r) => setTimeout(r, 1100));
  const again = await syncer.trigger('test');
  assert.deepEqual(again.lastSync?.objects, { created: 0, changed: 0, unchanged: 13, pruned: 0, failed: 0 }, JSON.stringify(again.lastSync?.changes.map((c) => c.object)));
  await client.patch({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: other, name: 'sa' }, { automountServiceAccountToken: false });
  await client.patch({ apiVersion: 'v1', kind: 'Secret', namespace: spread[8]!, name: 's' }, { data: { k: Buffer.from('hand').toString('base64') } });
  await client.patch({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName }, { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
  const repaired = await syncer.trigger('test');
  assert.deepEqual([...(repaired.lastSync?.driftRepaired ?? [])].sort(), [`ClusterRole ${roleName}`, `Secret ${spread[8]}/s`, `ServiceAccount ${other}/sa`]);
  assert.equal((await client.get<KubeObject & { rules?: unknown[] | null }>({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName }))?.rules?.length ?? 0, 0, 'the hand-added rule is gone');
});

test('a namespace the repository left and Sluice may no longer read does not fail the sync', async (t) => {
  // Sluice acts as a user who may handle ConfigMaps only where RoleBindings allow (impersonated).
  const user = `sluice-limited-${Date.now().toString(36)}`;
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: user };
  await client.applyDetailed({ apiVersion: role.apiVersion, kind: role.kind, metadata: { name: user }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] }] } as KubeObject);
  t.after(() => client.delete(role).catch(() => undefined));
  const bind = (namespace: string) => client.applyDetailed({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: user, namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] } as KubeObject);
  const base = cluster.kubeConfig;
  const limitedConfig = new KubeConfig();
  limitedConfig.loadFromOptions({ clusters: base.clusters, contexts: base.contexts, currentContext: base.currentContext, users: base.users.map((u) => ({ ...u, impersonateUser: user })) });
  const limited = new KubeClient(limitedConfig);
  t.after(() => limited.close());

  const old = await cluster.newNamespace(t, 'left');
  const f = await fixture(t, { 'deploy/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: moved\n  namespace: ${old}\ndata:\n  v: "1"\n` });
  await bind(f.ns);
  await bind(old);
  for (const namespace of [f.ns, old]) {
    await waitFor(`the limited user to list in ${namespace}`, () => limited.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace }).then(() => true, () => false), 10_000);
  }
  const syncer = await f.syncer({ prune: false }, {}, limited);
  const first = await syncer.trigger('test');
  assert.deepEqual(first.lastSync?.objects, { created: 1, changed: 0, unchanged: 0, pruned: 0, failed: 0 }, JSON.stringify(first.lastSync?.errors));

  // The manifest moves to the repository's own namespace and Sluice loses access to the old one;
  // the next sync still lists the old namespace first (the last sync's scope) and gets a 403 there.
  await f.work.write('deploy/cm.yaml', configMap('moved', { v: '2' }));
  await f.work.commit('move');
  await f.work.push();
  await client.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespace: old, name: user });
  // The API server's authorizer sees the deletion through its own cache, a moment later.
  await waitFor('access to the old namespace to be gone', () => limited.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: old }).then(() => false, (err: Error) => /forbidden/i.test(err.message)), 10_000);
  const second = await syncer.trigger('test');
  assert.equal(second.lastSync?.result, 'succeeded', JSON.stringify(second.lastSync?.errors));
  assert.deepEqual(second.lastSync?.objects, { created: 1, changed: 0, unchanged: 0, pruned: 0, failed: 0 });
  assert.equal((await f.get('moved'))?.data?.v, '2');
});

test('a broken file is reported with its line while the others apply, and nothing is pruned', async (t) => {
  const f = await fixture(t, { 'deploy/good.yaml': configMap('good', { v: '1' }), 'deploy/old.yaml': configMap('old', {}) });
  const syncer = await f.syncer();
  await syncer.trigger('test');
  await f.work.write('deploy/good.yaml', configMap('good', { v: '2' }));
  await f.work.write('deploy/broken.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  a: [unclosed\n');
  await f.work.remove('deploy/old.yaml');
  await f.work.commit('broken');
  await f.work.push();
  const status = await syncer.trigger('test');
  assert.equal(status.lastSync?.result, 'partial');
  const err = status.lastSync?.errors.find((e) => e.file === 'deploy/broken.yaml');
  assert.ok(err && typeof err.line === 'number' && err.line >= 6, `error with line: ${JSON.stringify(status.lastSync?.errors)}`);
  assert.equal((await f.get('good'))?.data?.v, '2', 'the good file still applied');
  assert.ok(await f.get('old'), 'not pruned while a file fails to render');
  assert.match(status.lastSync?.pruneSkipped ?? '', /manifest problem/);
});

test('Git server down: status says unavailable, nothing is pruned or changed; it recovers when the server returns', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', { v: '1' }) });
  const syncer = await f.syncer();
  await syncer.trigger('test');
  await server.stop();
  let status;
  try {
    status = await syncer.trigger('test');
  } finally {
    await server.start();
  }
  assert.equal(status.lastSync?.result, 'unavailable');
  assert.equal(status.source.state, 'unavailable');
  assert.match(status.source.message ?? '', /cannot list refs/);
  assert.equal((await f.get('a'))?.data?.v, '1', 'nothing deleted or reverted');
  const back = await syncer.trigger('test');
  assert.equal(back.lastSync?.result, 'succeeded');
  assert.equal(back.source.state, 'available');
});

test('a render that suddenly yields nothing prunes nothing', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', {}), 'deploy/README.md': 'docs\n' });
  const syncer = await f.syncer();
  await syncer.trigger('test');
  await f.work.remove('deploy/a.yaml');
  await f.work.commit('everything gone');
  await f.work.push();
  const status = await syncer.trigger('test');
  assert.ok(await f.get('a'), 'not pruned');
  assert.equal(status.lastSync?.pruneSkipped, 'the render yielded no objects where the last sync had some');
});

test('branch, tag, semver and commit pins each deploy their own commit', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', { v: 'one' }) });
  const one = await f.work.head();
  await f.work.tag('v1.0.0', 'first');
  await f.work.write('deploy/a.yaml', configMap('a', { v: 'two' }));
  await f.work.commit('two');
  await f.work.push();
  await f.work.tag('v1.1.0');
  await f.work.write('deploy/a.yaml', configMap('a', { v: 'three' }));
  await f.work.commit('three');
  await f.work.push();
  await f.work.tag('v2.0.0');
  await f.work.branch('release');
  await f.work.write('deploy/a.yaml', configMap('a', { v: 'release' }));
  await f.work.commit('release');
  await f.work.push();
  const expectations: Array<[RefSpec, string]> = [
    [{ branch: 'main' }, 'three'],
    [{ branch: 'release' }, 'release'],
    [{ tag: 'v1.0.0' }, 'one'],
    [{ semver: '~1.0 || ^1.1' }, 'two'],
    [{ commit: one }, 'one'],
  ];
  for (const [ref, value] of expectations) {
    const s = await f.syncer({ ref, prune: false });
    const status = await s.trigger('test');
    assert.equal(status.lastSync?.result, 'succeeded', `${JSON.stringify(ref)}: ${JSON.stringify(status.lastSync?.errors)}`);
    assert.equal((await f.get('a'))?.data?.v, value, JSON.stringify(ref));
  }
});

test('concurrent triggers coalesce: one sync runs, one more follows, none is lost', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', { v: '1' }) });
  const syncer = await f.syncer();
  await syncer.trigger('test');
  await f.work.write('deploy/a.yaml', configMap('a', { v: '2' }));
  await f.work.commit('two');
  await f.work.push();
  server.resetStats();
  const results = await Promise.all(Array.from({ length: 10 }, () => syncer.trigger('burst')));
  const runs = new Set(results.map((r) => r.lastSync?.startedAt));
  assert.ok(runs.size <= 2, `ten triggers ran ${runs.size} syncs`);
  // Two syncs: one ref probe each (the fetch reuses its sync's probe).
  assert.ok(server.stats.totals.infoRefs <= 2, `${server.stats.totals.infoRefs} refs requests`);
  assert.equal(server.stats.totals.uploadPack, 1, 'one fetch');
  assert.ok(results.every((r) => r.lastSync?.commit === results[0]?.lastSync?.commit));
  assert.equal((await f.get('a'))?.data?.v, '2');
});

test('allow lists refuse kinds and namespaces by file and line; cluster RBAC kinds need explicit permission', async (t) => {
  const f = await fixture(t, {
    'deploy/ok.yaml': configMap('ok', {}),
    'deploy/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: v\n',
    'deploy/rbac.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: sluice-test-never\nrules: []\n',
    'deploy/other-ns.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere\n  namespace: kube-system\n',
  });
  const syncer = await f.syncer({ allowedKinds: ['ConfigMap', 'Secret'], allowedNamespaces: [f.ns] });
  const status = await syncer.trigger('test');
  const byFile = Object.fromEntries((status.lastSync?.errors ?? []).map((e) => [e.file, `${e.line}: ${e.message}`]));
  assert.ok(await f.get('ok'));
  assert.ok(await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: f.ns, name: 's' }), 'allowed kind applied');
  assert.match(byFile['deploy/rbac.yaml'] ?? '', /^2: kind rbac\.authorization\.k8s\.io\/ClusterRole is not allowed for this repository/);
  assert.match(byFile['deploy/other-ns.yaml'] ?? '', /kube-system/);
  assert.equal(await client.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'sluice-test-never' }), undefined);
  assert.equal(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'elsewhere' }), undefined);
});

test('a Rollout with a misspelt field is refused at its line; a CRD and its objects in one repo apply in stages', async (t) => {
  const group = `g${Date.now().toString(36)}.test.sluice.dev`;
  const f = await fixture(t, {
    'deploy/rollout.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n  strategy:\n    canary:\n      stepz: []\n',
    'deploy/crd.yaml': `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.${group}\nspec:\n  group: ${group}\n  scope: Namespaced\n  names: {plural: things, singular: thing, kind: Thing}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n`,
    'deploy/thing.yaml': `apiVersion: ${group}/v1\nkind: Thing\nmetadata:\n  name: one\nspec:\n  size: 3\n`,
  });
  t.after(() => client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `things.${group}` }));
  const syncer = await f.syncer();
  const status = await syncer.trigger('test');
  const rolloutErr = status.lastSync?.errors.find((e) => e.file === 'deploy/rollout.yaml');
  assert.equal(rolloutErr?.line, 8, JSON.stringify(status.lastSync?.errors));
  assert.match(rolloutErr?.message ?? '', /stepz/);
  const thing = await client.get<KubeObject & { spec: { size: number } }>({ apiVersion: `${group}/v1`, kind: 'Thing', namespace: f.ns, name: 'one' });
  assert.equal(thing?.spec.size, 3, JSON.stringify(status.lastSync?.errors));
});

test('an object now labelled for another repository is not pruned', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', {}), 'deploy/b.yaml': configMap('b', {}) });
  const syncer = await f.syncer();
  await syncer.trigger('test');
  await client.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: f.ns, name: 'b' }, { metadata: { labels: { 'sluice.dev/repo': 'someone-else' } } });
  await f.work.remove('deploy/b.yaml');
  await f.work.commit('drop b');
  await f.work.push();
  const status = await syncer.trigger('test');
  assert.ok(await f.get('b'), 'left alone');
  assert.match(status.lastSync?.errors.map((e) => e.message).join('\n') ?? '', /not pruned: it is now labelled sluice\.dev\/repo=someone-else/);
});

test('the last applied commit survives a restart (it lives in the cluster inventory)', async (t) => {
  const f = await fixture(t, { 'deploy/a.yaml': configMap('a', { v: '1' }) });
  await (await f.syncer()).trigger('test');
  const fresh = await f.syncer();
  const status = await fresh.trigger('test');
  assert.equal(status.lastAppliedCommit, await f.work.head());
  assert.deepEqual(status.lastSync?.driftRepaired, []);
  const inventoryRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: f.ns, name: `sluice-inventory-${fresh.name}` };
  const inv = await client.get<KubeObject & { data: Record<string, string> }>(inventoryRef);
  assert.deepEqual(JSON.parse(inv?.data['inventory.json'] ?? '{}').objects.map((o: { name: string }) => o.name), ['a']);

  // An inventory written before the state ConfigMap existed kept the commit in its list: still read.
  const list = JSON.parse(inv?.data['inventory.json'] ?? '{}') as Record<string, unknown>;
  await client.patch(inventoryRef, { data: { 'inventory.json': JSON.stringify({ ...list, lastAppliedCommit: await f.work.head(), lastAppliedAt: '2026-01-01T00:00:00.000Z' }) } });
  await client.delete({ ...inventoryRef, name: `sluice-state-${fresh.name}` });
  // A hand edit counts as drift only when the restarted syncer knows the commit was applied already.
  await client.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: f.ns, name: 'a' }, { data: { v: 'edited by hand' } });
  const upgraded = await (await f.syncer()).trigger('test');
  assert.deepEqual(upgraded.lastSync?.objects, { created: 0, changed: 1, unchanged: 0, pruned: 0, failed: 0 });
  assert.deepEqual(upgraded.lastSync?.driftRepaired, [`ConfigMap ${f.ns}/a`], 'the commit was read from the old list');
});
