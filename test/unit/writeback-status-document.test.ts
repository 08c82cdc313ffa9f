// The status file Sluice commits for a Rollout, from the same fixtures `get rollout` is tested
// with: exact text, determinism, what counts as a change, and what triggers a commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { renderStatusFile, sameStatus, statusDocument, statusFilePath, statusTrigger, type StatusInput } from '../../src/writeback/status-document.ts';
import type { ReplicaSet, Rollout } from '../../src/engine/types.ts';
import type { AnalysisRunObject } from '../../src/ports/rollout-commands.ts';

interface Fixture {
  rollout: Rollout;
  replicaSets: ReplicaSet[];
  analysisRuns: AnalysisRunObject[];
}
const load = (name: string) => parse(readFileSync(new URL(`../fixtures/rollout-view/${name}`, import.meta.url), 'utf8')) as Fixture;
const paused = load('canary-paused.yaml');
const analysis = load('canary-analysis.yaml');
const COMMIT = '3f2a9c1e5b7d4a6f8e0c2b4d6a8f0e2c4b6d8a0f';
const at = new Date('2025-01-01T01:00:00Z');
const input = (f: Fixture, over: Partial<StatusInput> = {}): StatusInput => ({ rollout: f.rollout, replicaSets: f.replicaSets, analysisRuns: f.analysisRuns ?? [], repo: 'shop-deploy', deployedCommit: COMMIT, updatedAt: at, ...over });
const render = (f: Fixture, over: Partial<StatusInput> = {}) => renderStatusFile(statusDocument(input(f, over)));

test('a paused canary: phase, step with its definition, weights, revision, images, hashes, replicas, commit, runs', () => {
  assert.equal(render(paused), [
    '# Rollout status written by Sluice on every phase, step or analysis verdict change; do not edit.',
    'rollout: web',
    'namespace: shop',
    'repo: shop-deploy',
    `deployedCommit: ${COMMIT}`,
    'phase: Paused',
    'message: CanaryPauseStep',
    'strategy: Canary',
    'step:',
    '  index: 1',
    '  count: 4',
    '  definition:',
    '    pause: {}',
    'weights:',
    '  set: 25',
    '  actual: 25',
    'revision: 3',
    'images:',
    '  - image: shop/web:1',
    '    tags:',
    '      - stable',
    '  - image: shop/web:2',
    '    tags:',
    '      - canary',
    'stableHash: 6b4d7c9f55',
    'canaryHash: 7c9f6d4bb8',
    'replicas:',
    '  desired: 4',
    '  current: 5',
    '  updated: 1',
    '  ready: 4',
    '  available: 4',
    'analysisRuns:',
    '  - name: web-7c9f6d4bb8-3-1',
    '    verdict: Successful',
    '    metrics: []',
    'updatedAt: 2025-01-01T01:00:00.000Z',
    '',
  ].join('\n'));
});

test('analysis runs of the current revision with each verdict and each metric\'s latest value', () => {
  const doc = parse(render(analysis)) as { revision: number; analysisRuns: Array<{ name: string; type: string; step?: number; verdict: string; metrics: Array<Record<string, unknown>> }> };
  assert.equal(doc.revision, 2, 'from the ReplicaSet of the current pod template when the Rollout has no revision annotation');
  assert.deepEqual(doc.analysisRuns.map((r) => [r.name, r.type, r.step, r.verdict]), [
    ['api-5d8f7c6b9a-2', 'Background', undefined, 'Running'],
    ['api-5d8f7c6b9a-2-1', 'Step', 1, 'Running'],
  ]);
  assert.deepEqual(doc.analysisRuns[1]?.metrics, [
    { name: 'success-rate', verdict: 'Successful', value: '[0.99]', measuredAt: '2025-01-01T00:59:00Z' },
    { name: 'error-rate', verdict: 'Running', value: '[0.031]', measuredAt: '2025-01-01T00:58:30Z' },
    { name: 'cpu-saturation', verdict: 'Failed', value: '[0.93]', measuredAt: '2025-01-01T00:58:00Z', dryRun: true },
    { name: 'p99-latency', verdict: 'Pending' },
  ]);
  // A run of an older revision is history, not status.
  const old: AnalysisRunObject = { ...structuredClone(analysis.analysisRuns[0]!), metadata: { ...structuredClone(analysis.analysisRuns[0]!.metadata), name: 'api-old-1', annotations: { 'rollout.argoproj.io/revision': '1' } } };
  const withOld = parse(render(analysis, { analysisRuns: [...analysis.analysisRuns, old] })) as typeof doc;
  assert.ok(!withOld.analysisRuns.some((r) => r.name === 'api-old-1'));
});

test('rendering is deterministic; only updatedAt differs between two renders of the same state', () => {
  assert.equal(render(paused), render(structuredClone(paused)));
  const later = render(paused, { updatedAt: new Date('2025-01-02T00:00:00Z') });
  assert.notEqual(later, render(paused));
  assert.ok(sameStatus(render(paused), later));
  const healthy = structuredClone(paused);
  healthy.rollout.status = { ...healthy.rollout.status, pauseConditions: [], controllerPause: false, currentStepIndex: 4 };
  assert.ok(!sameStatus(render(paused), render(healthy)));
  assert.ok(!sameStatus(render(paused), render(paused, { deployedCommit: 'b'.repeat(40) })));
  assert.ok(!sameStatus(render(paused), 'not: [yaml'), 'a file that does not parse is never the same');
});

test('a commit is triggered by phase, step, revision and run verdicts, not by measurements or replica counts', () => {
  const base = statusTrigger(analysis.rollout, analysis.analysisRuns, analysis.replicaSets);
  const moreReady = structuredClone(analysis.rollout);
  moreReady.status = { ...moreReady.status, readyReplicas: 4, availableReplicas: 4 };
  assert.equal(statusTrigger(moreReady, analysis.analysisRuns, analysis.replicaSets), base);

  const measured = structuredClone(analysis.analysisRuns);
  measured[0]!.status!.metricResults![0]!.measurements!.push({ phase: 'Successful', value: '[0.97]', finishedAt: '2025-01-01T01:00:00Z' });
  assert.equal(statusTrigger(analysis.rollout, measured, analysis.replicaSets), base, 'a new measurement alone');

  const verdict = structuredClone(analysis.analysisRuns);
  const stepRun = verdict.find((r) => r.metadata.name === 'api-5d8f7c6b9a-2-1')!;
  stepRun.status = { ...stepRun.status, phase: 'Successful' };
  assert.notEqual(statusTrigger(analysis.rollout, verdict, analysis.replicaSets), base, 'a run reaching its verdict');

  const nextStep = structuredClone(analysis.rollout);
  nextStep.status = { ...nextStep.status, currentStepIndex: 2 };
  assert.notEqual(statusTrigger(nextStep, analysis.analysisRuns, analysis.replicaSets), base, 'the step');

  const aborted = structuredClone(analysis.rollout);
  aborted.status = { ...aborted.status, abort: true };
  assert.notEqual(statusTrigger(aborted, analysis.analysisRuns, analysis.replicaSets), base, 'an abort');
});

test('status file paths: <dir>/<namespace>/<rollout>.yaml with the directory normalised', () => {
  assert.equal(statusFilePath('status', 'shop', 'web'), 'status/shop/web.yaml');
  assert.equal(statusFilePath('./deploy/status/', 'shop', 'web'), 'deploy/status/shop/web.yaml');
  assert.equal(statusFilePath('.', 'shop', 'web'), 'shop/web.yaml');
});
