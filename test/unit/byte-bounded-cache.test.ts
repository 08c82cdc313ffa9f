// The delta-base cache of the pack indexer and reader: bounded in bytes, oldest out first,
// entries over the per-entry limit never kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteBoundedCache } from '../../src/git/byte-bounded-cache.ts';

const obj = (n: number) => ({ data: new Uint8Array(n) });

test('keeps entries up to the byte budget, dropping the oldest first', () => {
  const cache = new ByteBoundedCache<string, { data: Uint8Array }>(10, 6);
  cache.set('a', obj(4));
  cache.set('b', obj(4));
  assert.ok(cache.get('a') && cache.get('b'));
  cache.set('c', obj(4)); // 12 bytes: 'a' goes
  assert.equal(cache.get('a'), undefined);
  assert.ok(cache.get('b') && cache.get('c'));
  cache.set('big', obj(7)); // over the per-entry limit: not kept, nothing evicted
  assert.equal(cache.get('big'), undefined);
  assert.ok(cache.get('b') && cache.get('c'));
});
