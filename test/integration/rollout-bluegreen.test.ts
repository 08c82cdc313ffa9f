// The blue-green strategy end to end: a real Sluice process switches real Services between
// ReplicaSets made by the real ReplicaSet controller (pods made ready by the node simulator), with
// pre- and post-promotion AnalysisRuns measured by the web provider against a local HTTP server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { rolloutEnv, isHealthy, bgRollout, type RolloutEnv } from '../helpers/rollout-env.ts';
import { abort, promote, retry } from '../../src/engine/lifecycle.ts';
import type { BlueGreenStrategy, Rollout } from '../../src/engine/types.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { AnalysisRun } from '../../src/engine/analysis/types.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { testCluster } from '../helpers/cluster.ts';
import { runSluice } from '../helpers/sluice-process.ts';

const HASH = 'rollouts-pod-template-hash';
const DEADLINE = 'scale-down-deadline';

// The web check answers {"ok": true} under /pass and {"ok": false} under /fail; every request is
// recorded with the pod-template hash the Rollout passed in the URL.
let web: Server;
let webUrl: string;
const sockets = new Set<Socket>();
const checked: string[] = [];

before(async () => {
  web = createServer((req, res) => {
    checked.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: (req.url ?? '').startsWith('/pass') }));
  });
  web.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => web.close(() => r()));
});

const ref = (env: RolloutEnv) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: env.ns, name: 'web' });

/** A template whose single web measurement passes under /pass and fails under /fail. */
async function checkTemplate(env: RolloutEnv, name: string, verdict: 'pass' | 'fail') {
  await env.client.apply({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name, namespace: env.ns },
    spec: {
      args: [{ name: 'hash' }],
      metrics: [{ name: 'ok', successCondition: 'result == true', provider: { web: { url: `${webUrl}/${verdict}/{{args.hash}}`, jsonPath: '{$.ok}' } } }],
    },
  });
}
const gate = (template: string) => ({ templates: [{ templateName: template }], args: [{ name: 'hash', valueFrom: { podTemplateHashValue: 'Latest' as const } }] });

async function setImage(env: RolloutEnv, image: string) {
  await env.client.patch(ref(env), { spec: { template: { spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } } } });
}

/** What kubectl-argo-rollouts sends, computed by the same lifecycle functions the CLI uses. */
async function operate(env: RolloutEnv, op: (ro: Rollout) => { ok: boolean; patch?: { spec?: unknown; status?: unknown }; error?: string }) {
  const result = op(await env.rollout('web'));
  assert.ok(result.ok, result.error);
  if (result.patch?.status) await env.client.patchStatus(ref(env), { status: result.patch.status });
  if (result.patch?.spec) await env.client.patch(ref(env), { spec: result.patch.spec });
}

async function selectors(env: RolloutEnv): Promise<{ active?: string; preview?: string }> {
  const get = async (name: string) => ((await env.client.get({ apiVersion: 'v1', kind: 'Service', namespace: env.ns, name })) as { spec: { selector?: Record<string, string> } } | undefined)?.spec.selector?.[HASH];
  return { active: await get('web-active'), preview: await get('web-preview') };
}

async function replicasByHash(env: RolloutEnv): Promise<Record<string, number | undefined>> {
  return Object.fromEntries((await env.replicaSets('web')).map((rs) => [rs.metadata.labels?.[HASH] ?? '', rs.spec.replicas]));
}

async function waitForReplicas(env: RolloutEnv, want: Record<string, number>, timeoutMs = 30_000) {
  let seen: Record<string, number | undefined> = {};
  try {
    await waitFor('replica counts', async () => {
      seen = await replicasByHash(env);
      return Object.entries(want).every(([h, n]) => seen[h] === n);
    }, timeoutMs);
  } catch {
    assert.fail(`replicas by hash: want ${JSON.stringify(want)}, have ${JSON.stringify(seen)}`);
  }
}

async function runsOf(env: RolloutEnv): Promise<AnalysisRun[]> {
  return (await env.client.list<KubeObject>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', namespace: env.ns })).items as unknown as AnalysisRun[];
}

async function eventReasons(env: RolloutEnv): Promise<string[]> {
  const events = await env.client.list<KubeObject & { reason: string; message: string; involvedObject: { kind: string; name: string } }>({ apiVersion: 'v1', kind: 'Event', namespace: env.ns });
  return events.items.filter((e) => e.involvedObject.kind === 'Rollout').map((e) => `${e.reason}: ${e.message}`);
}

async function deploy(env: RolloutEnv, blueGreen: Partial<BlueGreenStrategy>, replicas = 2): Promise<string> {
  await env.services('web-active', 'web-preview');
  await env.client.apply(bgRollout(env.ns, blueGreen, replicas));
  const first = await env.waitForRollout('web', 'first deploy Healthy', isHealthy);
  const v1 = first.status?.stableRS ?? '';
  assert.ok(v1);
  assert.deepEqual(await selectors(env), { active: v1, preview: v1 }, 'the first deploy goes straight to active');
  assert.deepEqual(first.status?.blueGreen, { activeSelector: v1, previewSelector: v1 });
  assert.equal(first.status?.pauseConditions, undefined);
  return v1;
}

test('manual promotion: the preview comes up first, BlueGreenPause, promote switches, the old version goes after scaleDownDelaySeconds', async (t) => {
  const env = await rolloutEnv(t, 'bg-manual');
  const v1 = await deploy(env, { autoPromotionEnabled: false, scaleDownDelaySeconds: 3 });
  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'paused before the switch', (ro) => ro.status?.phase === 'Paused' && ro.status?.currentPodHash !== v1);
  const v2 = paused.status?.currentPodHash ?? '';
  assert.equal(paused.status?.message, 'BlueGreenPause');
  assert.deepEqual(paused.status?.pauseConditions?.map((c) => c.reason), ['BlueGreenPause']);
  assert.deepEqual(paused.status?.blueGreen, { activeSelector: v1, previewSelector: v2 });
  assert.equal(paused.status?.stableRS, v1);
  assert.deepEqual(await selectors(env), { active: v1, preview: v2 });
  assert.deepEqual(await replicasByHash(env), { [v1]: 2, [v2]: 2 }, 'both versions at full size');

  // The CLI shows the blue-green state and promotes as kubectl-argo-rollouts does.
  const cli = (...args: string[]) => runSluice([...args, '--kubeconfig', testCluster().kubeconfigPath, '-n', env.ns]);
  const got = await cli('get', 'rollout', 'web', '--no-color');
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /Status:\s+.*Paused/);
  assert.match(got.stdout, /Message:\s+BlueGreenPause/);
  assert.match(got.stdout, /Strategy:\s+BlueGreen/);
  assert.match(got.stdout, new RegExp(`web-${v2}\\s+ReplicaSet.*preview`));
  assert.match(got.stdout, new RegExp(`web-${v1}\\s+ReplicaSet.*stable,active`));
  const promoted = await cli('promote', 'web');
  assert.deepEqual([promoted.code, promoted.stdout], [0, "rollout 'web' promoted\n"]);
  const done = await env.waitForRollout('web', 'Healthy on v2', (ro) => isHealthy(ro) && ro.status?.stableRS === v2);
  assert.deepEqual(done.status?.blueGreen, { activeSelector: v2, previewSelector: v2 });
  assert.deepEqual(await selectors(env), { active: v2, preview: v2 });
  const old = (await env.replicaSets('web')).find((rs) => rs.metadata.labels?.[HASH] === v1);
  const deadline = old?.metadata.annotations?.[DEADLINE];
  if (old?.spec.replicas !== 0) assert.ok(deadline && Date.parse(deadline) > Date.now() - 5_000, `the old ReplicaSet carries ${DEADLINE}: ${deadline}`);
  await waitForReplicas(env, { [v1]: 0, [v2]: 2 });
  const events = await eventReasons(env);
  assert.ok(events.includes(`SwitchService: Switched selector for service 'web-active' from '${v1}' to '${v2}'`), events.join('\n'));
  for (const reason of ['RolloutPaused', 'RolloutCompleted', 'ScalingReplicaSet']) assert.ok(events.some((e) => e.startsWith(`${reason}:`)), `event ${reason}`);
});

test('automatic promotion autoPromotionSeconds after the preview is ready', async (t) => {
  const env = await rolloutEnv(t, 'bg-auto');
  const v1 = await deploy(env, { autoPromotionSeconds: 3 });
  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'BlueGreenPause', (ro) => ro.status?.message === 'BlueGreenPause');
  const startedAt = Date.parse(paused.status?.pauseConditions?.[0]?.startTime ?? '');
  assert.equal((await selectors(env)).active, v1);
  const done = await env.waitForRollout('web', 'switched by itself', (ro) => isHealthy(ro) && ro.status?.stableRS !== v1, 30_000);
  const switchedAfterMs = Date.now() - startedAt;
  assert.ok(switchedAfterMs >= 3_000, `switched ${switchedAfterMs} ms after the pause started`);
  assert.ok(switchedAfterMs < 12_000, `switched ${switchedAfterMs} ms after the pause started (a timer, not a resync)`);
  assert.equal((await selectors(env)).active, done.status?.stableRS);
});

test('pre-promotion analysis failing: aborted, the active Service never switched', async (t) => {
  const env = await rolloutEnv(t, 'bg-pre-fail');
  await checkTemplate(env, 'smoke', 'fail');
  const v1 = await deploy(env, { prePromotionAnalysis: gate('smoke'), abortScaleDownDelaySeconds: 2 });
  assert.deepEqual(await runsOf(env), [], 'no analysis on the first deploy');
  await setImage(env, 'example/web:2');
  const aborted = await env.waitForRollout('web', 'aborted by the analysis', (ro) => ro.status?.phase === 'Degraded' && ro.status?.abort === true, 60_000);
  const v2 = aborted.status?.currentPodHash ?? '';
  assert.match(aborted.status?.message ?? '', /^RolloutAborted: Rollout aborted update to revision 2: Metric "ok" assessed Failed/);
  assert.deepEqual(aborted.status?.blueGreen?.prePromotionAnalysisRunStatus?.name, `web-${v2}-2-pre`);
  assert.equal(aborted.status?.blueGreen?.prePromotionAnalysisRunStatus?.status, 'Failed');
  const [run] = await runsOf(env);
  assert.equal(run?.metadata?.labels?.['rollout-type'], 'PrePromotion');
  assert.ok(checked.includes(`/fail/${v2}`), 'the check ran against the preview');
  await waitForReplicas(env, { [v1]: 2, [v2]: 0 });
  assert.equal((await selectors(env)).active, v1, 'never switched');
  const events = await eventReasons(env);
  assert.ok(!events.some((e) => e.startsWith(`SwitchService: Switched selector for service 'web-active' from '${v1}'`)), events.join('\n'));
  assert.equal((await env.rollout('web')).status?.stableRS, v1);
});

test('pre-promotion analysis passing: the switch follows the Successful run', async (t) => {
  const env = await rolloutEnv(t, 'bg-pre-pass');
  await checkTemplate(env, 'smoke', 'pass');
  const v1 = await deploy(env, { prePromotionAnalysis: gate('smoke') });
  await setImage(env, 'example/web:2');
  const done = await env.waitForRollout('web', 'Healthy on v2', (ro) => isHealthy(ro) && ro.status?.stableRS !== v1, 60_000);
  const v2 = done.status?.stableRS ?? '';
  assert.deepEqual(done.status?.blueGreen?.prePromotionAnalysisRunStatus, { name: `web-${v2}-2-pre`, status: 'Successful' });
  assert.deepEqual(await selectors(env), { active: v2, preview: v2 });
  const runs = await runsOf(env);
  assert.equal(runs.length, 1);
  assert.equal(runs[0]?.status?.phase, 'Successful');
  const events = await eventReasons(env);
  assert.ok(events.some((e) => e.startsWith(`AnalysisRunSuccessful: PrePromotion Analysis Run 'web-${v2}-2-pre'`)), events.join('\n'));
});

test('post-promotion analysis failing: switched, then switched back to the stable version', async (t) => {
  const env = await rolloutEnv(t, 'bg-post-fail');
  await checkTemplate(env, 'soak', 'fail');
  const v1 = await deploy(env, { postPromotionAnalysis: gate('soak'), abortScaleDownDelaySeconds: 2 });
  await setImage(env, 'example/web:2');
  const aborted = await env.waitForRollout('web', 'aborted by post-promotion analysis', (ro) => ro.status?.abort === true && ro.status?.blueGreen?.activeSelector === v1, 60_000);
  const v2 = aborted.status?.currentPodHash ?? '';
  assert.equal(aborted.status?.phase, 'Degraded');
  assert.equal(aborted.status?.stableRS, v1, 'the new version never became stable');
  assert.equal(aborted.status?.blueGreen?.postPromotionAnalysisRunStatus?.name, `web-${v2}-2-post`);
  const events = await eventReasons(env);
  assert.ok(events.includes(`SwitchService: Switched selector for service 'web-active' from '${v1}' to '${v2}'`), 'switched to v2 first');
  assert.ok(events.includes(`SwitchService: Switched selector for service 'web-active' from '${v2}' to '${v1}'`), 'then back to v1');
  assert.deepEqual(await selectors(env), { active: v1, preview: v2 });
  await waitForReplicas(env, { [v1]: 2, [v2]: 0 });
});

test('abort while paused: Degraded, active untouched, the preview scaled down after abortScaleDownDelaySeconds; retry pauses again', async (t) => {
  const env = await rolloutEnv(t, 'bg-abort');
  const v1 = await deploy(env, { autoPromotionEnabled: false, abortScaleDownDelaySeconds: 2 });
  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'BlueGreenPause', (ro) => ro.status?.message === 'BlueGreenPause');
  const v2 = paused.status?.currentPodHash ?? '';
  await operate(env, abort);
  const aborted = await env.waitForRollout('web', 'Degraded', (ro) => ro.status?.phase === 'Degraded');
  assert.equal(aborted.status?.message, 'RolloutAborted: Rollout aborted update to revision 2');
  assert.equal(aborted.status?.pauseConditions, undefined);
  await waitForReplicas(env, { [v1]: 2, [v2]: 0 });
  assert.deepEqual(await selectors(env), { active: v1, preview: v2 });
  await operate(env, retry);
  await env.waitForRollout('web', 'paused again after retry', (ro) => ro.status?.abort !== true && ro.status?.message === 'BlueGreenPause');
  await waitForReplicas(env, { [v1]: 2, [v2]: 2 });
  assert.equal((await selectors(env)).active, v1);
});

test('a template change while the preview is up: the preview moves to the newest version, the superseded one is scaled down', async (t) => {
  const env = await rolloutEnv(t, 'bg-change');
  const v1 = await deploy(env, { autoPromotionEnabled: false, scaleDownDelaySeconds: 2 });
  await setImage(env, 'example/web:2');
  const p2 = await env.waitForRollout('web', 'v2 paused', (ro) => ro.status?.message === 'BlueGreenPause' && ro.status?.currentPodHash !== v1);
  const v2 = p2.status?.currentPodHash ?? '';
  await setImage(env, 'example/web:3');
  const p3 = await env.waitForRollout('web', 'v3 paused', (ro) => ro.status?.message === 'BlueGreenPause' && ro.status?.currentPodHash !== v2 && ro.status?.currentPodHash !== v1);
  const v3 = p3.status?.currentPodHash ?? '';
  assert.deepEqual(await selectors(env), { active: v1, preview: v3 });
  await waitForReplicas(env, { [v1]: 2, [v2]: 0, [v3]: 2 });
  await operate(env, (ro) => promote(ro));
  await env.waitForRollout('web', 'Healthy on v3', (ro) => isHealthy(ro) && ro.status?.stableRS === v3);
  await waitForReplicas(env, { [v1]: 0, [v2]: 0, [v3]: 2 });
  assert.equal((await env.replicaSets('web')).length, 3, 'one ReplicaSet per revision');
});

test('Sluice killed between the active switch and the stable update, then restarted: converges without duplicates', async (t) => {
  const env = await rolloutEnv(t, 'bg-kill');
  const v1 = await deploy(env, { autoPromotionEnabled: false, scaleDownDelaySeconds: 2 });
  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'BlueGreenPause', (ro) => ro.status?.message === 'BlueGreenPause');
  const v2 = paused.status?.currentPodHash ?? '';
  // Exactly the state a reconcile killed after switching the active Service leaves behind: the
  // Service selects v2 (and is managed by the Rollout), the status still says v1 is active and stable.
  await env.sluice.stop('SIGKILL');
  await operate(env, (ro) => promote(ro));
  await env.client.patch({ apiVersion: 'v1', kind: 'Service', namespace: env.ns, name: 'web-active' }, { spec: { selector: { [HASH]: v2 } } });
  const stale = await env.rollout('web');
  assert.equal(stale.status?.blueGreen?.activeSelector, v1);
  assert.equal(stale.status?.stableRS, v1);
  await env.restartSluice();
  const done = await env.waitForRollout('web', 'Healthy on v2 after restart', (ro) => isHealthy(ro) && ro.status?.stableRS === v2);
  assert.deepEqual(done.status?.blueGreen, { activeSelector: v2, previewSelector: v2 });
  await waitForReplicas(env, { [v1]: 0, [v2]: 2 });
  assert.equal((await env.replicaSets('web')).length, 2, 'no duplicate ReplicaSet');
});

test('Sluice killed while post-promotion analysis runs, then restarted: the same run decides, no second run', async (t) => {
  const env = await rolloutEnv(t, 'bg-kill-post');
  await env.client.apply({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'soak', namespace: env.ns },
    spec: {
      args: [{ name: 'hash' }],
      metrics: [{ name: 'ok', interval: '1s', count: 4, successCondition: 'result == true', provider: { web: { url: `${webUrl}/pass/{{args.hash}}`, jsonPath: '{$.ok}' } } }],
    },
  });
  const v1 = await deploy(env, { postPromotionAnalysis: gate('soak') });
  await setImage(env, 'example/web:2');
  const switched = await env.waitForRollout('web', 'switched, waiting for post-promotion analysis', (ro) => ro.status?.blueGreen?.postPromotionAnalysisRunStatus !== undefined && ro.status?.stableRS === v1);
  const v2 = switched.status?.currentPodHash ?? '';
  assert.equal(switched.status?.message, 'waiting for analysis to complete');
  assert.deepEqual(await selectors(env), { active: v2, preview: v2 });
  await env.sluice.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 1_500));
  await env.restartSluice();
  await env.waitForRollout('web', 'Healthy on v2', (ro) => isHealthy(ro) && ro.status?.stableRS === v2, 60_000);
  const runs = await runsOf(env);
  assert.deepEqual(runs.map((r) => [r.metadata?.name, r.status?.phase]), [[`web-${v2}-2-post`, 'Successful']]);
  assert.equal((await env.replicaSets('web')).length, 2);
});

test('bad input: a missing active Service is InvalidSpec naming the field; nothing is created or switched', async (t) => {
  const env = await rolloutEnv(t, 'bg-invalid');
  await env.services('web-preview');
  await env.client.apply(bgRollout(env.ns, {}));
  const ro = await env.waitForRollout('web', 'InvalidSpec', (r) => r.status?.conditions?.some((c) => c.type === 'InvalidSpec') === true);
  assert.equal(ro.status?.phase, 'Degraded');
  assert.equal(ro.status?.message, 'InvalidSpec: The Rollout "web" is invalid: spec.strategy.blueGreen.activeService: Invalid value: "web-active": services "web-active" not found');
  assert.equal((await env.replicaSets('web')).length, 0);
  assert.equal((await selectors(env)).preview, undefined, 'the preview Service is not touched');
});
