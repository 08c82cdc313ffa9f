// The event lane's heap: pops in order of the comparison, whatever the push order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MinHeap } from '../../src/rollouts/min-heap.ts';

test('pops the smallest first, for any push order, and clears', () => {
  const heap = new MinHeap<number>((a, b) => a < b);
  const values = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
  for (const v of values) heap.push(v);
  assert.equal(heap.length, 200);
  const out: number[] = [];
  while (heap.length) out.push(heap.pop()!);
  assert.deepEqual(out, [...values].sort((a, b) => a - b));
  assert.equal(heap.pop(), undefined);
  heap.push(3);
  heap.clear();
  assert.equal(heap.length, 0);
});
