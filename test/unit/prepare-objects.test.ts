// What Sluice applies: the manifest, labelled for its repository and annotated with a content hash.
// The hash must not change between Sluice versions (a new hash re-applies every object once after
// an upgrade), must not depend on key order, and preparing must leave the rendered manifest as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentHash, prepareObject, stageOf } from '../../src/sync/prepare-objects.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';

const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', annotations: { 'sluice.dev/bench-revision': '1' } },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1.0.0', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } },
  },
});

test('the content hash is stable across versions and ignores key order', () => {
  // Pinned values: computed by the first implementation; a change here re-applies everything once.
  assert.equal(contentHash({ b: [1, { d: 2, c: null }], a: 'x' } as KubeObject), '874fbcb0e6da8112');
  assert.equal(contentHash({ a: 'x', b: [1, { c: null, d: 2 }] } as KubeObject), '874fbcb0e6da8112');
  assert.equal(contentHash({ a: 'x', b: [1, { c: null, d: 2, e: undefined }] } as unknown as KubeObject), '874fbcb0e6da8112', 'undefined fields are absent');
  assert.notEqual(contentHash({ a: 'x', b: [{ c: null, d: 2 }, 1] } as KubeObject), '874fbcb0e6da8112', 'array order counts');
  assert.notEqual(contentHash({ a: 'x', b: [1, { c: null, d: '2' }] } as KubeObject), '874fbcb0e6da8112', 'types count');
});

test('prepareObject labels, annotates and keys the object and leaves the manifest untouched', () => {
  const manifest = deployment();
  const before = structuredClone(manifest);
  const d = prepareObject(manifest, 'apps', { file: 'deploy/web.yaml', line: 1 });
  assert.deepEqual(manifest, before);
  assert.equal(d.key, 'apps/Deployment//web');
  assert.deepEqual(d.object.metadata?.labels, { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/repo': 'apps' });
  const hash = d.object.metadata?.annotations?.['sluice.dev/applied-hash'];
  assert.match(hash ?? '', /^[0-9a-f]{16}$/);
  // The hash covers the content with the labels, not the hash annotation itself.
  const { 'sluice.dev/applied-hash': _h, ...annotations } = d.object.metadata?.annotations ?? {};
  assert.equal(contentHash({ ...d.object, metadata: { ...d.object.metadata, annotations } }), hash);
  assert.deepEqual(d.object.spec, before.spec);
  assert.notEqual(d.object.spec, manifest.spec, 'a copy, not the rendered object');
  // Any change of content changes the hash.
  const changed = deployment();
  (changed.spec as { replicas: number }).replicas = 1;
  assert.notEqual(prepareObject(changed, 'apps', { file: 'f', line: 1 }).object.metadata?.annotations?.['sluice.dev/applied-hash'], hash);
  assert.notEqual(prepareObject(deployment(), 'other', { file: 'f', line: 1 }).object.metadata?.annotations?.['sluice.dev/applied-hash'], hash, 'the repository label is content');
});

test('CRDs and Namespaces are applied first', () => {
  assert.equal(stageOf({ apiVersion: 'v1', kind: 'Namespace' }), 0);
  assert.equal(stageOf({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }), 0);
  assert.equal(stageOf(deployment()), 1);
});
