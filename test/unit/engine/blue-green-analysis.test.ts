// Blue-green analysis gates through the simulated cluster: pre-promotion analysis against the full
// preview (Successful: switch; Failed/Error: abort, never switched; Inconclusive: pause, promote
// runs it again), post-promotion analysis after the switch (Successful: stable; Failed: switched
// back), run names/labels as Argo's, termination on abort and full promotion, retry after a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlueGreenStrategy, RolloutAnalysis } from '../../../src/engine/types.ts';
import type { AnalysisTemplate } from '../../../src/engine/analysis/types.ts';
import { promote } from '../../../src/engine/lifecycle.ts';
import { decide } from '../../../src/engine/decide.ts';
import { advance, findRun, newSim, runToRest, setRunPhase, settle, type Sim } from './cluster-sim.ts';
import { bgRollout, patch, selectorOf, setImage, sizes } from './blue-green-sim.ts';

const smoke: AnalysisTemplate = {
  metadata: { name: 'smoke', namespace: 'default' },
  spec: { args: [{ name: 'hash' }], metrics: [{ name: 'smoke', successCondition: 'result == "ok"', provider: { web: { url: 'http://smoke/{{args.hash}}' } } }] },
};
const gate: RolloutAnalysis = { templates: [{ templateName: 'smoke' }], args: [{ name: 'hash', valueFrom: { podTemplateHashValue: 'Latest' } }] };

function deployed(bg: Partial<BlueGreenStrategy>): Sim {
  const sim = newSim(bgRollout(bg), new Date('2025-01-01T00:00:00Z'), ['web-active', 'web-preview']);
  sim.observed.analysisTemplates = { smoke };
  sim.observed.analysisRuns = [];
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.deepEqual(sim.observed.analysisRuns, [], 'the first deploy runs no analysis');
  sim.events.length = 0;
  return sim;
}

const runNames = (sim: Sim) => (sim.observed.analysisRuns ?? []).map((r) => r.metadata?.name);

test('pre-promotion: the run starts once the preview is fully available and blocks the switch until Successful', () => {
  const sim = deployed({ prePromotionAnalysis: gate });
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  sim.podsBecomeAvailable = false;
  runToRest(sim);
  assert.deepEqual(runNames(sim), [], 'no run while the preview is not available');
  sim.podsBecomeAvailable = true;
  settle(sim);
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash ?? '';
  const name = `web-${v2}-2-pre`;
  assert.deepEqual(runNames(sim), [name]);
  const run = findRun(sim, name);
  assert.deepEqual(run.metadata?.labels, { 'rollouts-pod-template-hash': v2, 'rollout-type': 'PrePromotion', app: 'web' });
  assert.deepEqual(run.spec.args, [{ name: 'hash', value: v2 }]);
  assert.deepEqual(sim.rollout.status?.blueGreen?.prePromotionAnalysisRunStatus, { name, status: '' });
  assert.equal(selectorOf(sim, 'web-active'), v1, 'not switched while the analysis runs');
  assert.equal(sim.rollout.status?.phase, 'Progressing');
  assert.equal(sim.rollout.status?.message, 'active service cutover pending');

  setRunPhase(sim, name, 'Running');
  runToRest(sim);
  assert.ok(sim.events.includes(`AnalysisRunRunning: PrePromotion Analysis Run '${name}' Status New: 'Running' Previous: 'NoPreviousStatus'`), sim.events.join('\n'));
  assert.equal(selectorOf(sim, 'web-active'), v1);

  setRunPhase(sim, name, 'Successful');
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), v2, 'Successful: switched (autoPromotionEnabled defaults to true)');
  assert.equal(sim.rollout.status?.stableRS, v2);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.deepEqual(sim.rollout.status?.blueGreen?.prePromotionAnalysisRunStatus, { name, status: 'Successful' }, 'still reported after the switch');
  assert.ok(sim.events.includes(`AnalysisRunSuccessful: PrePromotion Analysis Run '${name}' Status New: 'Successful' Previous: 'Running'`));
  assert.deepEqual(runNames(sim), [name], 'no second run');
});

test('pre-promotion with autoPromotionEnabled: false: the BlueGreenPause comes after the analysis passed', () => {
  const sim = deployed({ prePromotionAnalysis: gate, autoPromotionEnabled: false });
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  assert.equal(sim.rollout.status?.pauseConditions, undefined, 'no pause while the analysis runs');
  setRunPhase(sim, name, 'Successful');
  runToRest(sim);
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause');
  patch(sim, { status: { pauseConditions: null } });
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), sim.rollout.status?.currentPodHash);
  assert.deepEqual(runNames(sim), [name], 'promoting out of the pause does not run the analysis again');
});

test('pre-promotion Failed: aborted with the run message, never switched, preview scaled down after the delay', () => {
  const sim = deployed({ prePromotionAnalysis: gate });
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  setRunPhase(sim, name, 'Failed', 'Metric "smoke" assessed Failed due to failed (1) > failureLimit (0)');
  runToRest(sim);
  const s = sim.rollout.status;
  assert.equal(s?.abort, true);
  assert.equal(s?.phase, 'Degraded');
  assert.equal(s?.message, 'RolloutAborted: Rollout aborted update to revision 2: Metric "smoke" assessed Failed due to failed (1) > failureLimit (0)');
  assert.equal(selectorOf(sim, 'web-active'), v1);
  assert.ok(sim.events.some((e) => e.startsWith(`AnalysisRunFailed: PrePromotion Analysis Run '${name}' Status New: 'Failed'`)));
  advance(sim, 30_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 3, '2': 0 });
  assert.equal(selectorOf(sim, 'web-active'), v1, 'never switched');
  assert.deepEqual(runNames(sim), [name]);
});

test('retry after a failed pre-promotion analysis runs it again instead of aborting at once (argo-rollouts#2824)', () => {
  const sim = deployed({ prePromotionAnalysis: gate });
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  setRunPhase(sim, name, 'Failed', 'failed');
  runToRest(sim);
  advance(sim, 30_000);
  runToRest(sim);
  assert.equal(sizes(sim)['2'], 0);
  patch(sim, { status: { abort: false } });
  runToRest(sim);
  assert.equal(sim.rollout.status?.abort, undefined, 'not aborted again by the old run');
  assert.deepEqual(runNames(sim), [name, `${name}.1`], 'a new run once the preview is back up');
  assert.deepEqual(sim.rollout.status?.blueGreen?.prePromotionAnalysisRunStatus, { name: `${name}.1`, status: '' });
  setRunPhase(sim, `${name}.1`, 'Successful');
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
});

test('pre-promotion Inconclusive pauses (InconclusiveAnalysisRun); promote starts a new run', () => {
  const sim = deployed({ prePromotionAnalysis: gate });
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  setRunPhase(sim, name, 'Inconclusive');
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Paused');
  assert.equal(sim.rollout.status?.message, 'InconclusiveAnalysisRun');
  assert.equal(selectorOf(sim, 'web-active'), v1);
  const p = promote(sim.rollout);
  assert.ok(p.ok);
  assert.deepEqual(p.patch, { status: { pauseConditions: null } });
  patch(sim, p.patch);
  runToRest(sim);
  assert.deepEqual(runNames(sim), [name, `${name}.1`]);
  assert.equal(selectorOf(sim, 'web-active'), v1, 'still gated by the new run');
});

test('abort while the pre-promotion analysis runs terminates it', () => {
  const sim = deployed({ prePromotionAnalysis: gate });
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  setRunPhase(sim, name, 'Running');
  patch(sim, { status: { abort: true } });
  const d = decide(sim.rollout, sim.observed, sim.now);
  assert.ok(d.actions.some((a) => a.kind === 'terminateAnalysisRun' && a.name === name));
});

test('promote --full skips a running pre-promotion analysis (terminated) and switches', () => {
  const sim = deployed({ prePromotionAnalysis: gate });
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  setRunPhase(sim, name, 'Running');
  patch(sim, { status: { promoteFull: true } });
  runToRest(sim);
  assert.equal(findRun(sim, name).spec.terminate, true);
  assert.equal(selectorOf(sim, 'web-active'), sim.rollout.status?.currentPodHash);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
});

test('post-promotion: runs after the switch; stable (and the old version scaled down) only once it passed', () => {
  const sim = deployed({ postPromotionAnalysis: gate });
  const v1 = sim.rollout.status?.stableRS;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash ?? '';
  const name = `web-${v2}-2-post`;
  assert.equal(selectorOf(sim, 'web-active'), v2, 'switched first');
  assert.deepEqual(runNames(sim), [name]);
  assert.equal(findRun(sim, name).metadata?.labels?.['rollout-type'], 'PostPromotion');
  assert.equal(sim.rollout.status?.stableRS, v1, 'not stable before the analysis passed');
  assert.equal(sim.rollout.status?.phase, 'Progressing');
  assert.equal(sim.rollout.status?.message, 'waiting for analysis to complete');
  advance(sim, 60_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 3, '2': 3 }, 'the old version stays up: traffic may have to go back');
  assert.equal(sim.observed.replicaSets.some((rs) => rs.metadata.annotations?.['scale-down-deadline']), false);

  setRunPhase(sim, name, 'Successful');
  runToRest(sim);
  assert.equal(sim.rollout.status?.stableRS, v2);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.deepEqual(sim.rollout.status?.blueGreen?.postPromotionAnalysisRunStatus, { name, status: 'Successful' });
  advance(sim, 30_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 0, '2': 3 });
});

test('post-promotion Failed: aborted, the active Service switched back to the stable version', () => {
  const sim = deployed({ postPromotionAnalysis: gate, abortScaleDownDelaySeconds: 5 });
  const v1 = sim.rollout.status?.stableRS ?? '';
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash ?? '';
  const name = runNames(sim)[0] ?? '';
  sim.events.length = 0;
  setRunPhase(sim, name, 'Failed', 'Metric "smoke" assessed Failed due to failed (1) > failureLimit (0)');
  runToRest(sim);
  assert.equal(selectorOf(sim, 'web-active'), v1, 'traffic back on the stable version');
  assert.equal(selectorOf(sim, 'web-preview'), v2);
  assert.equal(sim.rollout.status?.stableRS, v1);
  assert.equal(sim.rollout.status?.phase, 'Degraded');
  assert.deepEqual(sim.rollout.status?.blueGreen?.activeSelector, v1);
  assert.ok(sim.events.includes(`SwitchService: Switched selector for service 'web-active' from '${v2}' to '${v1}'`), sim.events.join('\n'));
  advance(sim, 5_000);
  runToRest(sim);
  assert.deepEqual(sizes(sim), { '1': 3, '2': 0 });
});

test('a missing pre-promotion template is InvalidSpec naming the field; nothing is created or switched', () => {
  const sim = deployed({});
  sim.rollout.spec.strategy = { blueGreen: { activeService: 'web-active', previewService: 'web-preview', prePromotionAnalysis: { templates: [{ templateName: 'nope' }] } } };
  setImage(sim, 'nginx:1.26');
  const d = decide(sim.rollout, sim.observed, sim.now);
  assert.deepEqual(d.actions, []);
  assert.equal(d.status.phase, 'Degraded');
  assert.match(d.status.message ?? '', /spec\.strategy\.blueGreen\.prePromotionAnalysis\.templates: Invalid value: "nope": AnalysisTemplate 'nope' not found/);
});
