// What `get rollout` and `list rollouts` show, from fixture objects: the view (phase, weights,
// ReplicaSet and pod statuses), the tree and table text, with and without colour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describeRollout, rolloutPhase } from '../../src/rollouts/rollout-view.ts';
import { podView } from '../../src/rollouts/pod-view.ts';
import { renderRolloutTree } from '../../src/cli/render/rollout-tree.ts';
import { renderRolloutTable } from '../../src/cli/render/rollout-table.ts';
import { humanDuration } from '../../src/cli/render/human-duration.ts';
import type { ReplicaSet, Rollout } from '../../src/engine/types.ts';
import type { AnalysisRunObject, PodObject, RolloutSummary } from '../../src/ports/rollout-commands.ts';

interface Fixture {
  rollout: Rollout;
  replicaSets: ReplicaSet[];
  pods: PodObject[];
  analysisRuns: AnalysisRunObject[];
}
const fixture = parse(readFileSync(new URL('../fixtures/rollout-view/canary-paused.yaml', import.meta.url), 'utf8')) as Fixture;
const now = new Date('2025-01-01T01:00:00Z');
const view = () => describeRollout(fixture.rollout, fixture.replicaSets, fixture.pods, fixture.analysisRuns);

test('get rollout renders the header and the revision → ReplicaSet → pod tree like kubectl-argo-rollouts', () => {
  assert.equal(renderRolloutTree(view(), { now, color: false }), [
    'Name:            web',
    'Namespace:       shop',
    'Status:          ॥ Paused',
    'Message:         CanaryPauseStep',
    'Strategy:        Canary',
    '  Step:          1/4',
    '  SetWeight:     25',
    '  ActualWeight:  25',
    'Images:          shop/web:1 (stable)',
    '                 shop/web:2 (canary)',
    'Replicas:',
    '  Desired:       4',
    '  Current:       5',
    '  Updated:       1',
    '  Ready:         4',
    '  Available:     4',
    '',
    'NAME                             KIND         STATUS              AGE    INFO',
    '⟳ web                            Rollout      ॥ Paused            4d',
    '├──# revision:3',
    '│  ├──⧉ web-7c9f6d4bb8           ReplicaSet   ✔ Healthy           5m     canary',
    '│  │  └──□ web-7c9f6d4bb8-2xk9d  Pod          ✔ Running           4m30s  ready:1/1',
    '│  └──α web-7c9f6d4bb8-3-1       AnalysisRun  ✔ Successful        3m',
    '├──# revision:2',
    '│  └──⧉ web-6b4d7c9f55           ReplicaSet   ◌ Progressing       4d     stable',
    '│     ├──□ web-6b4d7c9f55-a1zz9  Pod          ✔ Running           4d     ready:1/1,restarts:1',
    '│     ├──□ web-6b4d7c9f55-c3kk1  Pod          ◌ Terminating       4d     ready:1/1',
    '│     ├──□ web-6b4d7c9f55-b8wq4  Pod          ✖ CrashLoopBackOff  3d23h  ready:0/1,restarts:7',
    '│     └──□ web-6b4d7c9f55-d4mm2  Pod          ◌ Init:0/1          2s     ready:0/2',
    '└──# revision:1',
    '   └──⧉ web-5f6c8d7a44           ReplicaSet   • ScaledDown        31d    delay:25s',
    '',
  ].join('\n'));
});

test('colour marks icons and tags only, and does not disturb the column alignment', () => {
  const plain = renderRolloutTree(view(), { now, color: false });
  const coloured = renderRolloutTree(view(), { now, color: true });
  assert.equal(coloured.replace(/\u001b\[\d+m/g, ''), plain);
  assert.match(coloured, /shop\/web:2 \(\u001b\[33mcanary\u001b\[0m\)/);
  assert.match(coloured, /\u001b\[31m✖\u001b\[0m CrashLoopBackOff/);
  assert.match(coloured, /⧉ \u001b\[32mweb-6b4d7c9f55\u001b\[0m {11}ReplicaSet/);
});

test('list rollouts renders the kubectl-argo-rollouts table; -A adds NAMESPACE', () => {
  const blueGreen: RolloutSummary = {
    name: 'checkout-long-name',
    namespace: 'pay',
    strategy: 'BlueGreen',
    phase: 'Healthy',
    message: '',
    images: [],
    replicas: { desired: 3, current: 3, updated: 3, ready: 3, available: 3 },
  };
  const summaries = [view().summary, blueGreen];
  assert.equal(renderRolloutTable(summaries), [
    'NAME                STRATEGY   STATUS   STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE',
    'web                 Canary     Paused   1/4   25          4/5    4        1           4',
    'checkout-long-name  BlueGreen  Healthy  -     -           3/3    3        3           3',
    '',
  ].join('\n'));
  assert.equal(renderRolloutTable(summaries, { allNamespaces: true }).split('\n')[1], 'shop       web                 Canary     Paused   1/4   25          4/5    4        1           4');
});

test('the summary carries phase, step, weights and replica counts for the API', () => {
  const s = view().summary;
  assert.deepEqual(
    { phase: s.phase, message: s.message, step: s.step, setWeight: s.setWeight, actualWeight: s.actualWeight, replicas: s.replicas },
    { phase: 'Paused', message: 'CanaryPauseStep', step: { index: 1, count: 4 }, setWeight: 25, actualWeight: 25, replicas: { desired: 4, current: 5, updated: 1, ready: 4, available: 4 } },
  );
  assert.deepEqual(s.images, [{ image: 'shop/web:1', tags: ['stable'] }, { image: 'shop/web:2', tags: ['canary'] }]);
});

test('phase: Progressing until the controller has seen the spec and while it unpauses; Degraded on abort', () => {
  const ro = structuredClone(fixture.rollout);
  ro.metadata.generation = 4;
  assert.deepEqual(rolloutPhase(ro), { phase: 'Progressing', message: 'waiting for rollout spec update to be observed' });
  ro.metadata.generation = 3;
  ro.status = { ...ro.status, pauseConditions: [] };
  assert.deepEqual(rolloutPhase(ro), { phase: 'Progressing', message: 'waiting for rollout to unpause' });
  ro.status.conditions = [{ type: 'Progressing', status: 'False', reason: 'RolloutAborted', message: 'Rollout aborted update to revision 3', lastUpdateTime: '', lastTransitionTime: '' }];
  assert.deepEqual(rolloutPhase(ro), { phase: 'Degraded', message: 'RolloutAborted: Rollout aborted update to revision 3' });
  ro.spec.paused = true;
  ro.status.conditions = [];
  assert.deepEqual(rolloutPhase(ro), { phase: 'Paused', message: 'manually paused' });
});

test('pod status reads like kubectl: init progress, exit codes, the first container wins', () => {
  const pod = (status: PodObject['status'], spec: PodObject['spec'] = { containers: [{ name: 'a' }, { name: 'b' }] }): PodObject => ({ metadata: { name: 'p' }, spec, status });
  assert.equal(podView(pod({ phase: 'Pending' })).status, 'Pending');
  assert.equal(podView(pod({ phase: 'Running', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 2 } } }, { name: 'b', ready: true, state: { running: {} } }] })).status, 'ExitCode:2');
  assert.deepEqual(podView(pod({ phase: 'Running', containerStatuses: [{ name: 'a', ready: true, restartCount: 2, state: { running: {} } }, { name: 'b', restartCount: 1, state: { waiting: { reason: 'ErrImagePull' } } }] })), {
    name: 'p', status: 'ErrImagePull', ready: '1/2', restarts: 3,
  });
  const init = { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] };
  assert.equal(podView(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 0 } } }, { name: 'i2', state: { waiting: { reason: 'ImagePullBackOff' } } }] }, init)).status, 'Init:ImagePullBackOff');
  assert.equal(podView(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 1 } } }] }, init)).status, 'Init:ExitCode:1');
  assert.equal(podView(pod({ phase: 'Succeeded', reason: 'Evicted' })).status, 'Evicted');
});

test('ages are printed as kubectl prints them', () => {
  const s = 1000;
  assert.deepEqual(
    [0, 59 * s, 119 * s, 150 * s, 600 * s, 3 * 3600 * s, 7 * 3600 * s + 60 * s, 30 * 3600 * s, 3 * 86400 * s + 3600 * s, 400 * 86400 * s, 3 * 365 * 86400 * s, -5 * s].map(humanDuration),
    ['0s', '59s', '119s', '2m30s', '10m', '3h', '7h1m', '30h', '3d1h', '400d', '3y', '<invalid>'],
  );
});
