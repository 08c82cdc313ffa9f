// What Sluice applies: the manifest, labelled for its repository and annotated with a content hash.
// The hash must not change between Sluice versions (a new hash re-applies every object once after
// an upgrade), must not depend on key order, and preparing must leave the rendered manifest as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

// The first implementation, kept as the reference every later one must match byte for byte.
function referenceHash(obj: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    return value;
  };
  return createHash('sha256').update(JSON.stringify(canonical(obj))).digest('hex').slice(0, 16);
}

test('integer-like keys, __proto__ keys and odd values hash as the first implementation did', () => {
  // JavaScript orders integer-like keys ("8080") first in rebuilt objects: the hash must keep that order.
  const ports = { kind: 'ConfigMap', data: { '10000': 'b', '8080': 'a', '-x': 'c', '.y': 'd', a: 'e', '4294967295': 'f', '4294967294': 'g', '01': 'h', '0': 'i' } };
  assert.equal(contentHash(ports as KubeObject), '6636762b3ac6698e');
  assert.equal(referenceHash(ports), '6636762b3ac6698e');
  const proto = JSON.parse('{"kind":"ConfigMap","data":{"__proto__":"x","b":"y"}}') as KubeObject;
  assert.equal(contentHash(proto), '673b2dba36443eb1');
  // Many generated objects: keys of every sort, nested arrays and objects, nulls, numbers, booleans.
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const keys = ['a', 'B', 'z', '0', '1', '7', '10', '8080', '007', '-1', '1.5', '4294967294', '4294967295', '.x', '_y', 'é', 'data', '__proto__'];
  const value = (depth: number): unknown => {
    switch (random(depth > 3 ? 4 : 7)) {
      case 0: return null;
      case 1: return random(1000) - 500;
      case 2: return random(2) === 0;
      case 3: return `s${random(50)}`;
      case 4: return Array.from({ length: random(4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = random(6); i > 0; i--) Object.defineProperty(o, keys[random(keys.length)]!, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        return o;
      }
    }
  };
  for (let i = 0; i < 500; i++) {
    const obj = { kind: 'Thing', spec: value(0), data: value(1) };
    assert.equal(contentHash(obj as KubeObject), referenceHash(obj), JSON.stringify(obj));
  }
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

test('a __proto__ key is data: kept in the applied object, never its prototype', () => {
  const manifest = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"},"data":{"__proto__":"x","b":"y"}}') as KubeObject;
  const d = prepareObject(manifest, 'apps', { file: 'f', line: 1 });
  const data = (d.object as { data: Record<string, string> }).data;
  assert.deepEqual(Object.keys(data), ['__proto__', 'b']);
  assert.equal(Object.getPrototypeOf(data), Object.prototype);
  assert.match(JSON.stringify(d.object), /"__proto__":"x"/);
});

test('CRDs and Namespaces are applied first', () => {
  assert.equal(stageOf({ apiVersion: 'v1', kind: 'Namespace' }), 0);
  assert.equal(stageOf({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }), 0);
  assert.equal(stageOf(deployment()), 1);
});
