// recordMeasurements (engine): the measurements of one reconcile recorded at once must give exactly
// the status that recording them one by one (recordMeasurement) gives, including when one of them
// ends the run part-way, the run is terminating, a metric is a dry run, or history is trimmed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAnalysisRun, recordMeasurement, recordMeasurements, type AnalysisRun, type AnalysisRunSpec, type Measurement, type Metric, type RecordedMeasurement } from '../../../src/engine/analysis/index.ts';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const iso = (s: number): string => at(s).toISOString().replace('.000Z', 'Z');
const metric = (name: string, over: Partial<Metric> = {}): Metric => ({ name, interval: '10s', count: 3, provider: { prometheus: { address: 'http://prom', query: `q_${name}` } }, ...over });
const m = (phase: Measurement['phase'], s: number, extra: Partial<Measurement> = {}): Measurement => ({ phase, startedAt: iso(s), finishedAt: iso(s), value: '1', ...extra });
const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function oneByOne(run: AnalysisRun, recorded: RecordedMeasurement[], now: Date): unknown {
  let status = run.status;
  for (const r of recorded) status = recordMeasurement({ ...run, ...(status ? { status } : {}) }, r.metric, r.measurement, now, r.options ?? {});
  return json(status);
}

function same(name: string, run: AnalysisRun, recorded: RecordedMeasurement[], now: Date): void {
  assert.deepEqual(json(recordMeasurements(run, recorded, now)), oneByOne(run, recorded, now), name);
}

/** The run as the controller holds it after `rounds` reconciles in which every metric measured `phase`. */
function advanced(spec: AnalysisRunSpec, rounds: number): AnalysisRun {
  let run: AnalysisRun = { metadata: { name: 'r', namespace: 'ns' }, spec };
  for (let i = 0; i < rounds; i++) {
    const d = decideAnalysisRun(run, at(i * 10));
    run = { ...run, status: recordMeasurements({ ...run, status: d.status }, d.measure.map((t) => ({ metric: t.metric, measurement: m('Successful', i * 10) })), at(i * 10)) };
  }
  return run;
}

test('all Successful, first and later measurements, with metadata on the first', () => {
  const spec = { metrics: [metric('a'), metric('b'), metric('c')] };
  const fresh = advanced(spec, 0);
  same('first', { ...fresh, status: decideAnalysisRun(fresh, at(0)).status }, ['a', 'b', 'c'].map((x) => ({ metric: x, measurement: m('Successful', 0), options: { metadata: { ResolvedPrometheusQuery: `q_${x}` } } })), at(0));
  same('later', advanced(spec, 2), ['a', 'b', 'c'].map((x) => ({ metric: x, measurement: m('Successful', 20) })), at(20));
});

test('a failure part-way ends the run; the measurements recorded after it keep the run Failed', () => {
  const run = advanced({ metrics: [metric('a'), metric('b', { failureLimit: 0 }), metric('c')] }, 1);
  same('failed', run, [{ metric: 'a', measurement: m('Successful', 10) }, { metric: 'b', measurement: m('Failed', 10) }, { metric: 'c', measurement: m('Successful', 10) }], at(10));
  same('errors past the limit', advanced({ metrics: [metric('a', { consecutiveErrorLimit: 0 }), metric('b')] }, 1), [{ metric: 'a', measurement: m('Error', 10, { message: 'boom' }) }, { metric: 'b', measurement: m('Inconclusive', 10) }], at(10));
});

test('terminating with measurements in flight, a dry-run metric, and history trimmed', () => {
  const spec: AnalysisRunSpec = { metrics: [metric('a', { count: 20 }), metric('d', { count: 20, failureLimit: 0 })], dryRun: [{ metricName: 'd' }], measurementRetention: [{ metricName: 'a', limit: 2 }] };
  const run = advanced(spec, 4);
  same('dry run fails, a trimmed', run, [{ metric: 'a', measurement: m('Successful', 40) }, { metric: 'd', measurement: m('Failed', 40) }], at(40));
  const inFlight: AnalysisRun = {
    ...run,
    spec: { ...run.spec, terminate: true },
    status: { ...run.status, metricResults: run.status?.metricResults?.map((r) => ({ ...r, measurements: [...(r.measurements ?? []), { phase: 'Running', startedAt: iso(41) }] })) },
  };
  same('terminate', inFlight, [{ metric: 'a', measurement: m('Successful', 42) }, { metric: 'd', measurement: m('Successful', 42) }], at(42));
});

test('an invalid spec gives the same Error status', () => {
  const run: AnalysisRun = { metadata: { name: 'r' }, spec: { metrics: [metric('a', { provider: {} })] }, status: { phase: 'Running', startedAt: iso(0) } };
  same('invalid', run, [{ metric: 'a', measurement: m('Successful', 1) }, { metric: 'a', measurement: m('Successful', 2) }], at(2));
});
