// Blue-green through the simulated cluster: first deploy straight to active, preview first, the
// switch only once the new ReplicaSet is fully available, BlueGreenPause (manual and timed),
// previewReplicaCount, scale-down delays and their revision limit, abort/retry, a template change
// while the preview is up, promote --full, undo within the scale-down delay, scaling events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abort, promote, retry, undo } from '../../../src/engine/lifecycle.ts';
import { decide } from '../../../src/engine/decide.ts';
import { advance, newSim, runToRest, settle, step, tick, type Sim } from './cluster-sim.ts';
import { bgRollout, deployed, patch, selectorOf, setImage, sizes, T0 } from './blue-green-sim.ts';

const deadlineOf = (sim: Sim, revision: string): string | undefined =>
  sim.observed.replicaSets.find((rs) => rs.metadata.annotations?.['rollout.argoproj.io/revision'] === revision)?.metadata.annotations?.['scale-down-deadline'];

test('first deploy: one ReplicaSet at full size, preview and active both point at it, stable at once', () => {
  const sim = newSim(bgRollout({ autoPromotionEnabled: false }), T0, ['web-active', 'web-preview']);
  const first = step(sim);
  const hash = sim.rollout.status?.currentPodHash ?? '';
  assert.deepEqual(first.actions.filter((a) => a.kind !== 'recordEvent').map((a) => a.kind), ['createReplicaSet', 'patchRolloutAnnotations', 'setServiceSelector', 'scaleReplicaSet']);
  assert.equal(selectorOf(sim, 'web-preview'), hash, 'the preview follows the new ReplicaSet at once');
  assert.equal(selectorOf(sim, 'web-active'), undefined, 'the active Service waits for available pods');
  assert.equal(sim.rollout.status?.stableRS, hash, 'the first ReplicaSet is stable straight away (Initial deploy)');
  assert.equal(sim.rollout.status?.phase, 'Progressing');
  settle(sim);
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), hash);
  assert.deepEqual(sim.rollout.status?.blueGreen, { activeSelector: hash, previewSelector: hash });
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(sim.rollout.status?.pauseConditions, undefined, 'autoPromotionEnabled: false does not pause the first deploy');
  assert.equal(sim.rollout.status?.selector, `app=web,rollouts-pod-template-hash=${hash}`);
  assert.ok(sim.events.includes(`RolloutCompleted: Rollout completed update to revision 1 (${hash}): Initial deploy`), sim.events.join('\n'));
});

test('manual promotion: preview first, BlueGreenPause, switch on promote, old ReplicaSet kept scaleDownDelaySeconds', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false }));
  const v1 = sim.rollout.status?.stableRS ?? '';
  setImage(sim, 'nginx:1.26');
  const ds = runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash ?? '';
  assert.notEqual(v1, v2);
  assert.equal(selectorOf(sim, 'web-preview'), v2);
  assert.equal(selectorOf(sim, 'web-active'), v1, 'no switch before promotion');
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3 });
  const s = sim.rollout.status;
  assert.equal(s?.phase, 'Paused');
  assert.equal(s?.message, 'BlueGreenPause');
  assert.equal(s?.controllerPause, true);
  assert.deepEqual(s?.pauseConditions, [{ reason: 'BlueGreenPause', startTime: '2025-01-01T00:00:00Z' }]);
  assert.equal(s?.stableRS, v1);
  assert.equal(s?.availableReplicas, 3, 'counts follow the active ReplicaSet');
  assert.equal(s?.selector, `app=web,rollouts-pod-template-hash=${v1}`);
  assert.equal(ds.at(-1)?.requeueAfterMs, undefined, 'a manual pause needs no timer');
  assert.ok(sim.events.includes('RolloutPaused: Rollout is paused (BlueGreenPause)'));

  advance(sim, 5_000);
  const p = promote(sim.rollout);
  assert.ok(p.ok);
  assert.deepEqual(p.patch, { status: { pauseConditions: null } });
  patch(sim, p.patch);
  sim.events.length = 0;
  const after = runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), v2);
  assert.equal(sim.rollout.status?.stableRS, v2);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(sim.rollout.status?.controllerPause, undefined);
  assert.deepEqual(sim.events.slice(0, 2), [
    `SwitchService: Switched selector for service 'web-active' from '${v1}' to '${v2}'`,
    `RolloutCompleted: Rollout completed update to revision 2 (${v2}): Completed blue-green update`,
  ]);
  assert.equal(deadlineOf(sim, '1'), '2025-01-01T00:00:35Z', 'the old active ReplicaSet gets now + 30 s');
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3 }, 'still up during the delay');
  assert.equal(after.at(-1)?.requeueAfterMs, 30_000);

  advance(sim, 29_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3 });
  advance(sim, 1_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 0, '2': 3 }, 'scaled down at the deadline');
  assert.equal(deadlineOf(sim, '1'), undefined, 'the deadline goes with the pods');
});

test('the active Service switches only when the new ReplicaSet is fully available', () => {
  const sim = deployed(bgRollout({ previewService: undefined }));
  const v1 = sim.rollout.status?.stableRS;
  sim.podsBecomeAvailable = false;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), v1);
  assert.equal(sim.rollout.status?.phase, 'Progressing');
  assert.equal(sim.rollout.status?.message, 'active service cutover pending', 'counts follow the active ReplicaSet, which is available');
  // two of three pods available: still no switch
  const rs = sim.observed.replicaSets.find((r) => r.metadata.labels?.['rollouts-pod-template-hash'] === sim.rollout.status?.currentPodHash);
  assert.ok(rs);
  rs.status = { replicas: 3, readyReplicas: 2, availableReplicas: 2 };
  step(sim);
  assert.equal(selectorOf(sim, 'web-active'), v1);
  rs.status = { replicas: 3, readyReplicas: 3, availableReplicas: 3 };
  step(sim);
  assert.equal(selectorOf(sim, 'web-active'), sim.rollout.status?.currentPodHash, 'auto promotion once all pods are available');
  assert.equal(sim.rollout.status?.blueGreen?.previewSelector, undefined, 'no preview Service, no previewSelector');
});

test('autoPromotionSeconds: BlueGreenPause, then the switch N seconds later (timer, not polling)', () => {
  const sim = deployed(bgRollout({ autoPromotionSeconds: 10 }));
  const v1 = sim.rollout.status?.stableRS;
  advance(sim, 400);
  setImage(sim, 'nginx:1.26');
  const ds = runToRest(sim);
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause');
  assert.equal(ds.at(-2)?.requeueAfterMs, 9_601, 'woken 1 ms after startTime (truncated to the second) + 10 s');
  advance(sim, 5_000);
  assert.equal(runToRest(sim).at(-1)?.requeueAfterMs, 4_601);
  assert.equal(selectorOf(sim, 'web-active'), v1);
  advance(sim, 4_601);
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), sim.rollout.status?.currentPodHash);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.ok(sim.events.includes('RolloutResumed: Rollout is resumed'));
});

test('previewReplicaCount: the preview runs that many pods, grows to full size on promotion, then switches', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false, previewReplicaCount: 1 }, 4));
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 4, '2': 1 });
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause');
  assert.equal(sim.rollout.status?.blueGreen?.scaleUpPreviewCheckPoint, undefined);
  patch(sim, { status: { pauseConditions: null } });
  step(sim);
  assert.equal(sim.rollout.status?.blueGreen?.scaleUpPreviewCheckPoint, true, 'gates passed at preview size');
  assert.equal(selectorOf(sim, 'web-active'), v1, 'not yet: the preview is not at full size');
  settle(sim);
  step(sim);
  assert.deepEqual(sizes(sim), { '1': 4, '2': 4 });
  settle(sim);
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), sim.rollout.status?.currentPodHash);
  assert.equal(sim.rollout.status?.blueGreen?.scaleUpPreviewCheckPoint, undefined, 'reset when the new ReplicaSet becomes stable');
  assert.equal(sim.rollout.status?.phase, 'Healthy');
});

test('a template change while the preview is up: the preview moves on, the superseded ReplicaSet is delayed then scaled down, active untouched', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false }));
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash;
  setImage(sim, 'nginx:1.27');
  runToRest(sim);
  const v3 = sim.rollout.status?.currentPodHash ?? '';
  assert.notEqual(v3, v2);
  assert.equal(selectorOf(sim, 'web-preview'), v3);
  assert.equal(selectorOf(sim, 'web-active'), v1);
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause', 'a fresh pause for the new version');
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3, '3': 3 });
  assert.ok(deadlineOf(sim, '2'), 'the superseded preview waits out its scale-down delay');
  assert.equal(deadlineOf(sim, '1'), undefined, 'the active ReplicaSet never gets a deadline');
  advance(sim, 30_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 3, '2': 0, '3': 3 });
});

test('scaleDownDelayRevisionLimit: only that many old ReplicaSets wait out their delay', () => {
  const sim = deployed(bgRollout({ scaleDownDelayRevisionLimit: 1 }));
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  setImage(sim, 'nginx:1.27');
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.deepEqual(sizes(sim), { '1': 0, '2': 3, '3': 3 }, 'revision 2 waits, revision 1 (over the limit) goes at once');
});

test('scaleDownDelaySeconds: 0 scales the old ReplicaSet down right after the switch', () => {
  const sim = deployed(bgRollout({ scaleDownDelaySeconds: 0 }));
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 0, '2': 3 });
  assert.equal(deadlineOf(sim, '1'), undefined);
});

test('abort before promotion: Degraded, active stays, preview scaled down abortScaleDownDelaySeconds later; retry starts again', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false, abortScaleDownDelaySeconds: 10 }));
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash;
  patch(sim, (abort() as { patch: { status: object } }).patch);
  sim.events.length = 0;
  const ds = runToRest(sim);
  const s = sim.rollout.status;
  assert.equal(s?.phase, 'Degraded');
  assert.equal(s?.message, 'RolloutAborted: Rollout aborted update to revision 2');
  assert.equal(s?.pauseConditions, undefined);
  assert.ok(s?.abortedAt);
  assert.equal(selectorOf(sim, 'web-active'), v1);
  assert.equal(selectorOf(sim, 'web-preview'), v2, 'the preview keeps pointing at the aborted version');
  assert.equal(deadlineOf(sim, '2'), '2025-01-01T00:00:10Z');
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3 });
  assert.equal(ds.at(-1)?.requeueAfterMs, 10_000);
  assert.ok(sim.events.includes('RolloutAborted: Rollout aborted update to revision 2'));
  advance(sim, 10_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 3, '2': 0 });
  assert.ok(deadlineOf(sim, '2'), 'an aborted preview keeps its deadline while aborted');

  patch(sim, (retry() as { patch: { status: object } }).patch);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3 });
  assert.equal(deadlineOf(sim, '2'), undefined);
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause', 'the retried update pauses again before the switch');
  assert.equal(selectorOf(sim, 'web-active'), v1);
});

test('retry while the cache still shows the aborted preview up (with its abort deadline): no switch, pause again', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false, abortScaleDownDelaySeconds: 10 }));
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  patch(sim, (abort() as { patch: { status: object } }).patch);
  runToRest(sim);
  assert.ok(deadlineOf(sim, '2'), 'the aborted preview carries its deadline');
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3 }, 'still up: the watch cache has not seen the scale-down yet');
  patch(sim, (retry() as { patch: { status: object } }).patch);
  tick(sim);
  assert.equal(selectorOf(sim, 'web-active'), v1, 'the first reconcile after retry does not switch');
  runToRest(sim);
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause');
  assert.equal(selectorOf(sim, 'web-active'), v1);
  assert.equal(deadlineOf(sim, '2'), undefined);
});

test('abortScaleDownDelaySeconds: 0 leaves the aborted preview up', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false, abortScaleDownDelaySeconds: 0 }));
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  patch(sim, { status: { abort: true } });
  runToRest(sim);
  advance(sim, 3_600_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3 });
  assert.equal(deadlineOf(sim, '2'), undefined);
});

test('promote --full: no pause, straight to the switch', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false, previewReplicaCount: 1 }));
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause');
  const p = promote(sim.rollout, { full: true });
  assert.ok(p.ok);
  assert.deepEqual(p.patch, { status: { promoteFull: true } });
  patch(sim, p.patch);
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), sim.rollout.status?.currentPodHash);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(sim.rollout.status?.promoteFull, undefined);
  assert.equal(sizes(sim)['2'], 3, 'the preview grew to full size');
  assert.ok(sim.events.some((e) => e.endsWith('Full promotion requested')));
  assert.deepEqual(promote(sim.rollout, { full: true }), { ok: true, patch: {} }, 'nothing to promote any more');
});

test('undo to the previous version within its scale-down delay: switched back at once, no pause', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false, scaleDownDelaySeconds: 300 }));
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  patch(sim, { status: { pauseConditions: null } });
  runToRest(sim);
  assert.ok(deadlineOf(sim, '1'));
  const u = undo(sim.rollout, sim.observed.replicaSets);
  assert.ok(u.ok);
  patch(sim, u.patch);
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), v1, 'fast-tracked: no BlueGreenPause for a ReplicaSet still up');
  assert.equal(sim.rollout.status?.stableRS, v1);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(deadlineOf(sim, '3'), undefined, 'the revived ReplicaSet (now revision 3) lost its deadline');
  assert.ok(deadlineOf(sim, '2'), 'and the one it replaced got one');
});

test('spec.paused stops the preview switch and the promotion; unpausing goes on', () => {
  const sim = deployed(bgRollout());
  const v1 = sim.rollout.status?.stableRS;
  patch(sim, { spec: { paused: true } });
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Paused');
  assert.equal(sim.rollout.status?.message, 'manually paused');
  assert.equal(selectorOf(sim, 'web-preview'), v1);
  assert.equal(selectorOf(sim, 'web-active'), v1);
  patch(sim, { spec: { paused: false } });
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), sim.rollout.status?.currentPodHash);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
});

test('a scaling event resizes the active and the preview ReplicaSet, keeping the pause', () => {
  const sim = deployed(bgRollout({ autoPromotionEnabled: false }));
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  patch(sim, { spec: { replicas: 5 } });
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 5, '2': 5 });
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause');
  assert.equal(sim.rollout.status?.HPAReplicas, 5);
});

test('restartAt restarts within blueGreen.maxUnavailable', () => {
  const r = bgRollout({ maxUnavailable: 2 }, 4);
  const sim = deployed(r);
  const rs = sim.observed.replicaSets[0];
  assert.ok(rs);
  sim.observed.pods = [0, 1, 2, 3].map((i) => ({
    metadata: { name: `web-${i}`, creationTimestamp: '2025-01-01T00:00:00Z', labels: { 'rollouts-pod-template-hash': rs.metadata.labels?.['rollouts-pod-template-hash'] ?? '' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: 'x', controller: true }] },
    available: true,
  }));
  advance(sim, 60_000);
  patch(sim, { spec: { restartAt: '2025-01-01T00:01:00Z' } });
  const d = decide(sim.rollout, sim.observed, sim.now);
  assert.deepEqual(d.actions.filter((a) => a.kind === 'evictPod').map((a) => (a.kind === 'evictPod' ? a.name : '')), ['web-0', 'web-1']);
});

test('deciding again on its own output changes nothing (paused, switched, aborted)', () => {
  for (const prepare of [
    (sim: Sim) => runToRest(sim),
    (sim: Sim) => {
      runToRest(sim);
      patch(sim, { status: { pauseConditions: null } });
      runToRest(sim);
    },
    (sim: Sim) => {
      runToRest(sim);
      patch(sim, { status: { abort: true } });
      runToRest(sim);
    },
  ]) {
    const sim = deployed(bgRollout({ autoPromotionEnabled: false }));
    setImage(sim, 'nginx:1.26');
    prepare(sim);
    const d = decide(sim.rollout, sim.observed, sim.now);
    assert.deepEqual(d.actions, []);
    assert.deepEqual(d.status, sim.rollout.status);
  }
});
