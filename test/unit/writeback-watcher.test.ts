// When the watcher asks for a status file: on the Rollout's phase/step/verdict changes (not on every
// event), for the repository in its `sluice.dev/repo` label, when the applied commit moves, and a
// removal when the Rollout goes. Caches are in-memory stand-ins that emit events like the informers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import pino from 'pino';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { CacheEvent, ObjectCache } from '../../src/ports/object-cache.ts';
import type { RepoStatus } from '../../src/ports/repo-sync.ts';
import type { FileContent } from '../../src/writeback/status-writer.ts';
import { createRolloutStatusWatcher } from '../../src/writeback/rollout-status-watcher.ts';
import type { Timers } from '../../src/writeback/batch-timer.ts';

function memoryCache(objects: KubeObject[] = []): ObjectCache & { emit(event: CacheEvent, obj: KubeObject): void; put(obj: KubeObject): void; remove(obj: KubeObject): void } {
  const byKey = new Map(objects.map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o]));
  const handlers: Record<CacheEvent, Array<(o: KubeObject) => void>> = { add: [], update: [], delete: [], resync: [] };
  return {
    name: 'memory',
    synced: true,
    on: (event, h) => void handlers[event].push(h),
    get: (name, namespace) => byKey.get(`${namespace}/${name}`),
    list: (namespace) => [...byKey.values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace),
    emit: (event, obj) => handlers[event].forEach((h) => h(obj)),
    put(obj) {
      const event = byKey.has(`${obj.metadata?.namespace}/${obj.metadata?.name}`) ? 'update' : 'add';
      byKey.set(`${obj.metadata?.namespace}/${obj.metadata?.name}`, obj);
      this.emit(event, obj);
    },
    remove(obj) {
      byKey.delete(`${obj.metadata?.namespace}/${obj.metadata?.name}`);
      this.emit('delete', obj);
    },
  };
}

/** Timers whose only use here is the commit poll: run it by hand. */
function manualTimers() {
  let due: (() => void) | undefined;
  const timers: Timers = { now: () => 0, setTimeout: (fn) => ((due = fn), 1), clearTimeout: () => (due = undefined) };
  return { timers, tick: () => due?.() };
}

const fixture = parse(readFileSync(new URL('../fixtures/rollout-view/canary-analysis.yaml', import.meta.url), 'utf8')) as { rollout: KubeObject; replicaSets: KubeObject[]; analysisRuns: KubeObject[] };

function setup() {
  const rollout = structuredClone(fixture.rollout);
  rollout.metadata!.labels = { 'sluice.dev/repo': 'apps' };
  const other = structuredClone(fixture.rollout);
  other.metadata = { ...other.metadata, name: 'plain', uid: 'plain-uid', labels: { 'sluice.dev/repo': 'no-writeback' } };
  // As the API server has them: namespaced, owned by the Rollout through a full owner reference.
  const owned = (objs: KubeObject[]) =>
    structuredClone(objs).map((o) => ({ ...o, metadata: { ...o.metadata, namespace: 'shop', ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'api', uid: 'api-uid', controller: true }] } }));
  const caches = { rollouts: memoryCache([rollout, other]), replicaSets: memoryCache(owned(fixture.replicaSets)), analysisRuns: memoryCache(owned(fixture.analysisRuns)) };
  const writes: Array<{ path: string; content: FileContent }> = [];
  let commit = 'c1'.padEnd(40, '0');
  const repos = { get: (name: string) => (name === 'apps' ? ({ name, lastAppliedCommit: commit } as RepoStatus) : undefined) };
  const { timers, tick } = manualTimers();
  const watcher = createRolloutStatusWatcher({
    caches,
    repos,
    targets: new Map([['apps', { path: 'status', writer: { set: (path, content) => void writes.push({ path, content }) } }], ['other', { path: 'st', writer: { set: (path, content) => void writes.push({ path: `other:${path}`, content }) } }]]),
    log: pino({ level: 'silent' }),
    now: () => new Date('2025-01-01T01:00:00Z'),
    timers,
  });
  const content = (i: number) => {
    const c = writes[i]?.content;
    return typeof c === 'function' ? c() : c;
  };
  return { rollout, caches, writes, watcher, tick, content, setCommit: (c: string) => (commit = c) };
}

test('start writes every Rollout of a write-back repository; later events only when the trigger changes', () => {
  const { rollout, caches, writes, watcher, content } = setup();
  caches.rollouts.emit('add', rollout);
  assert.equal(writes.length, 0, 'nothing before start (the caches may not be synced)');
  watcher.start();
  assert.deepEqual(writes.map((w) => w.path), ['status/shop/api.yaml'], 'not the Rollout of a repository without write-back');
  const doc = parse(content(0) as string) as { phase: string; deployedCommit: string; step: { index: number } };
  assert.equal(doc.phase, 'Progressing');
  assert.equal(doc.deployedCommit, 'c1'.padEnd(40, '0'));
  assert.equal((doc as unknown as { images: unknown[] }).images.length, 2, 'the ReplicaSets of the Rollout, from the cache');

  // Replica counts and resyncs change nothing that triggers a commit.
  const moreReady = structuredClone(rollout);
  moreReady.status = { ...(moreReady.status as object), availableReplicas: 4 };
  caches.rollouts.put(moreReady);
  caches.rollouts.emit('resync', moreReady);
  assert.equal(writes.length, 1);

  const nextStep = structuredClone(moreReady);
  nextStep.status = { ...(nextStep.status as object), currentStepIndex: 2 };
  caches.rollouts.put(nextStep);
  assert.equal(writes.length, 2);
  assert.equal((parse(content(1) as string) as { step: { index: number } }).step.index, 2, 'rendered from the cache when asked');
});

test('an analysis run reaching its verdict writes its Rollout\'s file, with the verdict', () => {
  const { caches, writes, watcher, content } = setup();
  watcher.start();
  const run = structuredClone(caches.analysisRuns.get('api-5d8f7c6b9a-2-1', 'shop')!);
  run.status = { ...(run.status as object), phase: 'Successful' };
  caches.analysisRuns.put(run);
  assert.deepEqual(writes.map((w) => w.path), ['status/shop/api.yaml', 'status/shop/api.yaml']);
  const doc = parse(content(1) as string) as { analysisRuns: Array<{ name: string; verdict: string }> };
  assert.equal(doc.analysisRuns.find((r) => r.name === 'api-5d8f7c6b9a-2-1')?.verdict, 'Successful');
});

test('a new applied commit rewrites the repository\'s files; a deleted or relabelled Rollout has its file removed', () => {
  const { rollout, caches, writes, watcher, tick, content, setCommit } = setup();
  watcher.start();
  tick();
  assert.equal(writes.length, 1, 'the commit did not move');
  setCommit('c2'.padEnd(40, '0'));
  tick();
  assert.equal(writes.length, 2);
  assert.equal((parse(content(1) as string) as { deployedCommit: string }).deployedCommit, 'c2'.padEnd(40, '0'));

  const moved = structuredClone(rollout);
  moved.metadata!.labels = { 'sluice.dev/repo': 'other' };
  caches.rollouts.put(moved);
  assert.deepEqual(writes.slice(2).map((w) => w.path), ['status/shop/api.yaml', 'other:st/shop/api.yaml']);
  assert.equal(content(2), null, 'gone from the old repository');
  assert.match(content(3) as string, /^repo: other$/m);

  caches.rollouts.remove(moved);
  assert.equal(writes.at(-1)?.path, 'other:st/shop/api.yaml');
  assert.equal(content(writes.length - 1), null);
  watcher.stop();
  caches.rollouts.put(rollout);
  assert.equal(writes.length, 5, 'nothing after stop');
});
