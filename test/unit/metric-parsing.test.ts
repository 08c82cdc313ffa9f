// Pure pieces of the metric providers: Prometheus answers and value formatting, range-query time
// expressions, the Kubernetes JSONPath subset, and the provider registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSampleValue, parsePrometheusAnswer } from '../../src/metrics/prometheus-response.ts';
import { parseRangeStep, parseRangeTime } from '../../src/metrics/prometheus-range.ts';
import { compileJsonPath, evaluateJsonPath } from '../../src/metrics/kube-jsonpath.ts';
import { createMetricProviderRegistry, unknownMetricProviderMessage, type MetricProvider } from '../../src/ports/metric-provider.ts';

test('sample values are formatted like Go strconv.FormatFloat(v, f, -1, 64)', () => {
  const cases: [number, string][] = [
    [0.95, '0.95'], [1, '1'], [-2.5, '-2.5'], [Number.NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
    [1e21, '1000000000000000000000'], [1.5e-7, '0.00000015'], [-1.25e-10, '-0.000000000125'], [1.2345e22, '12345000000000000000000'], [-0, '-0'],
  ];
  for (const [v, s] of cases) assert.equal(formatSampleValue(v), s, String(v));
});

test('Prometheus answers become result and value; warnings are kept', () => {
  const vec = parsePrometheusAnswer(200, JSON.stringify({ status: 'success', warnings: ['w1'], data: { resultType: 'vector', result: [{ metric: {}, value: [1, '-Inf'] }, { metric: {}, value: [1, '3'] }] } }));
  assert.deepEqual(vec, { ok: true, result: [Number.NEGATIVE_INFINITY, 3], value: '[-Inf,3]', warnings: ['w1'] });
  assert.deepEqual(parsePrometheusAnswer(200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, 'NaN'] } })), { ok: true, result: Number.NaN, value: 'NaN', warnings: [] });
  assert.deepEqual(parsePrometheusAnswer(422, JSON.stringify({ status: 'error', errorType: 'execution', error: 'too many samples' })), { ok: false, error: 'prometheus returned HTTP 422: execution: too many samples' });
  assert.equal(parsePrometheusAnswer(200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ value: [1, 'abc'] }] } })).ok, false);
});

test('range-query times: now(), now() ± duration(), date(), RFC 3339; anything else is named unsupported', () => {
  const now = new Date('2025-01-01T12:00:00Z');
  const at = (e: string) => {
    const r = parseRangeTime(e, now);
    return r.ok ? r.value.toISOString() : r.error;
  };
  assert.equal(at('now()'), '2025-01-01T12:00:00.000Z');
  assert.equal(at('now() - duration("1h30m")'), '2025-01-01T10:30:00.000Z');
  assert.equal(at("now()+duration('90s')"), '2025-01-01T12:01:30.000Z');
  assert.equal(at('date("2024-12-31T00:00:00Z")'), '2024-12-31T00:00:00.000Z');
  assert.equal(at('2024-12-31T01:00:00+01:00'), '2024-12-31T00:00:00.000Z');
  assert.match(at('now() - duration("1 hour")'), /invalid duration "1 hour"/);
  assert.match(at('now().Add(-1)'), /unsupported time expression/);
  assert.match(at('2024-12-31'), /unsupported time expression/);
  assert.deepEqual(parseRangeStep('1m'), { ok: true, value: 60 });
  assert.equal(parseRangeStep('0s').ok, false);
  assert.equal(parseRangeStep('soon').ok, false);
});

test('the Kubernetes JSONPath subset', () => {
  const data = { a: { b: [{ c: 1 }, { c: 2 }, { c: 3 }], 'x-y': 'dash' } };
  const values = (path: string) => {
    const c = compileJsonPath(path);
    if (!c.ok) return c.error;
    const r = evaluateJsonPath(c.steps, data);
    return r.ok ? r.values : r.error;
  };
  assert.deepEqual(values('{$}'), [data]);
  assert.deepEqual(values('{.a.b[0].c}'), [1]);
  assert.deepEqual(values('{$.a.b[-1].c}'), [3]);
  assert.deepEqual(values('{.a.b[1:].c}'), [2, 3]);
  assert.deepEqual(values('{.a.b[*].c}'), [1, 2, 3]);
  assert.deepEqual(values('{.a.x-y}'), ['dash']);
  assert.deepEqual(values('{.a["x-y"]}'), ['dash']);
  assert.match(String(values('{..c}')), /recursive descent/);
  assert.match(String(values('{.a} {.b}')), /one \{\.\.\.\} expression/);
  assert.match(String(values('{.a.b.c}')), /c is not found/);
});

test('the registry finds providers by type and lists them for the unknown-provider message', () => {
  const fake = (type: string): MetricProvider => ({ type, run: async () => ({ status: 'error', message: 'x', startedAt: '', finishedAt: '' }) });
  const registry = createMetricProviderRegistry([fake('prometheus'), fake('web'), fake('job')]);
  assert.equal(registry.get('web')?.type, 'web');
  assert.equal(registry.get('datadog'), undefined);
  assert.equal(unknownMetricProviderMessage('datadog', registry), "unknown metric provider 'datadog' (supported: prometheus, web, job)");
  assert.throws(() => createMetricProviderRegistry([fake('web'), fake('web')]), /registered twice/);
});
