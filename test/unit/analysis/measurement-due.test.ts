// When a new measurement is due (engine nextMeasurementDueAt): the time the AnalysisRun controller
// measures its start lag against, and the one the engine itself schedules from. Also: the engine
// never mutates the run it is given, so the controller passes its cached object without a copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAnalysisRun, nextMeasurementDueAt, recordMeasurement, requeueAfterMs, type AnalysisRun, type Measurement, type Metric } from '../../../src/engine/analysis/index.ts';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const iso = (s: number): string => at(s).toISOString().replace('.000Z', 'Z');
const metric = (over: Partial<Metric> = {}): Metric => ({ name: 'm', provider: { prometheus: { address: 'http://prom', query: 'q{svc="{{args.svc}}"}' } }, ...over });
const done = (phase: Measurement['phase'], start: number, end: number): Measurement => ({ phase, startedAt: iso(start), finishedAt: iso(end), value: '1' });
const runWith = (metrics: Metric[], status?: AnalysisRun['status']): AnalysisRun => ({
  metadata: { name: 'r', namespace: 'ns' },
  spec: { args: [{ name: 'svc', value: 'web' }], metrics },
  ...(status ? { status } : {}),
});

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

test('the next measurement is due at the last recorded finishedAt + interval; after an Error, + 10 s', () => {
  const m = metric({ interval: '30s', count: 5 });
  const ok = runWith([m], { phase: 'Running', startedAt: iso(0), metricResults: [{ name: 'm', phase: 'Running', count: 1, successful: 1, measurements: [done('Successful', 0, 2)] }] });
  assert.equal(nextMeasurementDueAt(ok, m, T0), T0 + 32_000);
  const err = runWith([m], { phase: 'Running', startedAt: iso(0), metricResults: [{ name: 'm', phase: 'Running', error: 1, consecutiveError: 1, measurements: [done('Error', 0, 2)] }] });
  assert.equal(nextMeasurementDueAt(err, m, T0), T0 + 12_000);
  // What the engine schedules and measures by.
  assert.equal(requeueAfterMs(ok, at(10)), 22_000);
  assert.deepEqual(decideAnalysisRun(ok, at(31.999)).measure, []);
  assert.deepEqual(decideAnalysisRun(ok, at(32)).measure, [{ metric: 'm', action: 'run' }]);
});

test('a first measurement is due at startedAt + initialDelay, and has no due time without one', () => {
  const delayed = metric({ initialDelay: '1m', interval: '10s', count: 2 });
  assert.equal(nextMeasurementDueAt(runWith([delayed], { phase: 'Running', startedAt: iso(5) }), delayed, T0), T0 + 65_000);
  // Before the first reconcile sets startedAt, `now` stands in (that is what it will be set to).
  assert.equal(nextMeasurementDueAt(runWith([delayed]), delayed, T0 + 1234), T0 + 61_234);
  const plain = metric({ interval: '10s', count: 2 });
  assert.equal(nextMeasurementDueAt(runWith([plain]), plain, T0), undefined);
});

test('nothing is due for a metric that is completed, in flight or has reached its count', () => {
  const m = metric({ interval: '10s', count: 2 });
  const status = (over: object): AnalysisRun['status'] => ({ phase: 'Running', startedAt: iso(0), metricResults: [{ name: 'm', phase: 'Running', ...over }] });
  assert.equal(nextMeasurementDueAt(runWith([m], status({ phase: 'Successful', count: 2, measurements: [done('Successful', 0, 1)] })), m, T0), undefined);
  assert.equal(nextMeasurementDueAt(runWith([m], status({ measurements: [{ phase: 'Running', startedAt: iso(0) }] })), m, T0), undefined);
  assert.equal(nextMeasurementDueAt(runWith([m], status({ count: 2, measurements: [done('Successful', 0, 1), done('Successful', 11, 12)] })), m, T0), undefined);
  // An unreadable finishedAt makes it due at once, for the scheduler and the task list alike.
  const garbled = runWith([m], status({ count: 1, measurements: [{ phase: 'Successful', startedAt: iso(0), finishedAt: 'yesterday' }] }));
  assert.equal(nextMeasurementDueAt(garbled, m, T0), 10_000);
  assert.equal(requeueAfterMs(garbled, at(3)), 0);
  assert.deepEqual(decideAnalysisRun(garbled, at(3)).measure, [{ metric: 'm', action: 'run' }]);
});

test('decide and record never mutate the run they are given', () => {
  const metrics = [metric({ name: 'a', interval: '10s', count: 3, successCondition: 'result[0] >= 0.9' }), metric({ name: 'd', initialDelay: '5s', interval: '10s', count: 2 })];
  let run: AnalysisRun = { ...runWith(metrics), spec: { ...runWith(metrics).spec, dryRun: [{ metricName: 'd' }], measurementRetention: [{ metricName: 'a', limit: 2 }] } };
  for (let s = 0; s <= 40; s += 5) {
    deepFreeze(run);
    const d = decideAnalysisRun(run, at(s));
    let status = d.status;
    for (const task of d.measure) {
      status = recordMeasurement(deepFreeze({ ...run, status }), task.metric, done('Successful', s, s), at(s));
    }
    run = { ...run, status };
  }
  assert.equal(run.status?.phase, 'Successful');
  deepFreeze(run);
  assert.doesNotThrow(() => decideAnalysisRun({ ...run, spec: { ...run.spec, terminate: true } }, at(50)));
});
