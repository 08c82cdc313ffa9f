// How a provider's answer becomes the engine's Measurement, and the measure tasks that need no
// provider call (unknown provider, a malformed provider block, terminating a synchronous provider).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { takeMeasurement, toEngineMeasurement, providerTypeOf } from '../../../src/analysis/take-measurement.ts';
import { createMetricProviderRegistry } from '../../../src/ports/metric-provider.ts';
import { createWebProvider } from '../../../src/metrics/web-provider.ts';
import { createPrometheusProvider } from '../../../src/metrics/prometheus-provider.ts';
import type { Metric } from '../../../src/engine/analysis/index.ts';

const NOW = new Date('2026-03-04T05:06:07Z');
const T0 = '2026-03-04T05:06:00Z';
const metric: Metric = { name: 'm', successCondition: 'result > 0.9', failureCondition: 'result < 0.5', provider: { web: { url: 'http://127.0.0.1:1/' } } };
const providers = createMetricProviderRegistry([createPrometheusProvider(), createWebProvider()]);
const deps = { providers, now: () => NOW };
const identity = { name: 'run', namespace: 'ns', uid: 'u-1' };

test('measured values are judged by the conditions; the value is kept as the provider wrote it', () => {
  const judge = (result: number) => toEngineMeasurement(metric, { status: 'measured', result, value: String(result), startedAt: T0, finishedAt: T0 }, NOW);
  assert.deepEqual(judge(0.95), { phase: 'Successful', value: '0.95', startedAt: T0, finishedAt: T0 });
  assert.equal(judge(0.2).phase, 'Failed');
  assert.equal(judge(0.7).phase, 'Inconclusive');
  const broken = toEngineMeasurement({ ...metric, successCondition: 'result >' }, { status: 'measured', result: 1, value: '1', startedAt: T0, finishedAt: T0 }, NOW);
  assert.equal(broken.phase, 'Error');
  assert.match(broken.message ?? '', /^successCondition: /);
});

test('decided, running and error answers keep their phase, resumeAt and metadata', () => {
  assert.deepEqual(toEngineMeasurement(metric, { status: 'decided', phase: 'Failed', message: 'job failed', startedAt: T0, finishedAt: T0, metadata: { 'job-name': 'j' } }, NOW), { phase: 'Failed', message: 'job failed', startedAt: T0, finishedAt: T0, metadata: { 'job-name': 'j' } });
  assert.deepEqual(toEngineMeasurement(metric, { status: 'running', startedAt: T0, resumeAt: '2026-03-04T05:06:17Z', metadata: { 'job-name': 'j' } }, NOW), { phase: 'Running', startedAt: T0, resumeAt: '2026-03-04T05:06:17Z', metadata: { 'job-name': 'j' } });
  assert.deepEqual(toEngineMeasurement(metric, { status: 'error', message: 'timed out', startedAt: T0, finishedAt: T0 }, NOW), { phase: 'Error', message: 'timed out', startedAt: T0, finishedAt: T0 });
});

test('an unknown provider is an Error measurement naming the registered ones', async () => {
  const datadog: Metric = { name: 'dd', provider: { datadog: { query: 'x' } } };
  assert.equal(providerTypeOf(datadog), 'datadog');
  const taken = await takeMeasurement({ task: { metric: 'dd', action: 'run' }, metric: datadog, run: identity, measurementIndex: 1 }, deps);
  assert.deepEqual(taken.measurement, { phase: 'Error', message: "unknown metric provider 'datadog' (supported: prometheus, web)", startedAt: '2026-03-04T05:06:07Z', finishedAt: '2026-03-04T05:06:07Z' });
});

test('a provider block that is not an object is an Error, not a crash', async () => {
  const taken = await takeMeasurement({ task: { metric: 'm', action: 'run' }, metric: { name: 'm', provider: { web: 'http://x' } }, run: identity, measurementIndex: 1 }, deps);
  assert.equal(taken.measurement.phase, 'Error');
  assert.equal(taken.measurement.message, 'provider.web must be an object');
});

test('terminating an in-flight measurement of a provider that cannot stop one ends it Successful, Metric Terminated', async () => {
  const inFlight = { phase: 'Running' as const, startedAt: T0 };
  const taken = await takeMeasurement({ task: { metric: 'm', action: 'terminate' }, metric, inFlight, run: identity, measurementIndex: 1 }, deps);
  assert.deepEqual(taken.measurement, { phase: 'Successful', message: 'Metric Terminated', startedAt: T0, finishedAt: '2026-03-04T05:06:07Z' });
});
