// The reporter on in-memory caches and host: which Rollouts a deployed commit brought (the sync's
// changes), one comment per Rollout on that commit's pull request edited in place as the Rollout
// moves, the commit status following the phase, no write when nothing changed, and after a
// restart only Rollouts whose comment is found again are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import pino from 'pino';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { CacheEvent, ObjectCache } from '../../src/ports/object-cache.ts';
import type { RepoStatus, SyncReport } from '../../src/ports/repo-sync.ts';
import type { Rollout } from '../../src/engine/types.ts';
import { createRolloutReporter, changedRollouts, pickPullRequest } from '../../src/githost/rollout-reporter.ts';
import { createCommentUpserter } from '../../src/githost/comment-upserter.ts';
import type { HostedRepo } from '../../src/githost/hosted-repo.ts';
import { HostApiError } from '../../src/githost/host-client.ts';
import { memoryGitHost } from '../helpers/memory-git-host.ts';
import { waitFor } from '../helpers/wait-for.ts';

function memoryCache(): ObjectCache<KubeObject> & { put(o: KubeObject): void } {
  const items = new Map<string, KubeObject>();
  const handlers: Record<CacheEvent, Array<(o: KubeObject) => void>> = { add: [], update: [], delete: [], resync: [] };
  const key = (name: string, ns?: string) => `${ns ?? ''}/${name}`;
  return {
    name: 'memory',
    synced: true,
    on: (event, h) => void handlers[event].push(h),
    get: (name, ns) => items.get(key(name, ns)),
    list: (ns) => [...items.values()].filter((o) => ns === undefined || o.metadata?.namespace === ns),
    put(o) {
      const k = key(o.metadata?.name ?? '', o.metadata?.namespace);
      const event = items.has(k) ? 'update' : 'add';
      items.set(k, structuredClone(o));
      for (const h of handlers[event]) h(o);
    },
  };
}

const fixture = parse(readFileSync(new URL('../fixtures/rollout-view/canary-paused.yaml', import.meta.url), 'utf8')) as { rollout: Rollout };
const C0 = '0'.repeat(40);
const C1 = '1'.repeat(40);
const log = pino({ level: 'silent' });

function rolloutAt(step: number, opts: { paused?: boolean; healthy?: boolean; generation?: number; observed?: number } = {}): KubeObject {
  const ro = structuredClone(fixture.rollout) as Rollout;
  ro.metadata.labels = { 'sluice.dev/repo': 'shop' };
  ro.metadata.generation = opts.generation ?? 3;
  ro.status = {
    ...ro.status,
    observedGeneration: String(opts.observed ?? ro.metadata.generation),
    currentStepIndex: step,
    pauseConditions: opts.paused ? [{ reason: 'CanaryPauseStep', startTime: '2026-01-01T00:00:00Z' }] : [],
    controllerPause: opts.paused === true,
    ...(opts.healthy ? { stableRS: ro.status?.currentPodHash ?? '', currentStepIndex: 4, replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 } : {}),
  };
  return ro as unknown as KubeObject;
}

function report(commit: string, objects: string[]): SyncReport {
  return {
    trigger: 'poll', startedAt: '', finishedAt: '', durationMs: 1, result: 'succeeded', commit,
    objects: { created: 0, changed: objects.length, unchanged: 0, pruned: 0, failed: 0 }, driftRepaired: [], errors: [],
    changes: objects.map((object) => ({ outcome: 'changed' as const, object })),
  };
}

function setup(logger = log) {
  const host = memoryGitHost();
  const repo: HostedRepo = { name: 'shop', client: host.client, upserter: createCommentUpserter(host.client), approvers: [], pullRequests: true };
  const rollouts = memoryCache();
  const status: RepoStatus = { name: 'shop', url: 'https://git.example/acme/deploy.git', ref: 'branch main', syncing: false, source: { state: 'available' }, lastAppliedCommit: C0 };
  /** What the API server holds, when it differs from the cache (which lags). */
  const apiServer = new Map<string, KubeObject>();
  const start = () => {
    const reporter = createRolloutReporter({
      repos: [repo],
      repoStatus: () => structuredClone(status),
      rollouts,
      replicaSets: memoryCache(),
      analysisRuns: memoryCache(),
      async readRollout(ns, name) {
        return (apiServer.get(`${ns}/${name}`) ?? rollouts.get(name, ns)) as unknown as Rollout | undefined;
      },
      log: logger,
      debounceMs: 5,
      pollMs: 5,
      retryMs: 50,
    });
    reporter.start();
    return reporter;
  };
  return { host, repo, rollouts, status, apiServer, start };
}

test('a deployed commit\'s Rollout gets one comment on its pull request, edited through every step, and a commit status', async (t) => {
  const { host, rollouts, status, start } = setup();
  host.pulls.push({ number: 7, state: 'merged', headSha: 'f'.repeat(40), headRef: 'feature', baseRef: 'main', mergeCommitSha: C1 });
  rollouts.put(rolloutAt(4, { healthy: true }));
  const reporter = start();
  t.after(() => reporter.stop());
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(host.comments.length, 0, 'after a restart nothing is written for a Rollout whose comment does not exist');
  assert.equal(host.statuses.length, 0);

  rollouts.put(rolloutAt(0, { generation: 4 }));
  status.lastAppliedCommit = C1;
  status.lastSync = report(C1, ['Rollout shop/web', 'ConfigMap shop/flags']);
  await waitFor('the comment', () => host.comments.length === 1, 2000, 5);
  const comment = host.comments[0];
  assert.equal(comment?.pr, 7);
  assert.match(comment?.body ?? '', /^<!-- sluice:rollout shop\/web -->\n### 🔄 Rollout `shop\/web` is Progressing at step 1 of 4/);
  await waitFor('the pending status', () => host.statuses.length === 1, 2000, 5);
  assert.deepEqual(host.statuses[0], { sha: C1, context: 'sluice/shop/web', state: 'pending', description: 'Progressing at step 1/4, canary 25%' });

  rollouts.put(rolloutAt(1, { paused: true, generation: 4 }));
  await waitFor('the edit for the pause', () => /is Paused at step 2 of 4/.test(comment?.body ?? ''), 2000, 5);
  rollouts.put(rolloutAt(4, { healthy: true, generation: 4 }));
  await waitFor('the edit for Healthy', () => /is Healthy/.test(comment?.body ?? ''), 2000, 5);
  await waitFor('the success status', () => host.statuses.at(-1)?.state === 'success', 2000, 5);
  assert.equal(host.comments.length, 1, 'one comment, edited in place');
  assert.deepEqual(host.statuses.map((s) => s.state), ['pending', 'pending', 'success']);
  assert.ok(comment && comment.history.length >= 3 && comment.history.length <= 4, `${comment?.history.length} versions`);

  // The same state again (a resync) writes nothing.
  const calls = host.calls.length;
  rollouts.put(rolloutAt(4, { healthy: true, generation: 4 }));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(host.calls.slice(calls), []);
  assert.deepEqual((await reporter.rolloutsOf(['shop'], 7)).map((r) => `${r.namespace}/${r.name}@${r.commit.slice(0, 1)}`), ['shop/web@1']);
  assert.deepEqual(await reporter.rolloutsOf(['shop'], 8), []);
});

test('the cache must show what the sync applied before anything is rendered', async (t) => {
  const { host, rollouts, status, apiServer, start } = setup();
  host.pulls.push({ number: 7, state: 'open', headSha: C1, headRef: 'feature', baseRef: 'main' });
  rollouts.put(rolloutAt(4, { healthy: true, generation: 3 }));
  const reporter = start();
  t.after(() => reporter.stop());
  // The sync applied generation 4 (the API server has it); the cache still shows 3, Healthy.
  apiServer.set('shop/web', rolloutAt(0, { generation: 4 }));
  status.lastAppliedCommit = C1;
  status.lastSync = report(C1, ['Rollout shop/web']);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(host.comments.length, 0);
  assert.equal(host.statuses.length, 0, 'no success from the stale cache');
  // The cache has the new spec, the controller has not observed it yet: its status is the old one.
  rollouts.put(rolloutAt(4, { healthy: true, generation: 4, observed: 3 }));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(host.comments.length, 0);
  rollouts.put(rolloutAt(0, { generation: 4 }));
  await waitFor('the comment', () => host.comments.length === 1, 2000, 5);
  assert.match(host.comments[0]?.body ?? '', /is Progressing at step 1 of 4/);
  await waitFor('the status', () => host.statuses.length === 1, 2000, 5);
  assert.equal(host.statuses[0]?.state, 'pending');
});

test('after a restart a Rollout whose comment is found is reported again; a host error is retried', async (t) => {
  const { host, rollouts, start } = setup();
  host.pulls.push({ number: 9, state: 'merged', headSha: 'e'.repeat(40), headRef: 'f', baseRef: 'main', mergeCommitSha: C0 });
  const existing = host.addComment(9, 'sluice-bot', '<!-- sluice:rollout shop/web -->\nold');
  rollouts.put(rolloutAt(1, { paused: true }));
  host.failWith('updateComment', new HostApiError(502, 'Bad Gateway'));
  const reporter = start();
  t.after(() => reporter.stop());
  await waitFor('a first attempt', () => host.calls.includes('updateComment'), 2000, 5);
  assert.equal(existing.body, '<!-- sluice:rollout shop/web -->\nold');
  host.failWith('updateComment', undefined);
  await waitFor('the retry', () => /is Paused at step 2 of 4/.test(existing.body), 2000, 5);
  await waitFor('the status', () => host.statuses.length === 1, 2000, 5);
  assert.equal(host.comments.length, 1);
  assert.deepEqual((await reporter.rolloutsOf(['shop'], 9)).map((r) => r.name), ['web']);
});

test('a token without the right to set statuses: an error log line naming the cause, retried, nothing thrown', async (t) => {
  const lines: Array<{ level: number; msg: string; err?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const { host, rollouts, status, start } = setup(logger);
  host.pulls.push({ number: 7, state: 'merged', headSha: 'f'.repeat(40), headRef: 'feature', baseRef: 'main', mergeCommitSha: C1 });
  host.failWith('setCommitStatus', new HostApiError(403, 'POST /repos/acme/deploy/statuses/111: HTTP 403 Resource not accessible by personal access token'));
  rollouts.put(rolloutAt(1, { paused: true }));
  const reporter = start();
  t.after(() => reporter.stop());
  status.lastAppliedCommit = C1;
  status.lastSync = report(C1, ['Rollout shop/web']);
  await waitFor('the error line', () => lines.some((l) => l.level === 50 && /could not set the commit status: the API token lacks the rights/.test(l.msg)), 2000, 5);
  assert.equal(host.comments.length, 1, 'the comment is written all the same');
  host.failWith('setCommitStatus', undefined);
  await waitFor('the retried status', () => host.statuses.length === 1, 2000, 5);
  assert.match(lines.find((l) => l.level === 50)?.err ?? '', /HTTP 403/);
});

test('which Rollouts a sync report deployed, and which pull request a commit came from', () => {
  assert.deepEqual(changedRollouts(report(C1, ['Rollout shop/web', 'Deployment shop/web', 'Rollout other/api']), C1), [{ namespace: 'shop', name: 'web' }, { namespace: 'other', name: 'api' }]);
  assert.deepEqual(changedRollouts(report(C0, ['Rollout shop/web']), C1), [], 'a report of another commit says nothing');
  const merged = { number: 1, state: 'merged' as const, headSha: 'a', headRef: 'a', baseRef: 'main', mergeCommitSha: C1 };
  const open = { number: 2, state: 'open' as const, headSha: C1, headRef: 'b', baseRef: 'main' };
  assert.equal(pickPullRequest([open, merged], C1)?.number, 1);
  assert.equal(pickPullRequest([open], C1)?.number, 2);
  assert.equal(pickPullRequest([], C1), undefined);
});
