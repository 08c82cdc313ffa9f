// The canary strategy end to end: a real Sluice process controls Rollouts on the real API server,
// the real ReplicaSet controller makes pods, the node simulator makes them ready (or not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rolloutEnv, canaryRollout, isHealthy, type RolloutEnv } from '../helpers/rollout-env.ts';
import { promote, abort, retry, undo, restart } from '../../src/engine/lifecycle.ts';
import type { Rollout } from '../../src/engine/types.ts';
import { waitFor } from '../helpers/wait-for.ts';

const HASH = 'rollouts-pod-template-hash';
const ref = (env: RolloutEnv) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: env.ns, name: 'web' });

async function setImage(env: RolloutEnv, image: string, podAnnotations?: Record<string, string>) {
  await env.client.patch(ref(env), { spec: { template: { metadata: { annotations: podAnnotations ?? null }, spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } } } });
}

/** What kubectl-argo-rollouts sends, computed by the same lifecycle functions the CLI uses. */
async function operate(env: RolloutEnv, op: (ro: Rollout) => { ok: boolean; patch?: { spec?: unknown; status?: unknown }; error?: string }) {
  const result = op(await env.rollout('web'));
  assert.ok(result.ok, result.error);
  if (result.patch?.spec) await env.client.patch(ref(env), { spec: result.patch.spec });
  if (result.patch?.status) await env.client.patchStatus(ref(env), { status: result.patch.status });
}

async function serviceHashes(env: RolloutEnv) {
  const get = async (name: string) => ((await env.client.get({ apiVersion: 'v1', kind: 'Service', namespace: env.ns, name })) as { spec: { selector: Record<string, string> } }).spec.selector[HASH];
  return { canary: await get('web-canary'), stable: await get('web-stable') };
}

/** Waits until the Rollout's ReplicaSets have these spec.replicas, by pod-template hash. */
async function waitForReplicas(env: RolloutEnv, want: Record<string, number>) {
  let seen: Record<string, number | undefined> = {};
  try {
    await waitFor('replica counts', async () => {
      seen = Object.fromEntries((await env.replicaSets('web')).map((rs) => [rs.metadata.labels?.[HASH] ?? '', rs.spec.replicas]));
      return Object.entries(want).every(([h, n]) => seen[h] === n);
    });
  } catch {
    assert.fail(`replicas by hash: want ${JSON.stringify(want)}, have ${JSON.stringify(seen)}`);
  }
}

const STEPS = [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 60 }, { pause: {} }, { setWeight: 80 }, { pause: { duration: 1 } }];

test('a canary goes through setWeight, timed and indefinite pauses, promote, to Healthy', async (t) => {
  const env = await rolloutEnv(t, 'canary');
  await env.services('web-canary', 'web-stable');
  await env.client.apply(canaryRollout(env.ns, { image: 'example/web:1', steps: STEPS }));
  // First deploy: straight to full scale, no steps.
  const first = await env.waitForRollout('web', 'first deploy Healthy', isHealthy);
  const stable1 = first.status?.stableRS;
  assert.ok(stable1);
  assert.equal(first.status?.currentPodHash, stable1);
  assert.equal(first.status?.availableReplicas, 5);
  assert.deepEqual(await serviceHashes(env), { canary: stable1, stable: stable1 });

  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'paused at the indefinite pause (step 3)', (ro) => ro.status?.currentStepIndex === 3 && ro.status?.phase === 'Paused');
  assert.deepEqual(paused.status?.pauseConditions?.map((p) => p.reason), ['CanaryPauseStep']);
  const canaryHash = paused.status?.currentPodHash;
  assert.notEqual(canaryHash, stable1);
  assert.equal(paused.status?.stableRS, stable1);
  // Basic canary (no traffic routing): Argo writes no status.canary.weights; the weight is the replica ratio.
  assert.equal(paused.status?.canary?.weights, undefined);
  const byHash = Object.fromEntries((await env.replicaSets('web')).map((rs) => [rs.metadata.labels?.[HASH], rs.spec.replicas]));
  assert.deepEqual(byHash, { [stable1 as string]: 2, [canaryHash as string]: 3 }, '60% of 5 replicas on the canary');
  assert.deepEqual(await serviceHashes(env), { canary: canaryHash, stable: stable1 });

  await operate(env, (ro) => promote(ro, {}));
  const done = await env.waitForRollout('web', 'Healthy on the new revision', (ro) => isHealthy(ro) && ro.status?.stableRS === canaryHash);
  assert.equal(done.status?.currentStepIndex, STEPS.length);
  assert.deepEqual(await serviceHashes(env), { canary: canaryHash, stable: canaryHash });
  const rss = await env.replicaSets('web');
  assert.equal(rss.length, 2, 'one ReplicaSet per revision');
  assert.deepEqual(rss.map((rs) => [rs.metadata.annotations?.['rollout.argoproj.io/revision'], rs.spec.replicas]).sort(), [['1', 0], ['2', 5]]);
  const events = await env.client.list<{ reason: string; involvedObject: { name: string } }>({ apiVersion: 'v1', kind: 'Event', namespace: env.ns } as never);
  const reasons = new Set(events.items.filter((e) => e.involvedObject.name === 'web').map((e) => e.reason));
  for (const r of ['RolloutUpdated', 'RolloutPaused', 'RolloutResumed', 'RolloutCompleted']) assert.ok(reasons.has(r), `event ${r} in ${[...reasons].join(', ')}`);
});

test('pods that never get ready: progress deadline, Degraded, abort back to stable', async (t) => {
  const env = await rolloutEnv(t, 'deadline');
  await env.services('web-canary', 'web-stable');
  await env.client.apply(canaryRollout(env.ns, { image: 'example/web:1', steps: [{ setWeight: 40 }, { pause: {} }], extraSpec: { progressDeadlineSeconds: 4, progressDeadlineAbort: true } }));
  const first = await env.waitForRollout('web', 'Healthy', isHealthy);
  await setImage(env, 'example/web:broken', { 'testbed.sluice.dev/behavior': 'never-ready' });
  const degraded = await env.waitForRollout('web', 'Degraded after the progress deadline', (ro) => ro.status?.phase === 'Degraded', 60_000);
  const progressing = degraded.status?.conditions?.find((c) => c.type === 'Progressing');
  assert.match(`${progressing?.reason}`, /ProgressDeadlineExceeded|RolloutAborted/);
  // The deadline's condition is replaced by RolloutAborted on the next reconcile, as in Argo.
  const aborted = await env.waitForRollout('web', 'aborted', (ro) => ro.status?.abort === true && /^RolloutAborted/.test(ro.status?.message ?? ''));
  await waitForReplicas(env, { [first.status?.stableRS as string]: 5, [aborted.status?.currentPodHash as string]: 0 });
  assert.equal(aborted.status?.stableRS, first.status?.stableRS);
  assert.match(aborted.status?.message ?? '', /RolloutAborted: Rollout aborted update to revision 2/);
  // Basic canary: traffic returns through replica counts (canary RS at 0, checked above); the stable
  // Service keeps the stable hash and the canary Service keeps pointing at the empty canary RS, as in Argo.
  assert.equal((await serviceHashes(env)).stable, first.status?.stableRS);
});

test('abort, retry and promote --full', async (t) => {
  const env = await rolloutEnv(t, 'ops');
  await env.services('web-canary', 'web-stable');
  await env.client.apply(canaryRollout(env.ns, { image: 'example/web:1', steps: [{ setWeight: 40 }, { pause: {} }, { setWeight: 80 }, { pause: {} }] }));
  const first = await env.waitForRollout('web', 'Healthy', isHealthy);
  await setImage(env, 'example/web:2');
  await env.waitForRollout('web', 'paused at step 1', (ro) => ro.status?.currentStepIndex === 1 && ro.status?.phase === 'Paused');
  await operate(env, abort);
  const aborted = await env.waitForRollout('web', 'Degraded after abort', (ro) => ro.status?.phase === 'Degraded');
  await waitForReplicas(env, { [first.status?.stableRS as string]: 5, [aborted.status?.currentPodHash as string]: 0 });
  assert.equal(aborted.status?.stableRS, first.status?.stableRS);
  await operate(env, retry);
  await env.waitForRollout('web', 'paused at step 1 again after retry', (ro) => ro.status?.abort !== true && ro.status?.currentStepIndex === 1 && ro.status?.phase === 'Paused');
  await operate(env, (ro) => promote(ro, { full: true }));
  const done = await env.waitForRollout('web', 'Healthy after promote --full', (ro) => isHealthy(ro) && ro.status?.stableRS !== first.status?.stableRS);
  assert.equal(done.status?.currentStepIndex, 4);
});

test('a template change mid-rollout scales the intermediate ReplicaSet down and starts over', async (t) => {
  const env = await rolloutEnv(t, 'midway');
  await env.services('web-canary', 'web-stable');
  await env.client.apply(canaryRollout(env.ns, { image: 'example/web:1', steps: [{ setWeight: 40 }, { pause: {} }] }));
  const first = await env.waitForRollout('web', 'Healthy', isHealthy);
  await setImage(env, 'example/web:2');
  const v2 = await env.waitForRollout('web', 'v2 paused', (ro) => ro.status?.phase === 'Paused' && ro.status?.currentStepIndex === 1);
  await setImage(env, 'example/web:3');
  const v3 = await env.waitForRollout('web', 'v3 paused', (ro) => ro.status?.phase === 'Paused' && ro.status?.currentStepIndex === 1 && ro.status?.currentPodHash !== v2.status?.currentPodHash);
  const byHash = Object.fromEntries((await env.replicaSets('web')).map((rs) => [rs.metadata.labels?.[HASH], rs.spec.replicas]));
  assert.equal(byHash[v2.status?.currentPodHash as string], 0, 'intermediate v2 scaled down');
  assert.equal(byHash[first.status?.stableRS as string], 3, 'stable keeps 60%');
  assert.equal(byHash[v3.status?.currentPodHash as string], 2, 'v3 canary at 40%');
});

test('Sluice killed mid-rollout and restarted converges: no duplicate ReplicaSet, no skipped step', async (t) => {
  const env = await rolloutEnv(t, 'restart');
  await env.services('web-canary', 'web-stable');
  await env.client.apply(canaryRollout(env.ns, { image: 'example/web:1', steps: [{ setWeight: 20 }, { pause: { duration: 3 } }, { setWeight: 60 }, { pause: {} }, { setWeight: 80 }] }));
  await env.waitForRollout('web', 'Healthy', isHealthy);
  await setImage(env, 'example/web:2');
  await env.waitForRollout('web', 'in the timed pause', (ro) => ro.status?.currentStepIndex === 1);
  await env.sluice.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 3500)); // the pause expires while nobody watches
  await env.restartSluice();
  const paused = await env.waitForRollout('web', 'at the indefinite pause after restart', (ro) => ro.status?.currentStepIndex === 3 && ro.status?.phase === 'Paused');
  await waitForReplicas(env, { [paused.status?.stableRS as string]: 2, [paused.status?.currentPodHash as string]: 3 });
  await env.sluice.stop('SIGKILL');
  await env.restartSluice();
  await operate(env, (ro) => promote(ro, {}));
  await env.waitForRollout('web', 'Healthy', (ro) => isHealthy(ro) && ro.status?.stableRS === paused.status?.currentPodHash);
  assert.equal((await env.replicaSets('web')).length, 2);
});

test('undo rolls back to the previous revision; restart replaces every pod', async (t) => {
  const env = await rolloutEnv(t, 'undo');
  await env.services('web-canary', 'web-stable');
  await env.client.apply(canaryRollout(env.ns, { image: 'example/web:1', steps: [{ setWeight: 50 }] }));
  const v1 = await env.waitForRollout('web', 'v1 Healthy', isHealthy);
  await setImage(env, 'example/web:2');
  const v2 = await env.waitForRollout('web', 'v2 Healthy', (ro) => isHealthy(ro) && ro.status?.stableRS !== v1.status?.stableRS);
  // undo: the template of the previous revision comes back; its ReplicaSet is reused, not duplicated.
  const rss = await env.replicaSets('web');
  await operate(env, (ro) => undo(ro, rss));
  const back = await env.waitForRollout('web', 'back on v1', (ro) => isHealthy(ro) && ro.status?.stableRS === v1.status?.stableRS);
  assert.notEqual(back.status?.stableRS, v2.status?.stableRS);
  assert.equal((await env.replicaSets('web')).length, 2);
  assert.match(JSON.stringify((await env.rollout('web')).spec.template?.spec), /example\/web:1"/);

  // restartAt has one-second precision and only pods created before it are replaced (as in Argo):
  // let the pods that undo just brought back be older than that.
  await new Promise((r) => setTimeout(r, 1100));
  const before = new Set((await podsOf(env)).map((p) => p.metadata?.name));
  await operate(env, (ro) => restart(new Date()));
  const restarted = await env.waitForRollout('web', 'restartedAt set', (ro) => ro.status?.restartedAt !== undefined, 90_000);
  assert.ok(restarted.status?.restartedAt);
  try {
    await waitFor('five new pods', async () => {
      const pods = (await podsOf(env)).filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === 5 && pods.every((p) => !before.has(p.metadata?.name));
    }, 60_000);
  } catch (err) {
    const pods = (await podsOf(env)).map((p) => `${p.metadata?.name}${before.has(p.metadata?.name) ? ' (old)' : ''}`);
    throw new Error(`${(err as Error).message}; pods now: ${pods.join(', ')}\n${env.sluice.output().split('\n').filter((l) => /reconciled|evict|warn|error/i.test(l)).slice(-12).join('\n')}`);
  }
});

test('an invalid Rollout gets InvalidSpec naming the field, phase Degraded, and nothing is created', async (t) => {
  const env = await rolloutEnv(t, 'invalid');
  await env.services('web-canary', 'web-stable');
  await env.client.apply(canaryRollout(env.ns, { image: 'example/web:1', steps: [{ setWeight: 20 }, { setWeight: 120 }] }));
  const ro = await env.waitForRollout('web', 'InvalidSpec', (r) => r.status?.conditions?.some((c) => c.type === 'InvalidSpec') === true);
  assert.equal(ro.status?.phase, 'Degraded');
  assert.match(ro.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.message ?? '', /steps\[1\]\.setWeight/);
  assert.equal((await env.replicaSets('web')).length, 0, 'not acted on');
});

async function podsOf(env: RolloutEnv) {
  const list = await env.client.list({ apiVersion: 'v1', kind: 'Pod', namespace: env.ns, labelSelector: 'app=web' });
  return list.items;
}
