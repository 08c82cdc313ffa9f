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
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 4
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: web:2 }] }
  strategy:
    blueGreen:
      activeService: web-active
      previewService: web-preview
      previewReplicaCount: 1
      autoPromotionEnabled: false
      prePromotionAnalysis: { templates: [{ templateName: smoke }] }
      postPromotionAnalysis: { templates: [{ templateName: success-rate }, { templateName: latency }] }
      scaleDownDelaySeconds: 600
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
    'Rollout bg (api.yaml:20): 1 replica, blue-green (active bg)',
    'STAGE  KIND       NEW  OLD  ACTIVE  WAIT       ANALYSIS',
    '0      preview    1    1    old     -          -',
    '1      switch     1    1    new     -          -',
    '2      scaleDown  1    0    new     after 30s  -',
    'the first deploy goes straight to active',
    '',
    'Rollout web (api.yaml:33): 4 replicas, blue-green (active web-active, preview web-preview)',
    'STAGE  KIND                   NEW  OLD  ACTIVE  WAIT            ANALYSIS',
    '0      preview                1    4    old     -               -',
    '1      prePromotionAnalysis   1    4    old     -               smoke',
    '2      pause                  1    4    old     until promoted  -',
    '3      scaleUpPreview         4    4    old     -               -',
    '4      switch                 4    4    new     -               -',
    '5      postPromotionAnalysis  4    4    new     -               success-rate,latency',
    '6      scaleDown              4    0    new     after 10m       -',
    'the first deploy goes straight to active',
    '',
  ].join('\n'));
});

test('blue-green plan data: automatic promotion after N seconds, no preview Service, immediate scale-down', () => {
  const { objects } = renderManifests([{ path: 'bg.yaml', content: analysisRollout.replace('blueGreen: { activeService: bg }', 'blueGreen: { activeService: bg, autoPromotionSeconds: 90, scaleDownDelaySeconds: 0 }') }]);
  const bg = planRollouts(objects).find((p) => p.name === 'bg');
  assert.deepEqual(bg?.stages?.map((s) => [s.kind, s.active, s.wait]), [
    ['preview', 'old', undefined],
    ['pause', 'old', 90],
    ['switch', 'new', undefined],
    ['scaleDown', 'new', 0],
  ]);
  assert.equal(bg?.previewService, undefined);
  assert.match(renderPlan(bg ? [bg] : []), /1      pause      1    1    old     promote after 1m30s  -\n.*\n3      scaleDown  1    0    new     at once/);
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
