import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSubset, objectDiff, withoutServerFields } from '../../src/sync/object-diff.ts';

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
