// Unit tests of the engine's pure helpers: hashing, replica math, durations, lifecycle patches,
// plan, status patch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet, Rollout } from '../../../src/engine/types.ts';
import { computePodTemplateHash, fnv32a, safeEncodeString, utf8Bytes, canonicalJson, podTemplateEqualIgnoreHash } from '../../../src/engine/pod-template-hash.ts';
import { approximateCanaryStableCounts, basicCanaryReplicaCounts, maxSurge, maxUnavailable, trafficRoutedReplicaCounts } from '../../../src/engine/replica-math.ts';
import { durationSeconds } from '../../../src/engine/time.ts';
import { promote, pause, restart, setImage, undo } from '../../../src/engine/lifecycle.ts';
import { planSteps } from '../../../src/engine/plan.ts';
import { statusMergePatch } from '../../../src/engine/status-patch.ts';
import { formatLabelSelector } from '../../../src/engine/labels.ts';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } };

test('pod-template hash: golden values (a change here redeploys every Rollout)', () => {
  assert.equal(fnv32a(utf8Bytes('')), 0x811c9dc5);
  assert.equal(fnv32a(utf8Bytes('a')), 0xe40c292c);
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  assert.equal(computePodTemplateHash(template), '5f67959d97');
  assert.equal(computePodTemplateHash(template, 1), '5b7877795b');
  assert.equal(computePodTemplateHash(template, 0) === computePodTemplateHash(template), false, 'collisionCount 0 is not "unset"');
  // Stable under key order and nulls.
  const reordered = { spec: { containers: [{ ports: [{ containerPort: 80 }], image: 'nginx:1.25', name: 'web' }] }, metadata: { labels: { app: 'web' }, annotations: null } };
  assert.equal(computePodTemplateHash(reordered as never), '5f67959d97');
  assert.equal(canonicalJson({ b: 1, a: [{ d: null, c: 'x' }] }), '{"a":[{"c":"x"}],"b":1}');
});

test('semantic template equality ignores the hash label and API-server defaults, not real changes', () => {
  const live = JSON.parse(JSON.stringify(template));
  live.metadata.labels['rollouts-pod-template-hash'] = 'abc';
  Object.assign(live.spec, { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', securityContext: {} });
  Object.assign(live.spec.containers[0], { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {} });
  live.spec.containers[0].ports[0].protocol = 'TCP';
  assert.ok(podTemplateEqualIgnoreHash(live, template));
  const changed = JSON.parse(JSON.stringify(live));
  changed.spec.containers[0].image = 'nginx:1.26';
  assert.ok(!podTemplateEqualIgnoreHash(changed, template));
  const withEnv = JSON.parse(JSON.stringify(live));
  withEnv.spec.containers[0].env = [{ name: 'A', value: '1' }];
  assert.ok(!podTemplateEqualIgnoreHash(withEnv, template), 'a field the user removed is a change');
});

function ro(replicas: number, canary: Record<string, unknown>, status: Rollout['status'] = {}): Rollout {
  return { metadata: { name: 'r' }, spec: { replicas, strategy: { canary } }, status } as Rollout;
}
function rs(name: string, replicas: number, available = replicas): ReplicaSet {
  return { metadata: { name }, spec: { replicas }, status: { replicas, availableReplicas: available } };
}

test('maxSurge rounds up, maxUnavailable rounds down (default 25%)', () => {
  assert.deepEqual([maxSurge(ro(10, {})), maxUnavailable(ro(10, {}))], [3, 2]);
  assert.deepEqual([maxSurge(ro(3, {})), maxUnavailable(ro(3, {}))], [1, 0]);
  assert.deepEqual([maxSurge(ro(1, {})), maxUnavailable(ro(1, {}))], [1, 0]);
  assert.deepEqual([maxSurge(ro(10, { maxSurge: 2, maxUnavailable: '15%' })), maxUnavailable(ro(10, { maxSurge: 2, maxUnavailable: '15%' }))], [2, 1]);
  assert.equal(maxUnavailable(ro(3, { maxUnavailable: 5 })), 3, 'capped at replicas');
});

test('approximate canary/stable counts (Argo approximateWeightedCanaryStableReplicaCounts)', () => {
  const cases: Array<[number, number, number, [number, number]]> = [
    [10, 20, 3, [2, 8]], [10, 50, 3, [5, 5]], [10, 5, 1, [1, 10]], [3, 50, 1, [2, 2]], [3, 50, 0, [2, 1]],
    [1, 50, 1, [1, 1]], [1, 50, 0, [1, 0]], [1, 10, 0, [0, 1]], [3, 10, 0, [1, 2]], [10, 100, 3, [10, 0]], [10, 0, 3, [0, 10]], [0, 50, 1, [0, 0]],
  ];
  for (const [replicas, weight, surge, expected] of cases) assert.deepEqual(approximateCanaryStableCounts(replicas, weight, surge), expected, `${replicas} replicas @${weight}% surge ${surge}`);
});

test('basic canary counts: one safe move at a time (Argo CalculateReplicaCountsForBasicCanary examples)', () => {
  const steps = [{ setWeight: 10 }];
  const st = { stableRS: 's', currentPodHash: 'n', currentStepIndex: 0 };
  // replicas 10, weight 10, surge 1, unavailable 1 → canary 1, stable 9
  assert.deepEqual(basicCanaryReplicaCounts(ro(10, { steps, maxSurge: 1, maxUnavailable: 1 }, st), rs('n', 0), rs('s', 10), []), [1, 9]);
  // weight 30, unavailable 0, surge 3 → canary 3, stable 10
  assert.deepEqual(basicCanaryReplicaCounts(ro(10, { steps: [{ setWeight: 30 }], maxSurge: 3, maxUnavailable: 0 }, st), rs('n', 0), rs('s', 10), []), [3, 10]);
  // weight 30, unavailable 5, surge 0 → canary 0, stable 7
  assert.deepEqual(basicCanaryReplicaCounts(ro(10, { steps: [{ setWeight: 30 }], maxSurge: 0, maxUnavailable: 5 }, st), rs('n', 0), rs('s', 10), []), [0, 7]);
  // replicas 1, weight 5, unavailable 0, surge 1 → canary 1, stable 1
  assert.deepEqual(basicCanaryReplicaCounts(ro(1, { steps: [{ setWeight: 5 }], maxSurge: 1, maxUnavailable: 0 }, st), rs('n', 0), rs('s', 1), []), [1, 1]);
  // no stable: the new RS goes straight to full size
  assert.deepEqual(basicCanaryReplicaCounts(ro(3, { steps }, {}), rs('n', 0), undefined, []), [3, 0]);
  // an old RS with pods left: scale up only, no scale down of new/stable yet
  assert.deepEqual(basicCanaryReplicaCounts(ro(10, { steps, maxSurge: 1, maxUnavailable: 1 }, st), rs('n', 1), rs('s', 9), [rs('o', 2)]), [1, 9]);
  // aborted: weight 0, canary drained as stable comes back
  assert.deepEqual(basicCanaryReplicaCounts(ro(10, { steps, maxSurge: 1, maxUnavailable: 1 }, { ...st, abort: true }), rs('n', 1), rs('s', 9), []), [0, 10]);
});

test('traffic-routed counts: stable stays full, canary rounds up (kept for the traffic-routing work)', () => {
  const st = { stableRS: 's', currentPodHash: 'n', currentStepIndex: 0 };
  assert.deepEqual(trafficRoutedReplicaCounts(ro(10, { trafficRouting: {}, steps: [{ setWeight: 15 }] }, st), undefined, undefined), [2, 10]);
  assert.deepEqual(trafficRoutedReplicaCounts(ro(10, { trafficRouting: {}, steps: [{ setCanaryScale: { replicas: 4 } }] }, st), undefined, undefined), [4, 10]);
});

test('pause durations: int seconds, "30s", "5m", "1h", Go durations; junk rejected', () => {
  assert.deepEqual([10, '10', '30s', '5m', '1h', '1h30m', '0'].map((d) => durationSeconds(d)), [10, 10, 30, 300, 3600, 5400, 0]);
  assert.deepEqual(['5x', 'abc', ''].map((d) => durationSeconds(d)), [undefined, undefined, undefined]);
});

test('lifecycle patches follow kubectl-argo-rollouts', () => {
  const base = ro(1, { steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }] }, { currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep', startTime: 'x' }], currentPodHash: 'n', stableRS: 's' });
  assert.deepEqual(promote(base), { ok: true, patch: { status: { pauseConditions: null } } });
  assert.deepEqual(promote({ ...base, spec: { ...base.spec, paused: true } }), { ok: true, patch: { spec: { paused: false }, status: { pauseConditions: null } } });
  assert.deepEqual(promote({ ...base, status: { currentStepIndex: 2 } }), { ok: true, patch: { status: { currentStepIndex: 3 } } }, 'not paused: skip the current step');
  assert.deepEqual(promote({ ...base, status: { currentPodHash: 'a', stableRS: 'a' } }, { full: true }), { ok: true, patch: {} });
  assert.deepEqual(pause(), { ok: true, patch: { spec: { paused: true } } });
  assert.deepEqual(restart(new Date('2025-01-01T00:00:00Z'), 10), { ok: true, patch: { spec: { restartAt: '2025-01-01T00:00:10Z' } } });
  const withTemplate = { ...base, spec: { ...base.spec, template: { metadata: { labels: { app: 'web' } }, spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'web', image: 'nginx:1' }] } } } } as Rollout;
  assert.deepEqual(setImage(withTemplate, 'web', 'nginx:2'), { ok: true, patch: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } } });
  assert.deepEqual(setImage(withTemplate, 'nope', 'x'), { ok: false, error: 'unable to find container named "nope"' });
  const rsOf = (rev: number, image: string): ReplicaSet => ({ metadata: { name: `r-${rev}`, annotations: { 'rollout.argoproj.io/revision': String(rev) } }, spec: { template: { metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': `h${rev}` } }, spec: { containers: [{ name: 'web', image }] } } } });
  const current = { ...withTemplate, metadata: { name: 'r', annotations: { 'rollout.argoproj.io/revision': '3' } } };
  const history = [rsOf(1, 'nginx:1'), rsOf(2, 'nginx:2'), rsOf(3, 'nginx:3')];
  assert.deepEqual(undo(current, history), { ok: true, patch: { spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } } });
  assert.equal((undo(current, history, 1) as { ok: true; patch: { spec: { template: { spec: { containers: Array<{ image: string }> } } } } }).patch.spec.template.spec.containers[0]?.image, 'nginx:1');
  assert.deepEqual(undo(current, history, 9), { ok: false, error: 'unable to find specified revision 9 in history' });
});

test('planSteps lists weights, replicas and pauses per step', () => {
  const r = ro(10, { steps: [{ setWeight: 20 }, { pause: { duration: '1m' } }, { setWeight: 50 }, { pause: {} }] });
  assert.deepEqual(planSteps(r), [
    { index: 0, kind: 'setWeight', canaryWeight: 20, canaryReplicas: 2, stableReplicas: 8 },
    { index: 1, kind: 'pause', canaryWeight: 20, canaryReplicas: 2, stableReplicas: 8, pause: 60 },
    { index: 2, kind: 'setWeight', canaryWeight: 50, canaryReplicas: 5, stableReplicas: 5 },
    { index: 3, kind: 'pause', canaryWeight: 50, canaryReplicas: 5, stableReplicas: 5, pause: 'indefinite' },
  ]);
});

test('statusMergePatch: changed keys, removed keys as null, nothing when equal', () => {
  assert.deepEqual(statusMergePatch({ abort: true, phase: 'Degraded', canary: {} }, { phase: 'Healthy', canary: {} }), { status: { abort: null, phase: 'Healthy' } });
  assert.deepEqual(statusMergePatch({ phase: 'Healthy' }, { phase: 'Healthy' }), {});
});

test('selector string for the scale subresource', () => {
  assert.equal(formatLabelSelector({ matchLabels: { tier: 'web', app: 'x' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['b', 'a'] }] }), 'app=x,env in (a,b),tier=web');
});
