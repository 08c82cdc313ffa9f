import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSubset, objectDiff, quantityValue, withoutServerFields } from '../../src/sync/object-diff.ts';

test('isSubset: live may hold more; lists must match; nulls mean unset; numbers and strings compare by text', () => {
  assert.equal(isSubset({ a: 1 }, { a: 1, b: 2 }), true);
  assert.equal(isSubset({ a: 1 }, { a: 2 }), false);
  assert.equal(isSubset({ l: [1, 2] }, { l: [1, 2] }), true);
  assert.equal(isSubset({ l: [1, 2] }, { l: [1, 2, 3] }), false);
  // `data:` with nothing under it is null in YAML; the server stores no field at all.
  assert.equal(isSubset({ data: null }, {}), true);
  assert.equal(isSubset({ data: null }, { data: { k: 'v' } }), false);
  // Empty lists and maps: the server returns them absent or null; anything in them is still compared.
  assert.equal(isSubset({ rules: [] }, { rules: null }), true);
  assert.equal(isSubset({ rules: [] }, {}), true);
  assert.equal(isSubset({ data: {} }, {}), true);
  assert.equal(isSubset({ rules: [] }, { rules: [{ verbs: ['get'] }] }), false);
  assert.equal(isSubset({ rules: [{}] }, { rules: null }), false);
  assert.equal(isSubset({ port: '8080' }, { port: 8080 }), true);
  assert.equal(isSubset({ a: { b: 1 } }, { a: 'x' }), false);
});

test('objectDiff ignores server-owned fields and shows changed lines', () => {
  const live = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '5', uid: 'u', managedFields: [{}] }, data: { v: '1' }, status: {} };
  assert.equal(objectDiff('a', live, { ...live, metadata: { name: 'a', resourceVersion: '6' } }), '');
  const d = objectDiff('a', live, { ...live, data: { v: '2' } });
  assert.match(d, /^-  v: "1"$/m);
  assert.match(d, /^\+  v: "2"$/m);
  assert.deepEqual(withoutServerFields(live), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { v: '1' } });
});

test('isSubset: resource quantities compare by value, as the server stores them in canonical form', () => {
  const container = (limits: Record<string, string>, requests: Record<string, string> = {}) => ({ spec: { containers: [{ name: 'c', resources: { limits, requests } }] } });
  assert.equal(isSubset(container({ cpu: '0.5', memory: '0.5Gi' }, { cpu: '.1' }), container({ cpu: '500m', memory: '512Mi' }, { cpu: '100m' })), true);
  assert.equal(isSubset(container({ cpu: '1000m' }), container({ cpu: '1' })), true);
  assert.equal(isSubset(container({ cpu: '0.5' }), container({ cpu: '400m' })), false);
  assert.equal(isSubset({ spec: { hard: { 'requests.storage': '1.5Gi' } } }, { spec: { hard: { 'requests.storage': '1536Mi' } } }), true, 'ResourceQuota');
  assert.equal(isSubset({ volumes: [{ emptyDir: { sizeLimit: '1e3' } }] }, { volumes: [{ emptyDir: { sizeLimit: '1k' } }] }), true, 'sizeLimit');
  // Elsewhere a string is a string: "1k" and "1000" differ in an annotation.
  assert.equal(isSubset({ metadata: { annotations: { n: '1000' } } }, { metadata: { annotations: { n: '1k' } } }), false);
  assert.equal(isSubset(container({ cpu: 'lots' }), container({ cpu: 'many' })), false);
});

test('quantityValue reads Kubernetes quantities', () => {
  assert.equal(quantityValue('500m'), 0.5);
  assert.equal(quantityValue('0.5Gi'), 2 ** 29);
  assert.equal(quantityValue('1e3'), 1000);
  assert.equal(quantityValue('1E-3'), 0.001);
  assert.equal(quantityValue('2Ki'), 2048);
  assert.equal(quantityValue('-1.5'), -1.5);
  assert.equal(quantityValue('12Mb'), undefined);
  assert.equal(quantityValue(''), undefined);
  assert.equal(quantityValue('1..5'), undefined);
});

