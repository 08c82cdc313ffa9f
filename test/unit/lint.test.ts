// `sluice lint` on fixture files (test/fixtures/lint): every problem at its exact `file:line`,
// from YAML syntax through the CRD schemas to the Rollout engine's spec rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { lintManifests, fieldPathSegments } from '../../src/validation/lint-manifests.ts';
import { loadCrdCatalog } from '../../src/validation/crd-catalog.ts';
import { formatManifestError } from '../../src/sync/manifest-types.ts';
import type { SourceFile } from '../../src/sync/manifest-types.ts';
import { runSluice } from '../helpers/sluice-process.ts';

const catalog = await loadCrdCatalog();
const FIXTURES = 'test/fixtures/lint';
const filesIn = (dir: string): SourceFile[] =>
  readdirSync(`${FIXTURES}/${dir}`).sort().map((f) => ({ path: `${FIXTURES}/${dir}/${f}`, content: readFileSync(`${FIXTURES}/${dir}/${f}`) }));
const lint = (dir: string) => {
  const result = lintManifests(filesIn(dir), catalog);
  return { objects: result.objects, problems: result.problems.map(formatManifestError) };
};

test('valid manifests pass, including kinds lint cannot know offline', () => {
  assert.deepEqual(lint('valid'), { objects: 6, problems: [] });
});

test('each problem is reported once at the line of the field it concerns', () => {
  assert.deepEqual(lint('invalid').problems, [
    'test/fixtures/lint/invalid/broken.yaml:6: Flow sequence in block collection must be sufficiently indented and end with a ]',
    'test/fixtures/lint/invalid/schema.yaml:7: spec.replicas: expected integer, got string ("three")',
    'test/fixtures/lint/invalid/schema.yaml:22: spec.strategy.canary.stepz: unknown field "stepz": the API server drops it silently',
    'test/fixtures/lint/invalid/schema.yaml:29: ClusterAnalysisTemplate is cluster-scoped; remove metadata.namespace',
    'test/fixtures/lint/invalid/selector.yaml:12: spec.template.metadata.labels: Invalid value: {"app":"api"}: `selector` does not match template `labels`',
    'test/fixtures/lint/invalid/setweight.yaml:23: spec.strategy.canary.steps[2].setWeight: Invalid value: 150: SetWeight needs to be between 0 and 100',
    'test/fixtures/lint/invalid/steps.yaml:22: spec.strategy.canary.steps[1]: Invalid value: {}: Step must have one of the following set: experiment, setWeight, setCanaryScale or pause',
    'test/fixtures/lint/invalid/steps.yaml:23: spec.strategy.canary.steps[2]: Invalid value: {"setWeight":20,"pause":{}}: Step must have one of the following set: experiment, setWeight, setCanaryScale or pause',
    'test/fixtures/lint/invalid/steps.yaml:26: spec.strategy.canary.steps[3].pause.duration: Invalid value: "5 minutes": Duration needs to be greater than 0',
    'test/fixtures/lint/invalid/two-strategies.yaml:17: spec.strategy: Invalid value: "blueGreen: true canary: true": Multiple Strategies can not be listed',
  ]);
});

test('field paths of the engine become YAML paths', () => {
  assert.deepEqual(fieldPathSegments('spec.strategy.canary.steps[2].pause.duration'), ['spec', 'strategy', 'canary', 'steps', 2, 'pause', 'duration']);
  assert.deepEqual(fieldPathSegments('spec.template.metadata.labels'), ['spec', 'template', 'metadata', 'labels']);
});

test('sluice lint prints file:line lines and exits 1, or "N objects OK" and exits 0', async () => {
  // All at once: each start of the CLI costs seconds.
  const [bad, good, dashF, missing] = await Promise.all([
    runSluice(['lint', `${FIXTURES}/invalid/setweight.yaml`]),
    runSluice(['lint', `${FIXTURES}/valid`]),
    runSluice(['lint', '-f', `${FIXTURES}/valid/rollout.yaml`]),
    runSluice(['lint', `${FIXTURES}/missing.yaml`]),
  ]);
  assert.deepEqual(bad, {
    code: 1,
    stdout: 'test/fixtures/lint/invalid/setweight.yaml:23: spec.strategy.canary.steps[2].setWeight: Invalid value: 150: SetWeight needs to be between 0 and 100\n',
    stderr: '',
  });
  assert.deepEqual(good, { code: 0, stdout: '6 objects OK\n', stderr: '' });
  assert.deepEqual(dashF, { code: 0, stdout: '3 objects OK\n', stderr: '' });
  assert.deepEqual(missing, { code: 2, stdout: '', stderr: 'sluice: test/fixtures/lint/missing.yaml: no such file or directory\n' });
});
