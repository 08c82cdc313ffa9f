// The real round trip: our CRDs install on the test API server (Kubernetes 1.20 locally), every
// all-fields fixture is accepted and comes back with `spec` unchanged (nothing pruned, nothing
// defaulted), kubectl sees the printer columns, short names and scale subresource, the server
// prunes/rejects exactly what the offline validator reports, and manifests/ passes a server-side
// apply dry run.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { testCluster } from '../helpers/cluster.ts';
import { applyCrds, installCrds } from '../helpers/crds.ts';
import { loadCrdCatalog } from '../../src/validation/crd-catalog.ts';
import { validateAgainstCrdSchema } from '../../src/validation/crd-schema.ts';

const cluster = testCluster();
const FIXTURES = fileURLToPath(new URL('../fixtures/crds/', import.meta.url));
type Resource = KubernetesObject & { spec: Record<string, unknown>; status?: unknown };
const fixture = (file: string): Resource => parse(readFileSync(join(FIXTURES, file), 'utf8')) as Resource;
const run = promisify(execFile);

// A private discovery cache: the CRDs may have been (re)installed a moment ago.
const kubectlCache = mkdtempSync(join(tmpdir(), 'sluice-kubectl-cache-'));
process.on('exit', () => rmSync(kubectlCache, { recursive: true, force: true }));
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(cluster.kubectl, ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', kubectlCache, ...args]);
  return stdout;
}

/** kubectl with YAML on stdin; resolves with stdout, rejects with stderr. */
function kubectlWithInput(input: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cluster.kubectl, ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', kubectlCache, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim()}`))));
    child.stdin.end(input);
  });
}

let objects: KubernetesObjectApi;
before(async () => {
  await installCrds(cluster.kubeConfig);
  // Made after the install, so its discovery cache already knows argoproj.io/v1alpha1.
  objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig);
});

async function createAndReadBack(obj: Resource): Promise<Resource> {
  await objects.create(obj);
  return objects.read<Resource>({ apiVersion: obj.apiVersion!, kind: obj.kind!, metadata: { name: obj.metadata!.name!, namespace: obj.metadata!.namespace } });
}

describe('CRDs on the API server', () => {
  it('installing again, concurrently, changes nothing', async () => {
    const first = await installCrds(cluster.kubeConfig);
    const [a, b] = await Promise.all([applyCrds(cluster.kubeConfig), applyCrds(cluster.kubeConfig)]);
    const generations = (crds: typeof first) => crds.map((c) => [c.metadata?.name, c.metadata?.generation]);
    assert.deepEqual(generations(a), generations(first));
    assert.deepEqual(generations(b), generations(first));
  });

  const namespaced = [
    'rollout-canary-all-fields.yaml',
    'rollout-bluegreen-all-fields.yaml',
    'analysistemplate-all-fields.yaml',
    'analysisrun-all-fields.yaml',
    'experiment-all-fields.yaml',
  ];
  for (const file of namespaced) {
    it(`${file}: accepted, spec comes back unchanged`, async (t) => {
      const namespace = await cluster.newNamespace(t, 'crds');
      const obj = fixture(file);
      obj.metadata!.namespace = namespace;
      const back = await createAndReadBack(obj);
      assert.deepEqual(back.spec, fixture(file).spec);
      assert.deepEqual(back.metadata?.labels, fixture(file).metadata?.labels);
    });
  }

  it('clusteranalysistemplate-all-fields.yaml: accepted cluster-scoped, spec comes back unchanged', async (t) => {
    const obj = fixture('clusteranalysistemplate-all-fields.yaml');
    obj.metadata!.name = `${obj.metadata!.name}-${randomBytes(3).toString('hex')}`;
    t.after(() => objects.delete(obj).catch(() => undefined));
    const back = await createAndReadBack(obj);
    assert.equal(back.metadata?.namespace, undefined);
    assert.deepEqual(back.spec, fixture('clusteranalysistemplate-all-fields.yaml').spec);
  });

  it('kubectl: Rollout printer columns, short names, scale subresource, status subresource', async (t) => {
    const namespace = await cluster.newNamespace(t, 'crds-kubectl');
    const rollout = fixture('rollout-bluegreen-all-fields.yaml');
    rollout.metadata!.namespace = namespace;
    rollout.status = { phase: 'Ignored' }; // the status subresource makes create drop it
    const created = await createAndReadBack(rollout);
    assert.equal(created.status, undefined);
    const name = rollout.metadata!.name!;

    const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
    await custom.patchNamespacedCustomObjectStatus(
      { group: 'argoproj.io', version: 'v1alpha1', namespace, plural: 'rollouts', name, body: { status: { phase: 'Healthy', replicas: 4, updatedReplicas: 3, availableReplicas: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    const table = (await kubectl('get', 'rollouts', '-n', namespace)).trim().split('\n').map((line) => line.trim().split(/\s+/));
    assert.deepEqual(table[0], ['NAME', 'DESIRED', 'CURRENT', 'UP-TO-DATE', 'AVAILABLE', 'PHASE', 'AGE']);
    assert.deepEqual(table[1]?.slice(0, 6), [name, '4', '4', '3', '2', 'Healthy']);

    assert.equal((await kubectl('get', 'ro', '-n', namespace, '-o', 'name')).trim(), `rollout.argoproj.io/${name}`);
    for (const short of ['at', 'ar', 'exp']) await kubectl('get', short, '-n', namespace, '-o', 'name');
    await kubectl('get', 'cat', '-o', 'name');

    await kubectl('scale', 'ro', name, '-n', namespace, '--replicas=7');
    const scaled = await objects.read<Resource>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name, namespace } });
    assert.equal(scaled.spec.replicas, 7);
  });

  it('the API server prunes what the validator calls unknown/dropped and rejects what it calls invalid', async (t) => {
    const namespace = await cluster.newNamespace(t, 'crds-prune');
    const rollout = fixture('rollout-canary-all-fields.yaml');
    rollout.metadata!.namespace = namespace;
    const canary = (rollout.spec.strategy as { canary: Record<string, any> }).canary;
    canary.stepz = [{ setWeight: 1 }];
    canary.steps[1] = { pause: null };
    canary.trafficRouting.nginx.stableIngres = 'typo';
    const schema = (await loadCrdCatalog()).lookup('argoproj.io/v1alpha1', 'Rollout')!.schema;
    assert.deepEqual(validateAgainstCrdSchema(rollout, schema).map((e) => `${e.reason} ${e.path}`), [
      'unknown spec.strategy.canary.trafficRouting.nginx.stableIngres',
      'dropped spec.strategy.canary.steps[1].pause',
      'unknown spec.strategy.canary.stepz',
    ]);
    const back = await createAndReadBack(rollout);
    const backCanary = (back.spec.strategy as { canary: Record<string, any> }).canary;
    assert.equal(backCanary.stepz, undefined);
    assert.deepEqual(backCanary.steps[1], {});
    assert.equal(backCanary.trafficRouting.nginx.stableIngres, undefined);

    const invalid = fixture('rollout-bluegreen-all-fields.yaml');
    invalid.metadata!.namespace = namespace;
    (invalid.spec.strategy as { blueGreen: Record<string, unknown> }).blueGreen.activeService = undefined;
    invalid.spec.replicas = 'three';
    await assert.rejects(objects.create(invalid), (err: { code?: number; body?: string }) => {
      assert.equal(err.code, 422);
      assert.match(String(err.body), /spec\.replicas/);
      assert.match(String(err.body), /activeService/);
      return true;
    });
  });

  it('manifests/: kubectl 1.20 builds the kustomization and every object passes server-side apply', async (t) => {
    // Dry run, with sluice-system swapped for a test namespace: the shared cluster keeps no trace,
    // but the server runs the full apply (this is where a port without protocol fails on 1.20).
    const namespace = await cluster.newNamespace(t, 'crds-install');
    const built = await kubectl('kustomize', fileURLToPath(new URL('../../manifests/', import.meta.url)));
    const kinds = [...built.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual(kinds.sort(), ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'CustomResourceDefinition', 'CustomResourceDefinition',
      'CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition', 'Deployment', 'Namespace', 'Service', 'ServiceAccount']);
    const out = await kubectlWithInput(built.replaceAll('sluice-system', namespace),
      'apply', '--server-side', '--field-manager', 'sluice-test', '--dry-run=server', '-f', '-');
    assert.equal(out.trim().split('\n').length, 12, out);
  });

  it('AnalysisRun and Experiment show Status and Age', async (t) => {
    const namespace = await cluster.newNamespace(t, 'crds-columns');
    for (const file of ['analysisrun-all-fields.yaml', 'experiment-all-fields.yaml']) {
      const obj = fixture(file);
      obj.metadata!.namespace = namespace;
      await objects.create(obj);
    }
    for (const plural of ['analysisruns', 'experiments']) {
      const header = (await kubectl('get', plural, '-n', namespace)).split('\n')[0]!.trim().split(/\s+/);
      assert.deepEqual(header, ['NAME', 'STATUS', 'AGE'], plural);
    }
  });
});
