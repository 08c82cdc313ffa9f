// The stale-cache guard of the AnalysisRun controller: what it serves while the watch cache lags
// behind our own status write, and when it lets go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOwnWrites } from '../../../src/analysis/own-writes.ts';
import type { KubeObject } from '../../../src/ports/cluster.ts';

const version = (rv: string, note = ''): KubeObject => ({ metadata: { name: 'r', resourceVersion: rv, annotations: { note } } });

test('until the cache reaches our write, the written object is served instead of older versions', () => {
  const own = createOwnWrites();
  const read = version('100');
  const written = version('105', 'ours');
  own.wrote('ns/r', read, written);
  assert.equal(own.current('ns/r', read), written, 'the version we read from');
  assert.equal(own.current('ns/r', version('103', 'someone else, before our write')), written);
  const caughtUp = version('105', 'ours, from the watch');
  assert.equal(own.current('ns/r', caughtUp), caughtUp);
  // Once caught up, the guard is gone: an older version (a re-list) is no longer replaced.
  const older = version('100');
  assert.equal(own.current('ns/r', older), older);
});

test('a newer version written by someone else (terminate: true) is taken at once', () => {
  const own = createOwnWrites();
  own.wrote('ns/r', version('7'), version('8'));
  const theirs = version('9', 'terminate');
  assert.equal(own.current('ns/r', theirs), theirs);
});

test('opaque resource versions: only the version the reconcile read from counts as stale', () => {
  const own = createOwnWrites();
  const written = version('b-2');
  own.wrote('ns/r', version('a-1'), written);
  assert.equal(own.current('ns/r', version('a-1')), written);
  const other = version('c-3');
  assert.equal(own.current('ns/r', other), other);
});

test('forget drops the guard (the run was deleted)', () => {
  const own = createOwnWrites();
  own.wrote('ns/r', version('1'), version('2'));
  own.forget('ns/r');
  const cached = version('1');
  assert.equal(own.current('ns/r', cached), cached);
  assert.equal(own.current('ns/other', cached), cached, 'keys are independent');
});

test('the watch echo of our own write is recognised, and nothing else is', () => {
  const own = createOwnWrites();
  assert.equal(own.isEcho('ns/r', version('8')), false, 'nothing written yet');
  own.wrote('ns/r', version('7'), version('8'));
  assert.equal(own.isEcho('ns/r', version('8', 'from the watch')), true);
  assert.equal(own.isEcho('ns/r', version('9', 'someone else, later')), false);
  assert.equal(own.isEcho('ns/r', version('7')), false);
  assert.equal(own.isEcho('ns/other', version('8')), false);
  assert.equal(own.isEcho('ns/r', { metadata: { name: 'r' } }), false, 'no resourceVersion');
  own.forget('ns/r');
  assert.equal(own.isEcho('ns/r', version('8')), false);
});
