// The Event recorder writes in the background, a few at a time and in order, folds a repeat that is
// still waiting into one write, and drops past its backlog bound (as client-go's broadcaster does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventRecorder } from '../../src/kube/event-recorder.ts';
import type { KubeClient } from '../../src/kube/kube-client.ts';
import type { KubeObject } from '../../src/kube/kube-object.ts';

interface Call {
  verb: 'create' | 'patch';
  body: Record<string, unknown>;
  release: () => void;
}

function fakeClient(): { client: KubeClient; calls: Call[]; inFlight(): number } {
  const calls: Call[] = [];
  let inFlight = 0;
  const call = (verb: Call['verb'], body: unknown) =>
    new Promise<KubeObject>((resolve) => {
      inFlight++;
      calls.push({ verb, body: body as Record<string, unknown>, release: () => (inFlight--, resolve(body as KubeObject)) });
    });
  const client = { create: (obj: unknown) => call('create', obj), patch: (_ref: unknown, body: unknown) => call('patch', body) } as unknown as KubeClient;
  return { client, calls, inFlight: () => inFlight };
}

const about = (name: string): KubeObject => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name, namespace: 'ns', uid: `uid-${name}` } });
const tick = () => new Promise((r) => setTimeout(r, 5));

test('writes at most `writers` at once, in the order recorded; record() resolves once written', async () => {
  const { client, calls, inFlight } = fakeClient();
  const recorder = createEventRecorder({ client, writers: 2 });
  const done: string[] = [];
  const reasons = ['A', 'B', 'C', 'D', 'E'];
  const all = reasons.map((r) => recorder.record(about('web'), { type: 'Normal', reason: r, message: r }).then(() => void done.push(r)));
  await tick();
  assert.equal(inFlight(), 2);
  assert.deepEqual(calls.map((c) => c.body.reason), ['A', 'B']);
  assert.deepEqual(done, []);
  while (calls.some((c) => c.verb === 'create' && inFlight() > 0)) {
    for (const c of calls.splice(0)) c.release();
    await tick();
    assert.ok(inFlight() <= 2);
  }
  await Promise.all(all);
  assert.deepEqual(done, reasons);
});

test('a repeat still waiting to be written is folded into it: one create with count 2', async () => {
  const { client, calls } = fakeClient();
  const recorder = createEventRecorder({ client, writers: 1 });
  const first = recorder.record(about('busy'), { type: 'Normal', reason: 'X', message: 'x' });
  const a = recorder.record(about('web'), { type: 'Normal', reason: 'RolloutPaused', message: 'paused' });
  const b = recorder.record(about('web'), { type: 'Normal', reason: 'RolloutPaused', message: 'paused' });
  await tick();
  for (const c of calls.splice(0)) c.release();
  await tick();
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.verb, 'create');
  assert.equal(calls[0]?.body.count, 2);
  calls[0]?.release();
  await Promise.all([first, a, b]);
  // Once written, a repeat raises the count on the same Event.
  const c = recorder.record(about('web'), { type: 'Normal', reason: 'RolloutPaused', message: 'paused' });
  await tick();
  assert.equal(calls[1]?.verb, 'patch');
  assert.equal(calls[1]?.body.count, 3);
  calls[1]?.release();
  await c;
});

test('a repeat recorded while the first is being written waits for it, then patches the count', async () => {
  const { client, calls } = fakeClient();
  const recorder = createEventRecorder({ client, writers: 4 });
  const a = recorder.record(about('web'), { type: 'Normal', reason: 'R', message: 'm' });
  await tick();
  const b = recorder.record(about('web'), { type: 'Normal', reason: 'R', message: 'm' });
  await tick();
  assert.equal(calls.length, 1, 'the repeat waits for the create');
  calls[0]?.release();
  await a;
  await tick();
  assert.equal(calls[1]?.verb, 'patch');
  assert.equal(calls[1]?.body.count, 2);
  calls[1]?.release();
  await b;
});

test('past maxQueued, new events are dropped (and the rest still written)', async () => {
  const { client, calls } = fakeClient();
  const recorder = createEventRecorder({ client, writers: 1, maxQueued: 2 });
  const all = ['A', 'B', 'C', 'D'].map((r) => recorder.record(about('web'), { type: 'Normal', reason: r, message: r }));
  await tick();
  // A is being written; B and C wait; D did not fit.
  const written: unknown[] = [];
  for (let i = 0; i < 4; i++) {
    for (const c of calls.splice(0)) (written.push(c.body.reason), c.release());
    await tick();
  }
  await Promise.all(all);
  assert.deepEqual(written, ['A', 'B', 'C']);
});

test('a failed write is logged, never thrown, and the next one goes ahead', async () => {
  const warnings: string[] = [];
  const client = { create: async () => { throw new Error('forbidden'); }, patch: async () => ({}) } as unknown as KubeClient;
  const log = { warn: (o: { reason: string }) => warnings.push(o.reason) } as never;
  const recorder = createEventRecorder({ client, log });
  await recorder.record(about('web'), { type: 'Warning', reason: 'A', message: 'a' });
  await recorder.record(about('web'), { type: 'Warning', reason: 'B', message: 'b' });
  assert.deepEqual(warnings, ['A', 'B']);
});
