// `sluice lint` on fixture files (test/fixtures/lint): every problem at its exact `file:line`,
// from YAML syntax through the CRD schemas to the Rollout engine's spec rules and analysis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { lintManifests, fieldPathSegments } from '../../src/validation/lint-manifests.ts';
import { loadCrdCatalog } from '../../src/validation/crd-catalog.ts';
import { formatManifestError } from '../../src/sync/manifest-types.ts';
import type { SourceFile } from '../../src/sync/manifest-types.ts';
import { runSluice } from '../helpers/sluice-process.ts';
import { SUPPORTED_METRIC_PROVIDER_TYPES } from '../../src/metrics/provider-types.ts';
import { createMetricProviderRegistry, unknownMetricProviderMessage } from '../../src/ports/metric-provider.ts';

const catalog = await loadCrdCatalog();
const FIXTURES = 'test/fixtures/lint';
const filesIn = (dir: string): SourceFile[] =>
  readdirSync(`${FIXTURES}/${dir}`).sort().map((f) => ({ path: `${FIXTURES}/${dir}/${f}`, content: readFileSync(`${FIXTURES}/${dir}/${f}`) }));
const lint = (dir: string) => {
  const result = lintManifests(filesIn(dir), catalog);
  return { objects: result.objects, problems: result.problems.map(formatManifestError) };
};
/** Problems of one fixture file linted on its own. */
const lintFile = (path: string) => {
  const file = `${FIXTURES}/${path}`;
  return lintManifests([{ path: file, content: readFileSync(file) }], catalog).problems.map(formatManifestError);
};
const BAD = 'test/fixtures/lint/analysis-invalid';

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

test('realistic analysis passes: Prometheus, web with jsonPath, Job, composed templates, a run, a Rollout using them', () => {
  assert.deepEqual(lint('analysis-valid'), { objects: 5, problems: [] });
});

test('a Rollout may reference templates that are not in the input: they may live in the cluster', () => {
  assert.deepEqual(lintFile('analysis-valid/rollout.yaml'), []);
});

test('analysis conditions compile, with known arg values substituted and unknown ones given the benefit of the doubt', () => {
  assert.deepEqual(lintFile('analysis-invalid/conditions.yaml'), [
    `${BAD}/conditions.yaml:13: spec.metrics[0].successCondition: metric 'truncated': line 1, column 13: unexpected end of expression`,
    `${BAD}/conditions.yaml:19: spec.metrics[1].successCondition: metric 'typo': line 1, column 1: unknown name "resutl": a condition can use only result and the builtin functions`,
    `${BAD}/conditions.yaml:23: spec.metrics[2].failureCondition: metric 'no-such-function': line 1, column 1: unknown function "average"`,
    `${BAD}/conditions.yaml:26: spec.metrics[3].successCondition: metric 'bad-default': line 1, column 20: unexpected end of expression (after substituting args: "result[0] >= 0.9 &&")`,
    `${BAD}/conditions.yaml:29: spec.metrics[4].successCondition: metric 'broken-whatever-min-is': line 1, column 16: unexpected ")" (after substituting args, those unknown offline as 0: "result[0] >= 0 )")`,
    `${BAD}/conditions.yaml:36: spec.metrics[6].failureCondition: metric 'multi-line': line 3, column 1: unexpected end of expression`,
  ]);
});

test('each metric has exactly one provider, and Sluice must implement it', () => {
  assert.deepEqual(SUPPORTED_METRIC_PROVIDER_TYPES, ['prometheus', 'web', 'job']);
  // The same text the runtime registry gives for a provider it does not have.
  const runtime = createMetricProviderRegistry(SUPPORTED_METRIC_PROVIDER_TYPES.map((type) => ({ type, run: () => Promise.reject(new Error('not called')) })));
  assert.equal(unknownMetricProviderMessage('datadog', runtime), "unknown metric provider 'datadog' (supported: prometheus, web, job)");
  assert.deepEqual(lintFile('analysis-invalid/providers.yaml'), [
    `${BAD}/providers.yaml:9: spec.metrics[0].provider.datadog: metric 'from-datadog': unknown metric provider 'datadog' (supported: prometheus, web, job)`,
    `${BAD}/providers.yaml:12: spec.metrics[1].provider: metric 'nothing': no provider specified (supported: prometheus, web, job)`,
    `${BAD}/providers.yaml:14: spec.metrics[2].provider: metric 'two': multiple providers specified (prometheus, web); a metric has exactly one`,
  ]);
});

test("Argo's metric rules, duplicate names and dryRun / measurementRetention rules that match nothing", () => {
  // from-arg's interval comes from an arg without a value: its rules cannot be judged offline.
  assert.deepEqual(lintFile('analysis-invalid/limits.yaml'), [
    `${BAD}/limits.yaml:9: spec.metrics[0].interval: metric 'no-interval': interval must be specified when count > 1`,
    `${BAD}/limits.yaml:17: spec.metrics[1].count: metric 'low-count': count must be >= failureLimit`,
    `${BAD}/limits.yaml:21: spec.metrics[2].interval: metric 'bad-interval': invalid interval string: "5 minutes"`,
    `${BAD}/limits.yaml:24: spec.metrics[3].failureLimit: metric 'never-fails': at least one of failureLimit (>= 0) or consecutiveSuccessLimit (> 0) must be set`,
    `${BAD}/limits.yaml:30: spec.metrics[5].name: duplicate metric name 'low-count' (also spec.metrics[1])`,
    `${BAD}/limits.yaml:34: spec.dryRun[1].metricName: rule 'canary-.*' matches no metric (metrics: no-interval, low-count, bad-interval, never-fails, from-arg, low-count)`,
    `${BAD}/limits.yaml:35: spec.dryRun[2].metricName: duplicate dryRun rule for 'from-.*' (also spec.dryRun[0])`,
    `${BAD}/limits.yaml:37: spec.measurementRetention[0].metricName: invalid regular expression "[unclosed": Invalid regular expression: /[unclosed/: Unterminated character class`,
    `${BAD}/limits.yaml:45: spec.metrics: no metrics specified`,
  ]);
});

test('placeholders name declared args; other {{…}} tags cannot be resolved', () => {
  assert.deepEqual(lintFile('analysis-invalid/placeholders.yaml'), [
    `${BAD}/placeholders.yaml:8: spec.args[1]: arg 'namespace' has both value and valueFrom; give one`,
    `${BAD}/placeholders.yaml:19: spec.metrics[0].provider.prometheus.query: metric 'errors': {{args.service}} refers to arg 'service', which the template does not declare (declared: service-name, namespace)`,
    `${BAD}/placeholders.yaml:23: spec.metrics[1].provider.web.url: metric 'health': {{ rollout.name }} cannot be resolved: only {{args.NAME}} placeholders are substituted`,
    // composed-with-cluster-template includes a template that is not in the input: not judged.
    `${BAD}/placeholders.yaml:36: spec.metrics[0].provider.web.url: metric 'by-region': {{args.region}} refers to arg 'region', which neither the template nor the templates it includes declare (declared: service-name, namespace)`,
  ]);
  assert.deepEqual(lintFile('analysis-invalid/run.yaml'), [
    `${BAD}/run.yaml:13: spec.metrics[0].successCondition: metric 'errors': {{args.max-errors}} refers to arg 'max-errors', which the AnalysisRun does not declare (declared: service-name)`,
    `${BAD}/run.yaml:17: spec.metrics[0].provider.prometheus.query: metric 'errors': {{args.offset}} refers to arg 'offset', which the AnalysisRun does not declare (declared: service-name)`,
  ]);
});

test("a Rollout's analyses against the templates in the input: required args, merging, runs that never end", () => {
  // steps[3] also names a template that is not in the input: only what `forever` alone shows is judged.
  assert.deepEqual(lintFile('analysis-invalid/rollout.yaml'), [
    `${BAD}/rollout.yaml:56: spec.strategy.canary.analysis.dryRun[0].metricName: rule 'latency' matches no metric (metrics: success-rate)`,
    `${BAD}/rollout.yaml:62: spec.strategy.canary.steps[1].analysis: AnalysisTemplate 'needs-args' requires arg 'namespace' (no value or valueFrom in the template), which the Rollout does not supply`,
    `${BAD}/rollout.yaml:66: spec.strategy.canary.steps[2].analysis: AnalysisTemplate 'forever' has metric 'success-rate' which runs indefinitely (interval 1m, no count); a step analysis must end, so set count`,
    `${BAD}/rollout.yaml:66: spec.strategy.canary.steps[2].analysis: AnalysisTemplate 'needs-args' and AnalysisTemplate 'forever' cannot be combined: two metrics have the same name 'success-rate'`,
    `${BAD}/rollout.yaml:75: spec.strategy.canary.steps[3].analysis: AnalysisTemplate 'forever' has metric 'success-rate' which runs indefinitely (interval 1m, no count); a step analysis must end, so set count`,
    `${BAD}/rollout.yaml:78: spec.strategy.canary.steps[4].analysis: AnalysisTemplate 'needs-args' requires args 'service-name' and 'namespace' (no value or valueFrom in the template), which the Rollout does not supply`,
  ]);
});

test('field paths of the engine become YAML paths', () => {
  assert.deepEqual(fieldPathSegments('spec.strategy.canary.steps[2].pause.duration'), ['spec', 'strategy', 'canary', 'steps', 2, 'pause', 'duration']);
  assert.deepEqual(fieldPathSegments('spec.template.metadata.labels'), ['spec', 'template', 'metadata', 'labels']);
});

test('sluice lint prints file:line lines and exits 1, or "N objects OK" and exits 0', async () => {
  // All at once: each start of the CLI costs seconds.
  const [bad, good, dashF, missing, badAnalysis] = await Promise.all([
    runSluice(['lint', `${FIXTURES}/invalid/setweight.yaml`]),
    runSluice(['lint', `${FIXTURES}/valid`]),
    runSluice(['lint', '-f', `${FIXTURES}/valid/rollout.yaml`]),
    runSluice(['lint', `${FIXTURES}/missing.yaml`]),
    runSluice(['lint', `${FIXTURES}/analysis-invalid/providers.yaml`]),
  ]);
  assert.deepEqual(bad, {
    code: 1,
    stdout: 'test/fixtures/lint/invalid/setweight.yaml:23: spec.strategy.canary.steps[2].setWeight: Invalid value: 150: SetWeight needs to be between 0 and 100\n',
    stderr: '',
  });
  assert.deepEqual(good, { code: 0, stdout: '6 objects OK\n', stderr: '' });
  assert.deepEqual(dashF, { code: 0, stdout: '3 objects OK\n', stderr: '' });
  assert.deepEqual(missing, { code: 2, stdout: '', stderr: 'sluice: test/fixtures/lint/missing.yaml: no such file or directory\n' });
  assert.deepEqual(badAnalysis, {
    code: 1,
    stdout: [
      `${BAD}/providers.yaml:9: spec.metrics[0].provider.datadog: metric 'from-datadog': unknown metric provider 'datadog' (supported: prometheus, web, job)`,
      `${BAD}/providers.yaml:12: spec.metrics[1].provider: metric 'nothing': no provider specified (supported: prometheus, web, job)`,
      `${BAD}/providers.yaml:14: spec.metrics[2].provider: metric 'two': multiple providers specified (prometheus, web); a metric has exactly one`,
      '',
    ].join('\n'),
    stderr: '',
  });
});
