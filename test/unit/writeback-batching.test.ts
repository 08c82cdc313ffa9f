// The write-back's batching and retry logic on a fake clock, with a scripted status branch in place
// of Git (the Git side is tested against a real server in writeback-status-branch.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createBatchTimer, type Timers } from '../../src/writeback/batch-timer.ts';
import { createStatusWriter, type WritebackMetrics } from '../../src/writeback/status-writer.ts';
import type { CommitOutcome, FileChanges, StatusBranch } from '../../src/writeback/status-branch.ts';

/** A clock that only moves when told; due timers run in time order. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const tasks = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers & { advance(ms: number): Promise<void>; readonly time: number } = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      tasks.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(h) {
      tasks.delete(h as number);
    },
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = [...tasks.entries()].filter(([, t]) => t.at <= until).sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
        if (!next) break;
        tasks.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        // Let the flush the timer started run to completion (the fake branch answers at once).
        for (let i = 0; i < 20; i++) await Promise.resolve();
      }
      now = until;
    },
    get time() {
      return now;
    },
  };
  return timers;
}

/** A status branch that records each commit attempt and answers from a script (default: pushed). */
function scriptedBranch(script: Array<CommitOutcome['kind'] | 'error'> = []) {
  const calls: Array<{ at: number; files: Map<string, string | null> }> = [];
  let clock: () => number = () => 0;
  const branch: StatusBranch & { calls: typeof calls; useClock(c: () => number): void } = {
    calls,
    useClock(c) {
      clock = c;
    },
    async commitFiles(files: FileChanges) {
      calls.push({ at: clock(), files: new Map(files) });
      const kind = script.shift() ?? 'pushed';
      if (kind === 'error') throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      if (kind === 'rejected') return { kind, reason: 'not-fast-forward' };
      if (kind === 'unchanged') return { kind };
      return { kind, commit: `c${calls.length}`, changed: [...files.keys()], created: false };
    },
  };
  return branch;
}

function recordingMetrics() {
  const seen: string[] = [];
  const metrics: WritebackMetrics = {
    commit: (repo, result) => seen.push(`commit ${repo} ${result}`),
    pushAttempt: (repo, result) => seen.push(`attempt ${repo} ${result}`),
    pending: () => {},
  };
  return { seen, metrics };
}

const log = pino({ level: 'silent' });

function setup(opts: { script?: Array<CommitOutcome['kind'] | 'error'>; windowMs?: number; maxPushAttempts?: number } = {}) {
  const timers = fakeTimers();
  const branch = scriptedBranch(opts.script);
  branch.useClock(() => timers.time);
  const { seen, metrics } = recordingMetrics();
  const writer = createStatusWriter({ repo: 'apps', branch, batchWindowMs: opts.windowMs ?? 2000, maxPushAttempts: opts.maxPushAttempts ?? 5, log, metrics, timers, retryDelayMs: 1000, maxRetryDelayMs: 8000 });
  return { timers, branch, writer, seen };
}

test('the batch timer: each change pushes the commit back a window, the first change caps it at maxWait', async () => {
  const timers = fakeTimers();
  const fired: number[] = [];
  const t = createBatchTimer({ windowMs: 100, maxWaitMs: 400, timers, onFire: () => fired.push(timers.time) });
  t.touch();
  await timers.advance(50);
  t.touch();
  await timers.advance(99);
  assert.deepEqual(fired, [], 'still within a window of the last change');
  await timers.advance(1);
  assert.deepEqual(fired, [150]);
  // A steady stream every 60 ms never leaves a quiet window: the ceiling fires it 400 ms after the first.
  for (let i = 0; i < 10; i++) {
    t.touch();
    await timers.advance(60);
  }
  assert.deepEqual(fired, [150, 550]);
  // fireIn only ever brings the timer forward: the batch begun at 570 is still due at 790.
  t.fireIn(1000);
  await timers.advance(40);
  assert.deepEqual(fired, [150, 550, 790]);
  t.fireIn(30);
  t.cancel();
  await timers.advance(1000);
  assert.equal(t.armed, false);
  assert.deepEqual(fired, [150, 550, 790]);
});

test('20 changes inside the window become one commit; nothing is committed before the window ends', async () => {
  const { timers, branch, writer, seen } = setup();
  for (let i = 0; i < 20; i++) {
    writer.set(`status/ns/web-${i}.yaml`, `phase: Paused ${i}\n`);
    await timers.advance(10);
  }
  await timers.advance(1989);
  assert.equal(branch.calls.length, 0);
  await timers.advance(1);
  assert.equal(branch.calls.length, 1);
  assert.equal(branch.calls[0]?.at, 2190, 'a window after the last change');
  assert.equal(branch.calls[0]?.files.size, 20);
  assert.equal(branch.calls[0]?.files.get('status/ns/web-7.yaml'), 'phase: Paused 7\n');
  assert.deepEqual(writer.pending, []);
  await timers.advance(60_000);
  assert.equal(branch.calls.length, 1, 'no commit without changes');
  assert.deepEqual(seen, ['attempt apps accepted', 'commit apps pushed']);
});

test('a later change to the same file in the batch replaces the earlier one; content functions are read at commit time', async () => {
  const { timers, branch, writer } = setup();
  let phase = 'Progressing';
  writer.set('status/ns/a.yaml', 'old\n');
  writer.set('status/ns/a.yaml', 'new\n');
  writer.set('status/ns/b.yaml', () => `phase: ${phase}\n`);
  writer.set('status/ns/gone.yaml', null);
  phase = 'Paused';
  await timers.advance(2000);
  assert.deepEqual([...(branch.calls[0]?.files ?? [])], [['status/ns/a.yaml', 'new\n'], ['status/ns/b.yaml', 'phase: Paused\n'], ['status/ns/gone.yaml', null]]);
});

test('rejected pushes are re-applied on the moved branch within the same batch, up to maxPushAttempts', async () => {
  const { timers, branch, writer, seen } = setup({ script: ['rejected', 'rejected', 'pushed'], maxPushAttempts: 3 });
  writer.set('status/ns/a.yaml', 'a\n');
  await timers.advance(2000);
  assert.equal(branch.calls.length, 3);
  assert.ok(branch.calls.every((c) => c.at === 2000), 'retried at once, not after a delay');
  assert.deepEqual(seen, ['attempt apps rejected', 'attempt apps rejected', 'attempt apps accepted', 'commit apps pushed']);
  assert.deepEqual(writer.pending, []);
});

test('giving up keeps the files pending (newer content wins) and retries them after a backoff', async () => {
  const { timers, branch, writer, seen } = setup({ script: ['rejected', 'rejected', 'error', 'pushed'], maxPushAttempts: 2 });
  writer.set('status/ns/a.yaml', 'a1\n');
  writer.set('status/ns/b.yaml', 'b1\n');
  await timers.advance(2000);
  assert.equal(branch.calls.length, 2);
  assert.deepEqual(seen, ['attempt apps rejected', 'attempt apps rejected', 'commit apps failed']);
  assert.deepEqual(writer.pending.sort(), ['status/ns/a.yaml', 'status/ns/b.yaml']);

  // During the backoff (1 s) a change waits for the scheduled retry instead of starting its own window.
  writer.set('status/ns/a.yaml', 'a2\n');
  await timers.advance(999);
  assert.equal(branch.calls.length, 2);
  await timers.advance(1);
  assert.equal(branch.calls.length, 3, 'the retry');
  assert.equal(branch.calls[2]?.at, 3000);
  assert.deepEqual(seen.slice(3), ['attempt apps error', 'commit apps failed'], 'a network error ends the batch at once');
  // The second failure doubles the delay.
  await timers.advance(1999);
  assert.equal(branch.calls.length, 3);
  await timers.advance(1);
  assert.equal(branch.calls.length, 4);
  assert.deepEqual([...(branch.calls[3]?.files ?? [])].sort(), [['status/ns/a.yaml', 'a2\n'], ['status/ns/b.yaml', 'b1\n']]);
  assert.deepEqual(writer.pending, []);
  assert.equal(seen.at(-1), 'commit apps pushed');
});

test('changes made while a commit is in flight go into the next commit', async () => {
  const timers = fakeTimers();
  let release: () => void = () => {};
  const calls: Array<string[]> = [];
  const branch: StatusBranch = {
    async commitFiles(files) {
      calls.push([...files.keys()]);
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
      return { kind: 'pushed', commit: `c${calls.length}`, changed: [...files.keys()], created: false };
    },
  };
  const writer = createStatusWriter({ repo: 'apps', branch, batchWindowMs: 100, maxPushAttempts: 5, log, timers });
  writer.set('x.yaml', '1');
  await timers.advance(100);
  assert.deepEqual(calls, [['x.yaml']]);
  writer.set('y.yaml', '1');
  await timers.advance(100);
  assert.equal(calls.length, 1, 'one commit at a time');
  release();
  await writer.flush();
  assert.deepEqual(calls, [['x.yaml'], ['y.yaml']]);
});

test('stop commits what is pending without waiting for the window, and ignores later changes', async () => {
  const { branch, writer } = setup();
  writer.set('status/ns/a.yaml', 'a\n');
  await writer.stop();
  assert.equal(branch.calls.length, 1);
  writer.set('status/ns/b.yaml', 'b\n');
  assert.deepEqual(writer.pending, []);
});
