// `sluice plan`: the step timeline of a Rollout file as a table and as JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderManifests } from '../../src/sync/render-manifests.ts';
import { planRollouts } from '../../src/cli/plan-rollouts.ts';
import { renderPlan } from '../../src/cli/render/plan-table.ts';
import { runSluice } from '../helpers/sluice-process.ts';

const FILE = 'test/fixtures/lint/valid/rollout.yaml';

const analysisRollout = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: api
  namespace: shop
spec:
  replicas: 10
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: api, image: api:2 }] }
  strategy:
    canary:
      steps:
        - setWeight: 10
        - analysis:
            templates: [{ templateName: success-rate }, { templateName: latency }]
        - pause: { duration: 1h30m }
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: bg
spec:
  replicas: 1
  selector: { matchLabels: { app: bg } }
  template:
    metadata: { labels: { app: bg } }
    spec: { containers: [{ name: bg, image: bg:2 }] }
  strategy:
    blueGreen: { activeService: bg }
`;

test('the table shows weight, canary and stable pods, pauses and analysis gates per step', () => {
  const { objects, errors } = renderManifests([{ path: 'api.yaml', content: analysisRollout }]);
  assert.deepEqual(errors, []);
  assert.equal(renderPlan(planRollouts(objects)), [
    'Rollout shop/api (api.yaml:1): 10 replicas, canary, 3 steps',
    'STEP  KIND       WEIGHT  CANARY  STABLE  PAUSE  ANALYSIS',
    '0     setWeight  10%     1       9       -      -',
    '1     analysis   10%     1       9       -      success-rate,latency',
    '2     pause      10%     1       9       1h30m  -',
    'after step 2: 100% on 10 new pods, which become stable',
    '',
    'Rollout bg (api.yaml:20): 1 replica, blue-green: no steps',
    '',
  ].join('\n'));
});

test('sluice plan prints the table, and -o json the same plan as data', async () => {
  // Three processes at once: each start of the CLI costs seconds.
  const [table, json, none] = await Promise.all([runSluice(['plan', FILE]), runSluice(['plan', FILE, '-o', 'json']), runSluice(['plan', 'test/fixtures/lint/valid/analysis.yaml'])]);
  assert.equal(table.code, 0);
  assert.equal(table.stdout, [
    'Rollout web (test/fixtures/lint/valid/rollout.yaml:2): 5 replicas, canary, 6 steps',
    'STEP  KIND       WEIGHT  CANARY  STABLE  PAUSE           ANALYSIS',
    '0     setWeight  20%     1       4       -               -',
    '1     pause      20%     1       4       until promoted  -',
    '2     setWeight  50%     3       3       -               -',
    '3     pause      50%     3       3       30s             -',
    '4     setWeight  80%     4       1       -               -',
    '5     pause      80%     4       1       1m              -',
    'after step 5: 100% on 5 new pods, which become stable',
    '',
  ].join('\n'));
  assert.equal(json.code, 0);
  const plans = JSON.parse(json.stdout) as Array<{ name: string; replicas: number; steps: Array<{ index: number; kind: string; canaryWeight: number; pause?: number | string }> }>;
  assert.equal(plans.length, 1);
  assert.deepEqual(plans[0]?.steps.map((s) => [s.index, s.kind, s.canaryWeight, s.pause]), [
    [0, 'setWeight', 20, undefined],
    [1, 'pause', 20, 'indefinite'],
    [2, 'setWeight', 50, undefined],
    [3, 'pause', 50, 30],
    [4, 'setWeight', 80, undefined],
    [5, 'pause', 80, 60],
  ]);
  assert.deepEqual(none, { code: 2, stdout: '', stderr: 'sluice: test/fixtures/lint/valid/analysis.yaml: no Rollout (argoproj.io/v1alpha1) found\n' });
});
