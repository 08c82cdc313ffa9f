// The Kubernetes adapter against a real API server: server-side apply, get/list/delete, status
// patches, self-healing informers and events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { testCluster } from '../helpers/cluster.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { KubeApiError } from '../../src/kube/kube-api-error.ts';
import { createInformer } from '../../src/kube/informer.ts';
import { createEventRecorder } from '../../src/kube/event-recorder.ts';
import type { KubeObject } from '../../src/kube/kube-object.ts';

const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig);
test.after(() => client.close());

const configMap = (namespace: string, name: string, data: Record<string, string>, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data,
});

test('server-side apply creates, is a no-op when nothing changed, and records field manager sluice', async (t) => {
  const ns = await cluster.newNamespace(t, 'kube-apply');
  const created = await client.apply(configMap(ns, 'app', { a: '1' }));
  assert.equal((created as { data: Record<string, string> }).data.a, '1');
  const managers = created.metadata?.managedFields?.map((f) => `${f.manager}/${f.operation}`);
  assert.deepEqual(managers, ['sluice/Apply']);
  const again = await client.apply(configMap(ns, 'app', { a: '1' }));
  assert.equal(again.metadata?.resourceVersion, created.metadata?.resourceVersion, 'unchanged apply writes nothing');
  const changed = await client.apply(configMap(ns, 'app', { a: '2' }));
  assert.notEqual(changed.metadata?.resourceVersion, created.metadata?.resourceVersion);
  const dry = await client.apply(configMap(ns, 'app', { a: '3' }), { dryRun: true });
  assert.equal((dry as { data: Record<string, string> }).data.a, '3');
  const live = await client.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'app' });
  assert.equal(live?.data.a, '2', 'dry run persisted nothing');
});

test('get returns undefined for a missing object; list filters by label and pages through', async (t) => {
  const ns = await cluster.newNamespace(t, 'kube-list');
  assert.equal(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'missing' }), undefined);
  for (let i = 0; i < 7; i++) await client.apply(configMap(ns, `cm-${i}`, { i: String(i) }, { group: i % 2 ? 'odd' : 'even' }));
  const all = await client.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'group', limit: 3 });
  assert.equal(all.items.length, 7);
  assert.ok(all.items.every((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap'), 'list items are self-describing');
  assert.ok(all.resourceVersion);
  const odd = await client.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, labelSelector: 'group=odd' });
  assert.deepEqual(odd.items.map((o) => o.metadata?.name).sort(), ['cm-1', 'cm-3', 'cm-5']);
});

test('delete reports whether it deleted, and honours a uid precondition', async (t) => {
  const ns = await cluster.newNamespace(t, 'kube-delete');
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'doomed' };
  await client.apply(configMap(ns, 'doomed', {}));
  await assert.rejects(client.delete(ref, { uid: '00000000-0000-0000-0000-000000000000' }), (e: unknown) => e instanceof KubeApiError && e.status === 409);
  assert.equal(await client.delete(ref), true);
  assert.equal(await client.delete(ref), false);
});

test('API refusals become KubeApiError with the server message', async (t) => {
  const ns = await cluster.newNamespace(t, 'kube-errors');
  await assert.rejects(client.apply({ apiVersion: 'v1', kind: 'NoSuchKind', metadata: { name: 'x', namespace: ns } }), (e: unknown) => e instanceof KubeApiError && e.status === 404 && /no resource for NoSuchKind in v1/.test(e.message));
  await assert.rejects(
    client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: ns }, data: {} }),
    (e: unknown) => e instanceof KubeApiError && e.status === 422 && e.reason === 'Invalid' && /apply ConfigMap .*\/Bad_Name: .*Bad_Name/.test(e.message),
  );
});

test('status patches go to the status subresource and leave spec alone', async (t) => {
  const ns = await cluster.newNamespace(t, 'kube-status');
  const group = `s${randomBytes(3).toString('hex')}.test.sluice.dev`;
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gadgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
  await client.apply(crd);
  t.after(() => client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name }));
  await waitFor('CRD established', async () => {
    const live = await client.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name });
    return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  });
  const ref = { apiVersion: `${group}/v1`, kind: 'Gadget', namespace: ns, name: 'g' };
  await waitFor('Gadget served', async () => (await client.apply({ ...ref, metadata: { name: 'g', namespace: ns }, spec: { size: 1 } }).then(() => true, () => false)));
  const patched = await client.patchStatus<KubeObject & { spec: { size: number }; status: { phase: string } }>(ref, { status: { phase: 'Healthy' } });
  assert.equal(patched.status.phase, 'Healthy');
  assert.equal(patched.spec.size, 1);
  // A write to the main resource cannot change status when the subresource is enabled.
  const main = await client.patch<KubeObject & { status: { phase: string } }>(ref, { status: { phase: 'Hacked' } });
  assert.equal(main.status.phase, 'Healthy');
});

test('an informer lists, follows add/update/delete, and survives its watch being closed', async (t) => {
  const ns = await cluster.newNamespace(t, 'kube-informer');
  await client.apply(configMap(ns, 'before', { v: '0' }));
  const seen: string[] = [];
  const informer = createInformer<KubeObject>({ client, apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, watchTimeoutSeconds: 1, resyncMs: 0 });
  informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
  informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
  informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
  t.after(() => informer.stop());
  informer.start();
  await informer.whenSynced();
  assert.equal(informer.synced, true);
  assert.ok(informer.get('before', ns), 'initial list is cached');
  // The server closes each watch after 1 s; changes made after several closures must still arrive.
  await new Promise((r) => setTimeout(r, 2500));
  await client.apply(configMap(ns, 'after', { v: '1' }));
  await client.apply(configMap(ns, 'after', { v: '2' }));
  await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'before' });
  await waitFor('events after watch renewals', () => seen.includes('delete before') && seen.includes('update after'));
  assert.ok(seen.includes('add after'));
  assert.equal(informer.get('before', ns), undefined);
  assert.equal((informer.get('after', ns) as KubeObject & { data: { v: string } }).data.v, '2');
  assert.ok(informer.list(ns).every((o) => o.kind === 'ConfigMap'));
});

test('an informer for a kind that does not exist yet keeps retrying and syncs once it appears', async (t) => {
  const group = `w${randomBytes(3).toString('hex')}.test.sluice.dev`;
  const informer = createInformer<KubeObject>({ client, apiVersion: `${group}/v1`, kind: 'Widget', resyncMs: 0 });
  t.after(() => informer.stop());
  informer.start();
  await waitFor('first failure recorded', () => informer.lastError !== undefined);
  assert.equal(informer.synced, false);
  assert.match(informer.lastError ?? '', /Widget/);
  const name = `widgets.${group}`;
  await client.apply({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: { group, scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  });
  t.after(() => client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }));
  await waitFor('informer synced after the CRD appeared', () => informer.synced, 60_000);
  assert.equal(informer.lastError, undefined);
});

test('resync replays every cached object periodically', async (t) => {
  const ns = await cluster.newNamespace(t, 'kube-resync');
  await client.apply(configMap(ns, 'a', {}));
  await client.apply(configMap(ns, 'b', {}));
  const resynced = new Set<string>();
  const informer = createInformer<KubeObject>({ client, apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, resyncMs: 200 });
  informer.on('resync', (o) => resynced.add(o.metadata?.name ?? ''));
  t.after(() => informer.stop());
  informer.start();
  await waitFor('both objects resynced', () => resynced.has('a') && resynced.has('b'));
});

test('events are recorded against the object, and repeats aggregate into one Event', async (t) => {
  const ns = await cluster.newNamespace(t, 'kube-events');
  const obj = await client.apply(configMap(ns, 'subject', {}));
  const recorder = createEventRecorder({ client });
  await recorder.record(obj, { type: 'Normal', reason: 'RolloutUpdated', message: 'step 1' });
  await recorder.record(obj, { type: 'Normal', reason: 'RolloutUpdated', message: 'step 1' });
  await recorder.record(obj, { type: 'Warning', reason: 'RolloutAborted', message: 'aborted' });
  const events = await client.list<KubeObject & { reason: string; count: number; involvedObject: { uid: string; name: string }; source: { component: string } }>({ apiVersion: 'v1', kind: 'Event', namespace: ns });
  const byReason = Object.fromEntries(events.items.map((e) => [e.reason, e]));
  assert.equal(events.items.length, 2);
  assert.equal(byReason.RolloutUpdated?.count, 2);
  assert.equal(byReason.RolloutAborted?.count, 1);
  assert.equal(byReason.RolloutUpdated?.involvedObject.uid, obj.metadata?.uid);
  assert.equal(byReason.RolloutUpdated?.source.component, 'sluice');
});

test('ping says whether the API server answers', async () => {
  const ok = await client.ping();
  assert.equal(ok.ok, true);
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'dead', server: 'https://127.0.0.1:1', skipTLSVerify: true }, { name: 'nobody' });
  const dead = new KubeClient(kc);
  const res = await dead.ping(1000);
  dead.close();
  assert.equal(res.ok, false);
  assert.match(res.ok ? '' : res.reason, /Kubernetes API at https:\/\/127\.0\.0\.1:1 does not answer: .*ECONNREFUSED/);
});
