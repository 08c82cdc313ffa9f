// Drives whole rollouts through a simulated cluster (actions applied, pods turn available),
// advancing the clock: the steps, pauses, promotion, template change mid-rollout, abort/retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rollout } from '../../../src/engine/types.ts';
import { promote, abort, retry } from '../../../src/engine/lifecycle.ts';
import { decide } from '../../../src/engine/decide.ts';
import { advance, newSim, runToRest, tick, type Sim } from './cluster-sim.ts';

function webRollout(steps: NonNullable<NonNullable<Rollout['spec']['strategy']>['canary']>['steps']): Rollout {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'ro-uid', generation: 1 },
    spec: {
      replicas: 10,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      strategy: { canary: { canaryService: 'web-canary', stableService: 'web-stable', ...(steps ? { steps } : {}) } },
    },
  };
}

function setImage(sim: Sim, image: string): void {
  const spec = sim.rollout.spec.template?.spec as { containers: Array<{ image: string }> };
  const c = spec.containers[0];
  if (c) c.image = image;
  sim.rollout.metadata.generation = (sim.rollout.metadata.generation ?? 0) + 1;
}

function replicaCounts(sim: Sim): Record<string, number> {
  return Object.fromEntries(sim.observed.replicaSets.map((rs) => [rs.metadata.annotations?.['rollout.argoproj.io/revision'] ?? '?', rs.spec.replicas ?? 0]));
}

function applyPatch(sim: Sim, patch: { spec?: object; status?: object }): void {
  if (patch.status) sim.rollout = { ...sim.rollout, status: { ...sim.rollout.status, ...(patch.status as object) } };
  if (patch.status && 'pauseConditions' in patch.status) delete sim.rollout.status?.pauseConditions;
  if (patch.spec) sim.rollout = { ...sim.rollout, spec: { ...sim.rollout.spec, ...(patch.spec as object) } };
}

test('setWeight 20 / pause 10s / setWeight 50 / pause {} / promote / setWeight 100 → Healthy', () => {
  const sim = newSim(webRollout([{ setWeight: 20 }, { pause: { duration: '10s' } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }]), new Date('2025-01-01T00:00:00Z'), ['web-canary', 'web-stable']);
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.deepEqual(replicaCounts(sim), { '1': 10 });

  setImage(sim, 'nginx:1.26');
  sim.events.length = 0;
  let ds = runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Paused');
  assert.equal(sim.rollout.status?.message, 'CanaryPauseStep');
  assert.equal(sim.rollout.status?.currentStepIndex, 1);
  assert.deepEqual(replicaCounts(sim), { '1': 8, '2': 2 });
  assert.equal(ds.at(-1)?.requeueAfterMs, 10_001, 'wake up 1 ms after the 10 s pause is over');
  assert.equal(sim.observed.services['web-canary']?.spec.selector?.['rollouts-pod-template-hash'], sim.rollout.status?.currentPodHash);
  assert.equal(sim.observed.services['web-stable']?.spec.selector?.['rollouts-pod-template-hash'], sim.rollout.status?.stableRS);

  advance(sim, 5_000);
  ds = runToRest(sim);
  assert.equal(sim.rollout.status?.currentStepIndex, 1, 'still pausing after 5 s');
  assert.equal(ds.at(-1)?.requeueAfterMs, 5_001);

  advance(sim, 5_001);
  runToRest(sim);
  assert.equal(sim.rollout.status?.currentStepIndex, 3);
  assert.equal(sim.rollout.status?.phase, 'Paused');
  assert.deepEqual(replicaCounts(sim), { '1': 5, '2': 5 });
  assert.ok(sim.events.includes('RolloutStepCompleted: Rollout step 2/5 completed (pause: 10s)'));

  advance(sim, 3_600_000);
  runToRest(sim);
  assert.equal(sim.rollout.status?.currentStepIndex, 3, 'an indefinite pause waits for promote');

  const p = promote(sim.rollout);
  assert.ok(p.ok);
  if (p.ok) applyPatch(sim, p.patch);
  runToRest(sim);
  const s = sim.rollout.status;
  assert.equal(s?.phase, 'Healthy');
  assert.equal(s?.currentStepIndex, 5);
  assert.equal(s?.stableRS, s?.currentPodHash);
  assert.deepEqual(replicaCounts(sim), { '1': 0, '2': 10 });
  assert.deepEqual(s?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`).sort(), [
    'Available=True/AvailableReason', 'Completed=True/RolloutCompleted', 'Healthy=True/RolloutHealthy', 'Paused=False/RolloutPaused', 'Progressing=True/NewReplicaSetAvailable',
  ]);
  assert.ok(sim.events.includes('RolloutCompleted: Rollout completed update to revision 2 (' + s?.currentPodHash + '): Completed all 5 canary steps'));

  // Idempotent at rest: the same inputs ask for nothing.
  const again = decide(sim.rollout, sim.observed, sim.now);
  assert.deepEqual(again.actions, []);
  assert.deepEqual(again.status, sim.rollout.status);
});

test('a template change mid-rollout scales the intermediate canary down, never the stable', () => {
  const sim = newSim(webRollout([{ setWeight: 20 }, { pause: {} }]), new Date('2025-01-01T00:00:00Z'), ['web-canary', 'web-stable']);
  runToRest(sim);
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  assert.deepEqual(replicaCounts(sim), { '1': 8, '2': 2 });
  setImage(sim, 'nginx:1.27');
  let minStable = 8;
  for (let i = 0; i < 20; i++) {
    tick(sim);
    minStable = Math.min(minStable, replicaCounts(sim)['1'] ?? 0);
  }
  assert.equal(minStable, 8, 'stable never went below 8');
  assert.deepEqual(replicaCounts(sim), { '1': 8, '2': 0, '3': 2 });
  assert.equal(sim.rollout.status?.currentStepIndex, 1);
});

test('abort returns to stable (Degraded), retry restarts the update from step 0', () => {
  const sim = newSim(webRollout([{ setWeight: 50 }, { pause: {} }]), new Date('2025-01-01T00:00:00Z'), ['web-canary', 'web-stable']);
  runToRest(sim);
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  assert.deepEqual(replicaCounts(sim), { '1': 5, '2': 5 });
  const a = abort();
  if (a.ok) applyPatch(sim, a.patch);
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Degraded');
  assert.equal(sim.rollout.status?.message, 'RolloutAborted: Rollout aborted update to revision 2');
  assert.equal(sim.rollout.status?.abort, true);
  assert.ok(sim.rollout.status?.abortedAt);
  assert.deepEqual(replicaCounts(sim), { '1': 10, '2': 0 });

  const r = retry();
  if (r.ok) applyPatch(sim, r.patch);
  runToRest(sim);
  assert.equal(sim.rollout.status?.abort, undefined);
  assert.equal(sim.rollout.status?.phase, 'Paused');
  assert.equal(sim.rollout.status?.currentStepIndex, 1);
  assert.deepEqual(replicaCounts(sim), { '1': 5, '2': 5 });
});

test('promote --full skips the remaining steps', () => {
  const sim = newSim(webRollout([{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }]), new Date('2025-01-01T00:00:00Z'), ['web-canary', 'web-stable']);
  runToRest(sim);
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const p = promote(sim.rollout, { full: true });
  assert.deepEqual(p, { ok: true, patch: { status: { promoteFull: true } } });
  if (p.ok) applyPatch(sim, p.patch);
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(sim.rollout.status?.promoteFull, undefined);
  assert.equal(sim.rollout.status?.currentStepIndex, 4);
  assert.deepEqual(replicaCounts(sim), { '1': 0, '2': 10 });
});

test('no steps: a rolling update within maxSurge/maxUnavailable', () => {
  const sim = newSim(webRollout(undefined), new Date("2025-01-01T00:00:00Z"), ["web-canary", "web-stable"]);
  runToRest(sim);
  setImage(sim, 'nginx:1.26');
  let maxTotal = 0;
  for (let i = 0; i < 30; i++) {
    tick(sim);
    maxTotal = Math.max(maxTotal, Object.values(replicaCounts(sim)).reduce((a, b) => a + b, 0));
  }
  assert.ok(maxTotal <= 13, `never above replicas + maxSurge (25% → 3): ${maxTotal}`);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(sim.rollout.status?.currentStepIndex, undefined);
  assert.deepEqual(replicaCounts(sim), { '1': 0, '2': 10 });
});
