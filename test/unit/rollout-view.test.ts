// What `get rollout` and `list rollouts` show, from fixture objects: the view (phase, weights,
// ReplicaSet and pod statuses, AnalysisRuns and their metrics), the tree and table text, with and
// without colour.
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
const load = (name: string) => parse(readFileSync(new URL(`../fixtures/rollout-view/${name}`, import.meta.url), 'utf8')) as Fixture;
const fixture = load('canary-paused.yaml');
const analysis = load('canary-analysis.yaml');
const now = new Date('2025-01-01T01:00:00Z');
const view = () => describeRollout(fixture.rollout, fixture.replicaSets, fixture.pods, fixture.analysisRuns);
const analysisView = () => describeRollout(analysis.rollout, analysis.replicaSets, analysis.pods, analysis.analysisRuns);

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

test('get rollout shows the current analysis runs in the header and each metric under its AnalysisRun', () => {
  const lines = renderRolloutTree(analysisView(), { now, color: false }).split('\n');
  assert.deepEqual(lines.slice(5, 11), [
    '  Step:          1/4',
    '  SetWeight:     25',
    '  ActualWeight:  20',
    'Analysis:        step run api-5d8f7c6b9a-2-1 ◌ Running',
    '                 background run api-5d8f7c6b9a-2 ◌ Running',
    'Images:          shop/api:1 (stable)',
  ]);
  assert.deepEqual(lines.slice(lines.indexOf('') + 1), [
    'NAME                        KIND         STATUS         AGE   INFO',
    '⟳ api                       Rollout      ◌ Progressing  24h',
    '├──# revision:2',
    '│  ├──⧉ api-5d8f7c6b9a      ReplicaSet   ✔ Healthy      4m    canary',
    '│  ├──α api-5d8f7c6b9a-2    AnalysisRun  ◌ Running      3m    ✔ 1,⚠ 1,background',
    '│  │  └──◇ latency-slo      Metric       ◌ Running      119s  ⚠ (1/1) errors:1 Post "http://prometheus.monitoring:9090/api/v1/query": dial tcp 10.0.0.7:9090: connect: connection refused',
    '│  └──α api-5d8f7c6b9a-2-1  AnalysisRun  ◌ Running      2m    ✔ 4,✖ 2,step:1',
    '│     ├──◇ success-rate     Metric       ✔ Successful   60s   [0.99] (3/3)',
    '│     ├──◇ error-rate       Metric       ◌ Running      90s   ✖ [0.031] (1/2)',
    '│     ├──◇ cpu-saturation   Metric       ✖ Failed       2m    [0.93] (0/1) dry-run',
    '│     └──◇ p99-latency      Metric       ◷ Pending',
    '└──# revision:1',
    '   ├──⧉ api-7b6c5d4e3f      ReplicaSet   ✔ Healthy      24h   stable',
    '   └──α api-7b6c5d4e3f-1-1  AnalysisRun  ✔ Successful   23h   ✔ 1,step:1',
    '      └──◇ success-rate     Metric       ✔ Successful   23h   [0.995] (1/1)',
    '',
  ]);
  const coloured = renderRolloutTree(analysisView(), { now, color: true });
  assert.equal(coloured.replace(/\u001b\[\d+m/g, ''), renderRolloutTree(analysisView(), { now, color: false }));
  assert.match(coloured, /\u001b\[32m✔\u001b\[0m 4,\u001b\[31m✖\u001b\[0m 2,step:1\n/);
  assert.match(coloured, /\u001b\[31m✖\u001b\[0m \[0\.031\] \(1\/2\)\n/);
});

test("the views carry each run's type, counts and each metric's verdict and latest measurement", () => {
  const v = analysisView();
  assert.deepEqual(v.summary.currentAnalysisRuns, [
    { type: 'Step', name: 'api-5d8f7c6b9a-2-1', status: 'Running' },
    { type: 'Background', name: 'api-5d8f7c6b9a-2', status: 'Running' },
  ]);
  // Newest revision first; within one, the older run (the background one) first.
  assert.deepEqual(v.analysisRuns.map((r) => [r.name, r.revision, r.type, r.stepIndex]), [
    ['api-5d8f7c6b9a-2', 2, 'Background', undefined],
    ['api-5d8f7c6b9a-2-1', 2, 'Step', 1],
    ['api-7b6c5d4e3f-1-1', 1, 'Step', 1],
  ]);
  const step = v.analysisRuns[1];
  assert.deepEqual({ ...step, metrics: undefined }, {
    name: 'api-5d8f7c6b9a-2-1', revision: 2, status: 'Running', type: 'Step', stepIndex: 1, createdAt: '2025-01-01T00:58:00Z',
    successful: 4, failed: 2, inconclusive: 0, error: 0, metrics: undefined,
  });
  assert.deepEqual(step?.metrics, [
    {
      name: 'success-rate', phase: 'Successful', dryRun: false, count: 3, successful: 3, failed: 0, inconclusive: 0, error: 0,
      latest: { phase: 'Successful', value: '[0.99]', startedAt: '2025-01-01T00:59:00Z', finishedAt: '2025-01-01T00:59:00Z' },
    },
    {
      name: 'error-rate', phase: 'Running', dryRun: false, count: 2, successful: 1, failed: 1, inconclusive: 0, error: 0,
      latest: { phase: 'Failed', value: '[0.031]', startedAt: '2025-01-01T00:58:30Z', finishedAt: '2025-01-01T00:58:30Z' },
    },
    {
      name: 'cpu-saturation', phase: 'Failed', dryRun: true, count: 1, successful: 0, failed: 1, inconclusive: 0, error: 0,
      latest: { phase: 'Failed', value: '[0.93]', startedAt: '2025-01-01T00:58:00Z', finishedAt: '2025-01-01T00:58:00Z' },
    },
    { name: 'p99-latency', phase: 'Pending', dryRun: false, count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 },
  ]);
  assert.deepEqual(v.analysisRuns[0]?.metrics[0]?.latest, {
    phase: 'Error',
    message: 'Post "http://prometheus.monitoring:9090/api/v1/query": dial tcp 10.0.0.7:9090: connect: connection refused',
    startedAt: '2025-01-01T00:58:00Z',
    finishedAt: '2025-01-01T00:58:01Z',
  });
  // A run nobody has looked at yet, and one from another controller without our labels.
  assert.deepEqual(view().analysisRuns, [
    { name: 'web-7c9f6d4bb8-3-1', revision: 3, status: 'Successful', createdAt: '2025-01-01T00:57:00Z', successful: 0, failed: 0, inconclusive: 0, error: 0, metrics: [] },
  ]);
  assert.equal(view().summary.currentAnalysisRuns, undefined);
});

test('blue-green pre- and post-promotion runs show in the header; a failed run shows its message', () => {
  const ro = structuredClone(analysis.rollout);
  ro.spec.strategy = { blueGreen: { activeService: 'api', previewService: 'api-preview' } };
  ro.status = {
    ...ro.status,
    blueGreen: {
      prePromotionAnalysisRunStatus: { name: 'api-5d8f7c6b9a-2-pre', status: 'Successful' },
      postPromotionAnalysisRunStatus: { name: 'api-5d8f7c6b9a-2-post', status: 'Failed', message: 'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)' },
    },
    canary: {},
  };
  const v = describeRollout(ro, analysis.replicaSets, [], []);
  assert.deepEqual(v.summary.currentAnalysisRuns?.map((r) => r.type), ['PrePromotion', 'PostPromotion']);
  const header = renderRolloutTree(v, { now, color: false }).split('\n');
  assert.deepEqual(header.slice(4, 7), [
    'Strategy:        BlueGreen',
    'Analysis:        pre-promotion run api-5d8f7c6b9a-2-pre ✔ Successful',
    '                 post-promotion run api-5d8f7c6b9a-2-post ✖ Failed (Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1))',
  ]);
});

test('AnalysisRun status is read defensively: odd shapes give Pending and zeros, never a throw', () => {
  const run = {
    metadata: { name: 'odd', labels: { 'rollout-type': 'Experiment', 'step-index': 'two' }, ownerReferences: [{ uid: 'api-uid' }] },
    spec: { metrics: [{ name: 'a' }, { notAName: true }] },
    status: {
      phase: '',
      message: 'template "x" not found',
      metricResults: [
        { name: 'a', phase: 'Running', count: -1, successful: '3', measurements: [{ phase: 'Successful', value: 42 }] },
        { name: 'b', measurements: 'none' },
        { phase: 'Failed' },
      ],
    },
  } as unknown as AnalysisRunObject;
  const [v] = describeRollout(analysis.rollout, [], [], [run]).analysisRuns;
  assert.deepEqual(v, {
    name: 'odd', revision: 0, status: 'Pending', message: 'template "x" not found', successful: 0, failed: 0, inconclusive: 0, error: 0,
    metrics: [
      { name: 'a', phase: 'Running', dryRun: false, count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, latest: { phase: 'Successful' } },
      { name: 'b', phase: 'Pending', dryRun: false, count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 },
    ],
  });
  const rows = renderRolloutTree(describeRollout(analysis.rollout, [], [], [run]), { now, color: false }).split('\n');
  assert.ok(rows.some((l) => /α odd +AnalysisRun +◷ Pending +<unknown> +template "x" not found$/.test(l)), rows.join('\n'));
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
