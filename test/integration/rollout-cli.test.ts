// The Rollout commands of the `sluice` CLI as a real process against the test bed, on Rollouts
// written with a status by hand (no controller runs): each verb's patch, get/list/status output,
// and one-line errors with exit 1 (not found, not possible) or 2 (bad arguments).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { runSluice, SLUICE_BIN } from '../helpers/sluice-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { Rollout } from '../../src/engine/types.ts';
import { aborted, createAnalysisRun, createReplicaSet, createRollout, healthy, pausedAtStep, rolloutRef } from '../helpers/rollout-objects.ts';
import type { AnalysisRunView, RolloutSummary } from '../../src/ports/rollout-commands.ts';

const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig);
before(() => installCrds(cluster.kubeConfig));
after(() => client.close());

const sluice = (ns: string, ...args: string[]) => runSluice([...args, '--kubeconfig', cluster.kubeconfigPath, '-n', ns]);
const read = async (ns: string, name: string) => (await client.get(rolloutRef(ns, name))) as unknown as Rollout;

test('promote clears the pause conditions, then moves past a running step; --full sets status.promoteFull', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-promote');
  await createRollout(client, ns, 'web', { paused: true, status: pausedAtStep() });

  const first = await sluice(ns, 'promote', 'web');
  assert.deepEqual([first.code, first.stdout, first.stderr], [0, "rollout 'web' promoted\n", '']);
  let ro = await read(ns, 'web');
  assert.equal(ro.status?.pauseConditions, undefined);
  assert.equal(ro.spec.paused, false);
  assert.equal(ro.status?.currentStepIndex, 1, 'clearing a pause does not also skip a step');

  // Nothing paused any more: promote skips the current step, as kubectl-argo-rollouts does.
  assert.equal((await sluice(ns, 'promote', 'web')).code, 0);
  ro = await read(ns, 'web');
  assert.equal(ro.status?.currentStepIndex, 2);

  const full = await sluice(ns, 'promote', 'web', '--full');
  assert.deepEqual([full.code, full.stdout], [0, "rollout 'web' fully promoted\n"]);
  assert.equal((await read(ns, 'web')).status?.promoteFull, true);
});

test('abort sets status.abort, retry clears it, pause sets spec.paused', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-abort');
  await createRollout(client, ns, 'web', { status: pausedAtStep() });
  assert.deepEqual(await sluice(ns, 'abort', 'web'), { code: 0, stdout: "rollout 'web' aborted\n", stderr: '' });
  assert.equal((await read(ns, 'web')).status?.abort, true);
  assert.deepEqual(await sluice(ns, 'retry', 'rollout', 'web'), { code: 0, stdout: "rollout 'web' retried\n", stderr: '' });
  assert.equal((await read(ns, 'web')).status?.abort, false);
  assert.deepEqual(await sluice(ns, 'pause', 'web'), { code: 0, stdout: "rollout 'web' paused\n", stderr: '' });
  assert.equal((await read(ns, 'web')).spec.paused, true);
});

test('restart sets spec.restartAt to now plus --in', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-restart');
  await createRollout(client, ns, 'web');
  const before = Date.now();
  const res = await sluice(ns, 'restart', 'web', '--in', '10s');
  assert.deepEqual([res.code, res.stdout], [0, "rollout 'web' restarts in 10s\n"]);
  const at = Date.parse((await read(ns, 'web')).spec.restartAt ?? '');
  assert.ok(at >= Math.floor(before / 1000) * 1000 + 10_000 && at <= Date.now() + 10_000, `restartAt ${new Date(at).toISOString()} is about 10 s from now`);
  const bad = await sluice(ns, 'restart', 'web', '--in', 'soon');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^sluice: option '-i, --in <duration>' argument 'soon' is invalid\. .*\n$/);
});

test('set image changes one container or all; an unknown container is exit 1, a bad argument exit 2', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-image');
  await createRollout(client, ns, 'web', { image: 'nginx:1.25' });
  assert.deepEqual(await sluice(ns, 'set', 'image', 'web', 'app=nginx:1.26'), { code: 0, stdout: 'rollout "web" image updated\n', stderr: '' });
  const image = async () => ((await read(ns, 'web')).spec.template?.spec?.containers as Array<{ image: string }>).map((c) => c.image);
  assert.deepEqual(await image(), ['nginx:1.26']);
  assert.equal((await sluice(ns, 'set', 'image', 'web', '*=nginx:1.27')).code, 0);
  assert.deepEqual(await image(), ['nginx:1.27']);

  const unknown = await sluice(ns, 'set', 'image', 'web', 'sidecar=envoy:1');
  assert.deepEqual(unknown, { code: 1, stdout: '', stderr: 'sluice: cannot set the image of rollout "web": unable to find container named "sidecar"\n' });
  const malformed = await sluice(ns, 'set', 'image', 'web', 'nginx:1.28');
  assert.deepEqual(malformed, { code: 2, stdout: '', stderr: 'sluice: expected CONTAINER=IMAGE, got "nginx:1.28"\n' });
});

test("undo --to-revision puts that ReplicaSet's template back whole; unknown revisions are exit 1", async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-undo');
  // Revision 2 added a label and changed the image; going back must drop the label, not merge.
  const ro = await createRollout(client, ns, 'web', { image: 'nginx:1.26', templateLabels: { track: 'new' } });
  await createReplicaSet(client, ro, { hash: 'aaaa1', revision: 1, image: 'nginx:1.25' });
  await createReplicaSet(client, ro, { hash: 'bbbb2', revision: 2, image: 'nginx:1.26', templateLabels: { track: 'new' } });

  assert.deepEqual(await sluice(ns, 'undo', 'web', '--to-revision', '1'), { code: 0, stdout: "rollout 'web' undo\n", stderr: '' });
  const template = (await read(ns, 'web')).spec.template;
  assert.deepEqual(template?.metadata?.labels, { app: 'web' }, 'hash label removed, revision-2 label gone');
  assert.equal((template?.spec?.containers as Array<{ image: string }>)[0]?.image, 'nginx:1.25');

  assert.deepEqual(await sluice(ns, 'undo', 'web', '--to-revision', '1'), { code: 0, stdout: 'skipped rollback (current template already matches revision 1)\n', stderr: '' });
  assert.equal((await sluice(ns, 'undo', 'web', '--to-revision', '2')).code, 0);
  assert.deepEqual((await read(ns, 'web')).spec.template?.metadata?.labels, { app: 'web', track: 'new' });
  // Without --to-revision: the revision before the newest one.
  assert.deepEqual(await sluice(ns, 'undo', 'web'), { code: 0, stdout: "rollout 'web' undo\n", stderr: '' });
  const previous = (await read(ns, 'web')).spec.template;
  assert.deepEqual(previous?.metadata?.labels, { app: 'web' });
  assert.equal((previous?.spec?.containers as Array<{ image: string }>)[0]?.image, 'nginx:1.25');

  assert.deepEqual(await sluice(ns, 'undo', 'web', '--to-revision', '9'), { code: 1, stdout: '', stderr: 'sluice: cannot undo rollout "web": unable to find specified revision 9 in history\n' });
  const bad = await sluice(ns, 'undo', 'web', '--to-revision', 'last');
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.split('\n').length, 2, 'one line');
});

test('an unknown rollout is one line on stderr and exit 1, for every verb', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-missing');
  const verbs = [['promote', 'nope'], ['abort', 'nope'], ['retry', 'rollout', 'nope'], ['pause', 'nope'], ['undo', 'nope'], ['restart', 'nope'], ['set', 'image', 'nope', 'a=b'], ['get', 'rollout', 'nope'], ['status', 'nope']];
  const results = await Promise.all(verbs.map((args) => sluice(ns, ...args)));
  results.forEach((res, i) => assert.deepEqual(res, { code: 1, stdout: '', stderr: `sluice: rollout "nope" not found in namespace "${ns}"\n` }, verbs[i]?.join(' ')));
});

test('get rollout shows the tree of revisions, ReplicaSets, pods and AnalysisRuns with their metrics; -o json|yaml print the object and its views', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-get');
  const at = `${new Date().toISOString().slice(0, 19)}Z`;
  const ro = await createRollout(client, ns, 'web', {
    replicas: 1,
    image: 'nginx:1.26',
    status: { ...pausedAtStep(), replicas: 2, readyReplicas: 2, availableReplicas: 2, canary: { currentStepAnalysisRunStatus: { name: 'web-bbbb2-2-1', status: 'Running' } } },
  });
  await createReplicaSet(client, ro, { hash: 'aaaa1', revision: 1, image: 'nginx:1.25', replicas: 1 });
  await createReplicaSet(client, ro, { hash: 'bbbb2', revision: 2, image: 'nginx:1.26', replicas: 1 });
  const prometheus = { prometheus: { address: 'http://prometheus.monitoring:9090', query: 'sum(rate(http_requests_total[1m]))' } };
  await createAnalysisRun(client, ro, {
    name: 'web-bbbb2-2-1',
    revision: 2,
    type: 'Step',
    stepIndex: 1,
    metrics: [
      { name: 'success-rate', interval: '10s', count: 3, successCondition: 'result[0] >= 0.95', provider: prometheus },
      { name: 'error-rate', successCondition: 'result[0] <= 0.01', provider: prometheus },
    ],
    status: {
      phase: 'Running',
      startedAt: at,
      metricResults: [
        {
          name: 'success-rate', phase: 'Running', count: 2, successful: 2,
          measurements: [{ phase: 'Successful', value: '[0.98]', startedAt: at, finishedAt: at }, { phase: 'Successful', value: '[0.99]', startedAt: at, finishedAt: at }],
        },
        { name: 'error-rate', phase: 'Failed', dryRun: true, count: 1, failed: 1, measurements: [{ phase: 'Failed', value: '[0.2]', startedAt: at, finishedAt: at }] },
      ],
    },
  });
  // The ReplicaSet controller makes the pods and the node simulator runs them.
  await waitFor('two running pods', async () => (await sluice(ns, 'get', 'rollout', 'web')).stdout.match(/Pod {2,}✔ Running/g)?.length === 2, 30_000, 500);

  const res = await sluice(ns, 'get', 'rollout', 'web');
  assert.equal(res.code, 0);
  const lines = res.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 18), [
    'Name:            web',
    `Namespace:       ${ns}`,
    'Status:          ॥ Paused',
    'Message:         CanaryPauseStep',
    'Strategy:        Canary',
    '  Step:          1/4',
    '  SetWeight:     20',
    '  ActualWeight:  50',
    'Analysis:        step run web-bbbb2-2-1 ◌ Running',
    'Images:          nginx:1.25 (stable)',
    '                 nginx:1.26 (canary)',
    'Replicas:',
    '  Desired:       1',
    '  Current:       2',
    '  Updated:       1',
    '  Ready:         2',
    '  Available:     2',
    '',
  ]);
  const tree = [
    /^NAME +KIND +STATUS +AGE +INFO$/,
    /^⟳ web +Rollout +॥ Paused +\d+s$/,
    /^├──# revision:2$/,
    /^│  ├──⧉ web-bbbb2 +ReplicaSet +✔ Healthy +\d+s +canary$/,
    /^│  │  └──□ web-bbbb2-\w{5} +Pod +✔ Running +\d+s +ready:1\/1$/,
    /^│  └──α web-bbbb2-2-1 +AnalysisRun +◌ Running +\d+s +✔ 2,✖ 1,step:1$/,
    /^│     ├──◇ success-rate +Metric +◌ Running +\d+s +✔ \[0\.99\] \(2\/2\)$/,
    /^│     └──◇ error-rate +Metric +✖ Failed +\d+s +\[0\.2\] \(0\/1\) dry-run$/,
    /^└──# revision:1$/,
    /^ {3}└──⧉ web-aaaa1 +ReplicaSet +✔ Healthy +\d+s +stable$/,
    /^ {6}└──□ web-aaaa1-\w{5} +Pod +✔ Running +\d+s +ready:1\/1$/,
  ];
  tree.forEach((re, i) => assert.match(lines[18 + i] ?? '', re));
  assert.doesNotMatch(res.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');

  const json = await sluice(ns, 'get', 'rollout', 'web', '-o', 'json');
  assert.equal(json.code, 0);
  const doc = JSON.parse(json.stdout) as { rollout: Rollout; summary: RolloutSummary; replicaSets: unknown[]; analysisRuns: AnalysisRunView[] };
  assert.deepEqual(Object.keys(doc), ['rollout', 'summary', 'replicaSets', 'analysisRuns'], 'the keys of the API document');
  assert.deepEqual([doc.rollout.kind, doc.rollout.metadata.name, doc.rollout.status?.currentStepIndex], ['Rollout', 'web', 1]);
  assert.deepEqual(doc.summary.currentAnalysisRuns, [{ type: 'Step', name: 'web-bbbb2-2-1', status: 'Running' }]);
  assert.deepEqual(doc.analysisRuns.map((r) => [r.name, r.type, r.stepIndex, r.successful, r.failed, r.metrics.map((m) => [m.name, m.phase, m.latest?.value, m.dryRun])]), [
    ['web-bbbb2-2-1', 'Step', 1, 2, 1, [['success-rate', 'Running', '[0.99]', false], ['error-rate', 'Failed', '[0.2]', true]]],
  ]);
  const yaml = await sluice(ns, 'get', 'rollout', 'web', '-o', 'yaml');
  assert.match(yaml.stdout, /^rollout:\n {2}apiVersion: argoproj.io\/v1alpha1\n {2}kind: Rollout\n/);
  assert.match(yaml.stdout, /\n {4}metrics:\n {6}- name: success-rate\n {8}phase: Running\n/);
  assert.equal((await sluice(ns, 'get', 'rollout', 'web', '-o', 'xml')).code, 2);
});

test('get rollout --watch prints again on a change and exits cleanly on SIGINT', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-watch');
  await createRollout(client, ns, 'web', { status: pausedAtStep() });
  const child = spawn(process.execPath, [SLUICE_BIN, 'get', 'rollout', 'web', '-w', '--kubeconfig', cluster.kubeconfigPath, '-n', ns], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await waitFor('the first tree', () => out.includes('Status:          ॥ Paused'), 30_000);
  await client.patch(rolloutRef(ns, 'web'), { status: { pauseConditions: null } }, { subresource: 'status' });
  await waitFor('the tree redrawn after the change', () => out.split('Name:            web').length === 3, 30_000);
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('list rollouts prints the table of a namespace, -A adds the namespace column', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-list');
  await createRollout(client, ns, 'api', { status: healthy() });
  await createRollout(client, ns, 'web', { status: pausedAtStep() });
  const res = await sluice(ns, 'list', 'rollouts');
  assert.deepEqual(res, {
    code: 0,
    stderr: '',
    stdout: [
      'NAME  STRATEGY  STATUS   STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE',
      'api   Canary    Healthy  4/4   100         2/2    2        2           2',
      'web   Canary    Paused   1/4   20          3/3    2        1           3',
      '',
    ].join('\n'),
  });
  const all = await runSluice(['list', 'rollouts', '-A', '--kubeconfig', cluster.kubeconfigPath]);
  assert.equal(all.code, 0);
  assert.match(all.stdout, /^NAMESPACE +NAME +STRATEGY/);
  assert.match(all.stdout, new RegExp(`^${ns} +web +Canary +Paused +1/4 +20 `, 'm'));
  const empty = await sluice(await cluster.newNamespace(t, 'cli-list-empty'), 'list', 'rollouts');
  assert.deepEqual(empty, { code: 0, stdout: '', stderr: 'No resources found.\n' });
});

test('status exits 0 on Healthy, 1 on Degraded and 1 when the timeout passes, printing the phases', async (t) => {
  const ns = await cluster.newNamespace(t, 'cli-status');
  await createRollout(client, ns, 'good', { status: healthy() });
  await createRollout(client, ns, 'bad', { status: aborted() });
  await createRollout(client, ns, 'slow', { status: pausedAtStep() });

  assert.deepEqual(await sluice(ns, 'status', 'good'), { code: 0, stdout: 'Healthy\n', stderr: '' });
  assert.deepEqual(await sluice(ns, 'status', 'bad'), {
    code: 1,
    stdout: 'Degraded - RolloutAborted: Rollout aborted update to revision 2\n',
    stderr: "sluice: rollout 'bad' is Degraded: RolloutAborted: Rollout aborted update to revision 2\n",
  });
  const started = Date.now();
  const slow = await sluice(ns, 'status', 'slow', '--timeout', '2s');
  assert.deepEqual(slow, { code: 1, stdout: 'Paused - CanaryPauseStep\n', stderr: "sluice: rollout 'slow' still Paused (CanaryPauseStep) after 2s\n" });
  assert.ok(Date.now() - started >= 2000);

  // Waits through the phase changes until the Rollout is Healthy.
  const child = spawn(process.execPath, [SLUICE_BIN, 'status', 'slow', '--timeout', '60s', '--kubeconfig', cluster.kubeconfigPath, '-n', ns], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await waitFor('the first phase line', () => out.length > 0, 30_000);
  await client.patchStatus(rolloutRef(ns, 'slow'), { status: { ...healthy(), pauseConditions: null, controllerPause: null } });
  assert.equal(await exited, 0);
  assert.equal(out, 'Paused - CanaryPauseStep\nHealthy\n');
});
