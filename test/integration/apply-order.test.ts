// applyObjects starts applies in Helm's kind order (as Argo CD applies a sync wave): service
// accounts, config maps and services before the workloads that use them, custom resources last;
// results are still reported in file order. Checked on the real API server with one apply at a
// time, where the order applies started is the order etcd stored them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { applyObjects } from '../../src/sync/apply-objects.ts';
import { prepareObject } from '../../src/sync/prepare-objects.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';

const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig);

before(async () => {
  await installCrds(cluster.kubeConfig);
});
after(() => client.close());

test('applies start in kind order, custom resources last; results stay in file order', async (t) => {
  const ns = await cluster.newNamespace(t, 'order');
  const manifests: Array<[string, KubeObject]> = [
    ['deploy/a-template.yaml', { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name: 'a', namespace: ns }, spec: { metrics: [{ name: 'm', provider: { web: { url: 'http://example.invalid' } } }] } }],
    ['deploy/b-deploy.yaml', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b', namespace: ns }, spec: { replicas: 0, selector: { matchLabels: { app: 'b' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } } } }],
    ['deploy/c-svc.yaml', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'c', namespace: ns }, spec: { clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }] } }],
    ['deploy/d-cm.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd', namespace: ns }, data: { k: 'v' } }],
    ['deploy/e-sa.yaml', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'e', namespace: ns } }],
    ['deploy/f-cm.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'f', namespace: ns }, data: { k: 'v' } }],
  ];
  const desired = manifests.map(([file, object]) => prepareObject(object, 'order-test', { file, line: 1 }));
  // The real client, noting the resourceVersion each apply returned: etcd stores writes with
  // increasing revisions, so these order the writes (a test-only reading of an opaque value; the
  // objects' current versions would not do, controllers write some of them afterwards).
  const written: Array<{ name: string; rv: bigint }> = [];
  const recording = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'applyDetailed') return Reflect.get(target, prop, receiver);
      return async (obj: KubeObject, o?: object) => {
        const out = await target.applyDetailed(obj, o);
        written.push({ name: `${obj.kind}/${obj.metadata?.name}`, rv: BigInt(out.object.metadata?.resourceVersion ?? '0') });
        return out;
      };
    },
  });
  const results = await applyObjects(recording, desired, { concurrency: 1, live: new Map() });
  assert.deepEqual(results.map((r) => [r.source.file, r.outcome]), manifests.map(([file]) => [file, 'created']), 'reported in file order');
  const order = written.sort((a, b) => (a.rv < b.rv ? -1 : 1)).map((w) => w.name);
  assert.deepEqual(order, ['ServiceAccount/e', 'ConfigMap/d', 'ConfigMap/f', 'Service/c', 'Deployment/b', 'AnalysisTemplate/a']);
});
