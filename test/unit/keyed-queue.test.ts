import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedQueue } from '../../src/rollouts/keyed-queue.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

test('one run per key at a time; a key added while queued is not queued twice', async () => {
  const runs: string[] = [];
  let release: () => void = () => {};
  // One worker: while 'a' runs, 'b' waits in the queue, so adding it again must not queue it twice.
  const q = new KeyedQueue({ workers: 1, process: async (k) => { runs.push(k); if (k === 'a' && runs.length === 1) await new Promise<void>((r) => (release = r)); } });
  q.add('a');
  q.add('b');
  q.add('b');
  q.add('b');
  await tick();
  assert.deepEqual(runs, ['a']);
  // 'a' is running: adding it marks it dirty; it runs exactly once more after the current run.
  q.add('a');
  q.add('a');
  await tick();
  assert.deepEqual(runs, ['a']);
  release();
  await q.whenIdle();
  // 'a' keeps its ticket (it was first added before 'b'), so its follow-up run goes first.
  assert.deepEqual(runs, ['a', 'a', 'b']);
});

test('workers bound the keys processed at once', async () => {
  let running = 0;
  let max = 0;
  const q = new KeyedQueue({ workers: 2, process: async () => { running++; max = Math.max(max, running); await tick(10); running--; } });
  for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
  await q.whenIdle();
  assert.equal(max, 2);
});

test('failures retry with exponential backoff per key, reset by a success', async () => {
  const at: number[] = [];
  let failuresLeft = 3;
  const errors: number[] = [];
  const q = new KeyedQueue({ workers: 1, baseBackoffMs: 20, process: async () => { at.push(Date.now()); if (failuresLeft-- > 0) throw new Error('boom'); }, onError: (_k, _e, wait) => errors.push(wait) });
  q.add('a');
  await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(errors, [20, 40, 80]);
  assert.equal(at.length, 4, 'three failures, then success');
  assert.ok((at[3] as number) - (at[2] as number) >= 75, 'third retry waited ~80 ms');
  await q.stop();
});

test('addAfter keeps the earliest wake-up per key, and stop() cancels timers', async () => {
  const runs: number[] = [];
  const start = Date.now();
  const q = new KeyedQueue({ workers: 1, process: async () => void runs.push(Date.now() - start) });
  q.addAfter('a', 200);
  q.addAfter('a', 30);
  q.addAfter('a', 500);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(runs.length, 1);
  assert.ok((runs[0] as number) >= 25 && (runs[0] as number) < 110, `ran at ${runs[0]} ms`);
  q.addAfter('b', 50);
  await q.stop();
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(runs.length, 1, 'no run after stop');
  q.add('c');
  await tick();
  assert.equal(runs.length, 1, 'no intake after stop');
});

test('a key whose addAfter time came runs before keys added by events, once', async () => {
  const runs: string[] = [];
  let release: () => void = () => {};
  // One worker held by 'busy' while events queue a, b, c and the timer of 'b' fires.
  const q = new KeyedQueue({ workers: 1, process: async (k) => { runs.push(k); if (k === 'busy') await new Promise<void>((r) => (release = r)); } });
  q.add('busy');
  q.add('a');
  q.add('b');
  q.add('c');
  q.addAfter('t', 10);
  q.addAfter('b', 10);
  await tick(40);
  assert.deepEqual(runs, ['busy']);
  release();
  await q.whenIdle();
  // The due keys first, in the order their timers fired; 'b' runs once, not again from its event slot.
  assert.deepEqual(runs, ['busy', 't', 'b', 'a', 'c']);
  assert.equal(q.length, 0);
});

test('a failed key retries behind event-driven keys, not ahead of them', async () => {
  const runs: string[] = [];
  let failOnce = true;
  let release: () => void = () => {};
  const q = new KeyedQueue({
    workers: 1,
    baseBackoffMs: 10,
    process: async (k) => {
      runs.push(k);
      if (k === 'x' && failOnce) {
        failOnce = false;
        throw new Error('boom');
      }
      if (k === 'busy') await new Promise<void>((r) => (release = r));
    },
  });
  q.add('x');
  await tick();
  q.add('busy');
  q.add('a');
  await tick(40); // x's retry timer fires while 'busy' holds the worker
  release();
  await q.whenIdle();
  assert.deepEqual(runs, ['x', 'busy', 'a', 'x']);
});

test('dueWorkers: a key whose time came starts at once while every worker is busy with event-driven keys', async () => {
  const runs: string[] = [];
  const releases: Array<() => void> = [];
  const q = new KeyedQueue({
    workers: 2,
    dueWorkers: 1,
    process: async (k) => {
      runs.push(k);
      if (k.startsWith('busy')) await new Promise<void>((r) => releases.push(r));
    },
  });
  q.add('busy1');
  q.add('busy2');
  q.add('a');
  q.addAfter('t', 5);
  q.addAfter('u', 5);
  await tick(40);
  // 't' took the one extra worker; 'u' waits for it (not for the event workers), and 'a' still waits.
  assert.deepEqual(runs, ['busy1', 'busy2', 't', 'u']);
  for (const r of releases) r();
  await q.whenIdle();
  assert.deepEqual(runs, ['busy1', 'busy2', 't', 'u', 'a']);
});

test('dueWorkers are never used by event-driven keys', async () => {
  let running = 0;
  let max = 0;
  const q = new KeyedQueue({ workers: 2, dueWorkers: 5, process: async () => { running++; max = Math.max(max, running); await tick(10); running--; } });
  for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) q.add(k);
  await q.whenIdle();
  assert.equal(max, 2);
});

test('onStart reports the wait and the lane; a wake-up is timed from its due time', async () => {
  const starts: Array<{ key: string; waited: number; lane: string }> = [];
  let release: () => void = () => {};
  const q = new KeyedQueue({
    workers: 1,
    process: async (k) => {
      if (k === 'busy') await new Promise<void>((r) => (release = r));
    },
    onStart: (key, waited, lane) => starts.push({ key, waited, lane }),
  });
  q.add('busy');
  q.add('e');
  q.addAfter('t', 20);
  await tick(70);
  release();
  await q.whenIdle();
  assert.deepEqual(starts.map((s) => `${s.key}:${s.lane}`), ['busy:event', 't:due', 'e:event']);
  const t = starts.find((s) => s.key === 't');
  const e = starts.find((s) => s.key === 'e');
  assert.ok(t && t.waited >= 40 && t.waited < 200, `t waited ${t?.waited} ms after its time came`);
  assert.ok(e && e.waited >= (t?.waited ?? 0), `e waited ${e?.waited} ms since it was added`);
});

test('tickets: a key that began its work earlier goes before keys that arrived after it, until it goes quiet', async () => {
  const runs: string[] = [];
  let gate: () => void = () => {};
  const q = new KeyedQueue({
    workers: 1,
    ticketIdleMs: 100,
    process: async (k) => {
      runs.push(k);
      if (k === 'hold') await new Promise<void>((r) => (gate = r));
    },
  });
  // One worker busy, so the others queue up: 'a' arrives first, then 'b' and 'c'.
  q.add('hold');
  q.add('a');
  q.add('b');
  q.add('c');
  gate();
  await tick(20);
  assert.deepEqual(runs, ['hold', 'a', 'b', 'c']);
  // 'a' gets another event after 'b' and 'c' did: under plain FIFO it would run last; with its
  // ticket (its work began first) it runs first.
  runs.length = 0;
  q.add('hold');
  await tick(5);
  q.add('c');
  q.add('b');
  q.add('a');
  gate();
  await tick(20);
  assert.deepEqual(runs, ['hold', 'a', 'b', 'c']);
  // Quiet for longer than ticketIdleMs: tickets start afresh, in the new order of arrival.
  await tick(150);
  runs.length = 0;
  q.add('hold');
  await tick(5);
  q.add('c');
  q.add('a');
  gate();
  await tick(20);
  assert.deepEqual(runs, ['hold', 'c', 'a']);
  await q.whenIdle();
});

test('tickets: a key kept busy for longer than ticketMaxAgeMs goes behind the others', async () => {
  const runs: string[] = [];
  let gate: () => void = () => {};
  const q = new KeyedQueue({
    workers: 1,
    ticketMaxAgeMs: 60,
    process: async (k) => {
      runs.push(k);
      if (k === 'hold') await new Promise<void>((r) => (gate = r));
    },
  });
  // 'hot' is added again and again from t=0; 'other' first arrives at about t=40, so by arrival
  // 'hot' goes first, until at t>60 it has held its ticket too long and takes a fresh one.
  const start = Date.now();
  q.add('hot');
  while (Date.now() - start < 40) {
    await tick(5);
    q.add('hot');
  }
  q.add('other');
  while (Date.now() - start < 80) {
    await tick(5);
    q.add('hot');
  }
  await q.whenIdle();
  runs.length = 0;
  q.add('hold');
  await tick(5);
  q.add('other');
  q.add('hot');
  gate();
  await tick(20);
  assert.deepEqual(runs, ['hold', 'other', 'hot'], 'hot held its ticket for over 60 ms: a fresh one, behind other');
  await q.whenIdle();
});
