// The canary's analysis gates through the simulated cluster: step analysis (Successful → next step,
// Failed → abort, Inconclusive → pause, then promote), background analysis from startingStep,
// run names/labels/args as Argo's, termination, history limits, and InvalidSpec for bad references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CanaryStep, Rollout } from '../../../src/engine/types.ts';
import type { AnalysisTemplate } from '../../../src/engine/analysis/types.ts';
import { abort, promote, retry } from '../../../src/engine/lifecycle.ts';
import { decide } from '../../../src/engine/decide.ts';
import { analysisRunsToDelete } from '../../../src/engine/analysis/rollout-analysis.ts';
import { findRun, newSim, runToRest, setRunPhase, type Sim } from './cluster-sim.ts';

const successRate: AnalysisTemplate = {
  metadata: { name: 'success-rate', namespace: 'default' },
  spec: {
    args: [{ name: 'service' }, { name: 'hash' }],
    metrics: [{ name: 'success-rate', successCondition: 'result[0] >= 0.95', provider: { prometheus: { address: 'http://prom:9090', query: 'rate{svc="{{args.service}}",hash="{{args.hash}}"}' } } }],
  },
};

function rollout(steps: CanaryStep[], extra: Partial<NonNullable<NonNullable<Rollout['spec']['strategy']>['canary']>> = {}): Rollout {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'ro-uid', generation: 1, labels: { team: 'payments' } },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      strategy: { canary: { steps, ...extra } },
    },
  };
}

const stepAnalysis: CanaryStep = {
  analysis: {
    templates: [{ templateName: 'success-rate' }],
    args: [
      { name: 'service', valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
      { name: 'hash', valueFrom: { podTemplateHashValue: 'Latest' } },
    ],
  },
};

function deployed(r: Rollout): Sim {
  const sim = newSim(r, new Date('2025-01-01T00:00:00Z'));
  sim.observed.analysisTemplates = { 'success-rate': successRate };
  sim.observed.analysisRuns = [];
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.deepEqual(sim.observed.analysisRuns, [], 'the first deploy runs no analysis');
  return sim;
}

function update(sim: Sim, image: string): void {
  const c = (sim.rollout.spec.template?.spec as { containers: Array<{ image: string }> }).containers[0];
  if (c) c.image = image;
  sim.rollout.metadata.generation = (sim.rollout.metadata.generation ?? 0) + 1;
}

function patchStatus(sim: Sim, patch: { spec?: object; status?: object }): void {
  if (patch.status) {
    const next = { ...sim.rollout.status, ...(patch.status as object) } as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch.status)) if (v === null) delete next[k];
    sim.rollout = { ...sim.rollout, status: next };
  }
  if (patch.spec) sim.rollout = { ...sim.rollout, spec: { ...sim.rollout.spec, ...(patch.spec as object) } };
}

const runNames = (sim: Sim) => (sim.observed.analysisRuns ?? []).map((r) => r.metadata?.name);

test('step analysis: a run named and labelled as Argo does blocks the step until Successful', () => {
  const sim = deployed(rollout([{ setWeight: 25 }, stepAnalysis, { setWeight: 50 }]));
  update(sim, 'nginx:1.26');
  runToRest(sim);
  const hash = sim.rollout.status?.currentPodHash ?? '';
  const name = `web-${hash}-2-1`;
  assert.deepEqual(runNames(sim), [name]);
  assert.equal(sim.rollout.status?.currentStepIndex, 1, 'waits at the analysis step');
  assert.equal(sim.rollout.status?.phase, 'Progressing');
  assert.deepEqual(sim.rollout.status?.canary?.currentStepAnalysisRunStatus, { name, status: '' });

  const run = findRun(sim, name);
  assert.deepEqual(run.metadata?.labels, { 'rollouts-pod-template-hash': hash, 'rollout-type': 'Step', 'step-index': '1', app: 'web' });
  assert.equal(run.metadata?.annotations?.['rollout.argoproj.io/revision'], '2');
  assert.deepEqual(run.metadata?.ownerReferences, [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: 'ro-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(run.spec.args, [{ name: 'service', value: 'payments' }, { name: 'hash', value: hash }], 'fieldRef and podTemplateHashValue resolved');
  assert.equal(run.spec.metrics[0]?.name, 'success-rate');

  setRunPhase(sim, name, 'Running');
  runToRest(sim);
  assert.equal(sim.rollout.status?.currentStepIndex, 1);
  assert.ok(sim.events.includes(`AnalysisRunRunning: Step Analysis Run '${name}' Status New: 'Running' Previous: 'NoPreviousStatus'`), sim.events.join('\n'));

  setRunPhase(sim, name, 'Successful');
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(sim.rollout.status?.stableRS, hash);
  assert.equal(sim.rollout.status?.canary?.currentStepAnalysisRunStatus, undefined, 'cleared when the step completes');
  assert.ok(sim.events.includes('RolloutStepCompleted: Rollout step 2/3 completed (analysis)'));
  assert.deepEqual(runNames(sim), [name], 'a completed run is kept (history limit 5)');
});

test('step analysis Failed: abort with the run message, canary scaled away, traffic on stable', () => {
  const sim = deployed(rollout([{ setWeight: 50 }, stepAnalysis, { setWeight: 100 }]));
  update(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  setRunPhase(sim, name, 'Failed', 'Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)');
  runToRest(sim);
  const s = sim.rollout.status;
  assert.equal(s?.abort, true);
  assert.equal(s?.phase, 'Degraded');
  assert.equal(s?.message, 'RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)');
  const canary = sim.observed.replicaSets.find((rs) => rs.metadata.labels?.['rollouts-pod-template-hash'] === s?.currentPodHash);
  const stable = sim.observed.replicaSets.find((rs) => rs.metadata.labels?.['rollouts-pod-template-hash'] === s?.stableRS);
  assert.equal(canary?.spec.replicas, 0);
  assert.equal(stable?.spec.replicas, 4);
  assert.ok(sim.events.some((e) => e.startsWith(`AnalysisRunFailed: Step Analysis Run '${name}' Status New: 'Failed'`)));

  // retry: the step analysis runs again under a new name (the failed run keeps its own).
  patchStatus(sim, retry().ok ? { status: { abort: false } } : {});
  runToRest(sim);
  assert.deepEqual(runNames(sim), [name, `${name}.1`]);
  assert.equal(sim.rollout.status?.phase, 'Progressing');
});

test('step analysis Inconclusive pauses (InconclusiveAnalysisRun); promote moves past the step', () => {
  const sim = deployed(rollout([{ setWeight: 50 }, stepAnalysis, { pause: {} }, { setWeight: 100 }]));
  update(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  setRunPhase(sim, name, 'Inconclusive', 'Metric "success-rate" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)');
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Paused');
  assert.deepEqual(sim.rollout.status?.pauseConditions?.map((c) => c.reason), ['InconclusiveAnalysisRun']);
  assert.equal(sim.rollout.status?.message, 'InconclusiveAnalysisRun');

  const p = promote(sim.rollout);
  assert.ok(p.ok);
  assert.deepEqual(p.patch.status, { pauseConditions: null, controllerPause: false, currentStepIndex: 2 });
  patchStatus(sim, p.patch);
  runToRest(sim);
  assert.equal(sim.rollout.status?.currentStepIndex, 2, 'at the pause step after the analysis');
  assert.deepEqual(sim.rollout.status?.pauseConditions?.map((c) => c.reason), ['CanaryPauseStep']);
  assert.deepEqual(runNames(sim), [name], 'no new run for the promoted step');

  // abort from an Inconclusive pause also works (traffic back to stable).
  patchStatus(sim, abort().ok ? { status: { abort: true } } : {});
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Degraded');
});

test('background analysis: starts at startingStep, a failure aborts, completion terminates it', () => {
  const background = { templates: [{ templateName: 'success-rate' }], args: [{ name: 'service', value: 'web' }, { name: 'hash', valueFrom: { podTemplateHashValue: 'Stable' as const } }], startingStep: 1 };
  const sim = deployed(rollout([{ setWeight: 25 }, { pause: {} }, { setWeight: 75 }, { pause: {} }], { analysis: background }));
  const stableHash = sim.rollout.status?.stableRS;
  update(sim, 'nginx:1.26');
  runToRest(sim);
  assert.equal(sim.rollout.status?.currentStepIndex, 1);
  const hash = sim.rollout.status?.currentPodHash ?? '';
  const name = `web-${hash}-2`;
  assert.deepEqual(runNames(sim), [name], 'created once step 1 (startingStep) is reached, no suffix');
  const run = findRun(sim, name);
  assert.equal(run.metadata?.labels?.['rollout-type'], 'Background');
  assert.equal(run.metadata?.labels?.['step-index'], undefined);
  assert.deepEqual(run.spec.args?.find((a) => a.name === 'hash'), { name: 'hash', value: stableHash });
  assert.equal(sim.rollout.status?.canary?.currentBackgroundAnalysisRunStatus?.name, name);

  setRunPhase(sim, name, 'Running');
  patchStatus(sim, promote(sim.rollout).ok ? { status: { pauseConditions: null } } : {});
  runToRest(sim);
  assert.equal(sim.rollout.status?.currentStepIndex, 3);
  patchStatus(sim, { status: { pauseConditions: null } });
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(findRun(sim, name).spec.terminate, true, 'terminated once the update completed');
  assert.equal(sim.rollout.status?.canary?.currentBackgroundAnalysisRunStatus, undefined);

  // next update: the background run fails → abort.
  update(sim, 'nginx:1.27');
  runToRest(sim);
  const second = runNames(sim).find((n) => n !== name) ?? '';
  assert.ok(second.endsWith('-3'), second);
  setRunPhase(sim, second, 'Error', 'Metric "success-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)');
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Degraded');
  assert.match(sim.rollout.status?.message ?? '', /consecutiveErrorLimit/);
});

test('promote --full and abort terminate running runs; runs beyond the history limit are deleted', () => {
  const sim = deployed(rollout([{ setWeight: 25 }, stepAnalysis, { setWeight: 100 }]));
  update(sim, 'nginx:1.26');
  runToRest(sim);
  const name = runNames(sim)[0] ?? '';
  setRunPhase(sim, name, 'Running');
  patchStatus(sim, { status: { promoteFull: true } });
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(findRun(sim, name).spec.terminate, true);

  const runs = ['a', 'b', 'c'].map((n, i) => ({ metadata: { name: n, creationTimestamp: `2025-01-0${i + 1}T00:00:00Z`, labels: { 'rollouts-pod-template-hash': 'h1' } }, spec: { metrics: [] }, status: { phase: 'Successful' as const } }));
  const orphan = { metadata: { name: 'gone', creationTimestamp: '2025-01-05T00:00:00Z', labels: { 'rollouts-pod-template-hash': 'h-deleted' } }, spec: { metrics: [] }, status: { phase: 'Failed' as const } };
  const rss = [{ metadata: { name: 'web-h1', labels: { 'rollouts-pod-template-hash': 'h1' } }, spec: {} }];
  assert.deepEqual(analysisRunsToDelete([...runs, orphan], rss, 2, 5).map((r) => r.metadata?.name), ['gone', 'a'], 'oldest Successful beyond 2, and runs of deleted ReplicaSets');
});

test('InvalidSpec: a missing template, an unresolved arg, a step metric that never ends', () => {
  const base = rollout([{ setWeight: 25 }, stepAnalysis]);
  const observed = { replicaSets: [], services: {}, analysisTemplates: {} as Record<string, AnalysisTemplate | undefined> };
  let d = decide(base, observed, new Date());
  assert.equal(d.status.phase, 'Degraded');
  assert.equal(d.status.conditions?.[0]?.message, `The Rollout "web" is invalid: spec.strategy.canary.steps[1].analysis.templates: Invalid value: "success-rate": AnalysisTemplate 'success-rate' not found`);

  const noArgs = rollout([{ setWeight: 25 }, { analysis: { templates: [{ templateName: 'success-rate' }] } }]);
  d = decide(noArgs, { ...observed, analysisTemplates: { 'success-rate': successRate } }, new Date());
  assert.equal(d.status.conditions?.[0]?.message, `The Rollout "web" is invalid: spec.strategy.canary.steps[1].analysis.templates: Invalid value: "templateNames: [success-rate]": args.service was not resolved`);

  const forever: AnalysisTemplate = { metadata: { name: 'forever' }, spec: { metrics: [{ name: 'm', interval: '10s', provider: { web: { url: 'http://x' } } }] } };
  const r = rollout([{ analysis: { templates: [{ templateName: 'forever' }] } }]);
  d = decide(r, { ...observed, analysisTemplates: { forever } }, new Date());
  assert.equal(d.status.conditions?.[0]?.message, `The Rollout "web" is invalid: spec.strategy.canary.steps[0].analysis.templates: Invalid value: "forever": AnalysisTemplate forever has metric m which runs indefinitely. Invalid value for count: `);
  // …but the same template is fine in the background, where a run lasts until the update ends.
  const bg = rollout([{ setWeight: 50 }], { analysis: { templates: [{ templateName: 'forever' }] } });
  d = decide(bg, { ...observed, analysisTemplates: { forever } }, new Date());
  assert.notEqual(d.status.phase, 'Degraded');
});
