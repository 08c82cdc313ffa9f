// AnalysisRun scheduling and assessment (src/engine/analysis): Argo's analysis/analysis.go rules
// (generateMetricTasks, assessMetricStatus, assessRunStatus, calculateNextReconcileTime,
// garbageCollectMeasurements) and utils/analysis/helpers.go (args, template flattening).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnalysisPhase, AnalysisRun, AnalysisRunSpec, Measurement, Metric } from '../../../src/engine/analysis/types.ts';
import { decideAnalysisRun, isWorse, measurementFromResult, recordMeasurement, requeueAfterMs } from '../../../src/engine/analysis/decide-analysis-run.ts';
import { buildAnalysisRunSpec, mergeTemplates, resolveArgs, substituteArgs } from '../../../src/engine/analysis/args.ts';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);
const iso = (s: number): string => at(s).toISOString().replace('.000Z', 'Z');

function metric(over: Partial<Metric> = {}): Metric {
  return { name: 'm', provider: { prometheus: { address: 'http://prom', query: 'q' } }, ...over };
}
function runOf(metrics: Metric[], spec: Partial<AnalysisRunSpec> = {}): AnalysisRun {
  return { metadata: { name: 'r', namespace: 'ns' }, spec: { metrics, ...spec } };
}
function done(phase: AnalysisPhase, s: number, message?: string): Measurement {
  return { phase, startedAt: iso(s), finishedAt: iso(s), ...(message ? { message } : {}) };
}

interface Reconciled {
  run: AnalysisRun;
  measured: string[];
  requeueAfterMs: number | undefined;
}

/** One reconcile as the shell runs it: decide, measure each task with `outcome`, record, requeue. */
function reconcile(run: AnalysisRun, now: Date, outcome: (metric: string, action: string) => Measurement): Reconciled {
  const d = decideAnalysisRun(run, now);
  let status = d.status;
  for (const t of d.measure) status = recordMeasurement({ ...run, status }, t.metric, outcome(t.metric, t.action), now);
  const next = { ...run, status };
  return { run: next, measured: d.measure.map((t) => `${t.metric}:${t.action}`), requeueAfterMs: d.measure.length ? requeueAfterMs(next, now) : d.requeueAfterMs };
}

/**
 * Drive a run to completion on a simulated clock: each metric answers with the next phase of its
 * script (repeating the last one). Returns the run, the phase after each reconcile and when each
 * measurement was taken (seconds since T0).
 */
function simulate(run: AnalysisRun, scripts: Record<string, AnalysisPhase[]>, maxReconciles = 50): { run: AnalysisRun; phases: string[]; times: Record<string, number[]> } {
  const used: Record<string, number> = {};
  const times: Record<string, number[]> = {};
  const phases: string[] = [];
  let t = 0;
  for (let i = 0; i < maxReconciles; i++) {
    const now = at(t);
    const r = reconcile(run, now, (name) => {
      const script = scripts[name] ?? ['Successful'];
      const n = used[name] ?? 0;
      used[name] = n + 1;
      (times[name] ??= []).push(t);
      return done(script[Math.min(n, script.length - 1)] as AnalysisPhase, t);
    });
    run = r.run;
    phases.push(run.status?.phase ?? '');
    if (r.requeueAfterMs === undefined) break;
    t += Math.max(1, r.requeueAfterMs / 1000);
  }
  return { run, phases, times };
}

const S: AnalysisPhase = 'Successful';
const F: AnalysisPhase = 'Failed';
const I: AnalysisPhase = 'Inconclusive';
const E: AnalysisPhase = 'Error';

test('assessMetricStatus rules: limits, counts and consecutive limits (table)', () => {
  const cases: Array<{ name: string; metric: Partial<Metric>; script: AnalysisPhase[]; phase: AnalysisPhase; measurements: number; message?: RegExp }> = [
    { name: 'no interval, no count: exactly one measurement', metric: {}, script: [S], phase: S, measurements: 1 },
    { name: 'count reached → Successful', metric: { interval: '10s', count: 3 }, script: [S, S, S], phase: S, measurements: 3 },
    { name: 'count reached with failures within failureLimit → Successful', metric: { interval: '10s', count: 3, failureLimit: 2 }, script: [F, F, S], phase: S, measurements: 3 },
    { name: 'count as a string', metric: { interval: '10s', count: '2' }, script: [S], phase: S, measurements: 2 },
    { name: 'failureLimit 0: one Failed → Failed', metric: { interval: '10s', count: 5 }, script: [F], phase: F, measurements: 1, message: /Metric "m" assessed Failed due to failed \(1\) > failureLimit \(0\)/ },
    { name: 'failureLimit 2: third failure → Failed', metric: { interval: '10s', count: 10, failureLimit: 2 }, script: [F, F, F], phase: F, measurements: 3 },
    { name: 'failures need not be consecutive', metric: { interval: '10s', count: 10, failureLimit: 1 }, script: [F, S, S, F], phase: F, measurements: 4 },
    { name: 'inconclusiveLimit 0: one Inconclusive → Inconclusive', metric: { interval: '10s', count: 5 }, script: [I], phase: I, measurements: 1, message: /inconclusive \(1\) > inconclusiveLimit \(0\)/ },
    { name: 'inconclusiveLimit 1: second Inconclusive → Inconclusive', metric: { interval: '10s', count: 5, inconclusiveLimit: 1 }, script: [I, S, I], phase: I, measurements: 3 },
    { name: 'consecutiveErrorLimit 4 (default): the 5th error in a row → Error', metric: { interval: '10s', count: 10 }, script: [E, E, E, E, E], phase: E, measurements: 5, message: /consecutiveErrors \(5\) > consecutiveErrorLimit \(4\)/ },
    { name: 'a success resets the consecutive errors', metric: { interval: '10s', count: 2 }, script: [E, E, E, E, S, E, E, E, E, S], phase: S, measurements: 10 },
    { name: 'errors do not count towards count', metric: { interval: '10s', count: 2 }, script: [E, S, E, S], phase: S, measurements: 4 },
    { name: 'consecutiveErrorLimit 0: the first error → Error', metric: { interval: '10s', count: 5, consecutiveErrorLimit: 0 }, script: [E], phase: E, measurements: 1 },
    { name: 'an Error without interval is retried', metric: {}, script: [E, E, S], phase: S, measurements: 3 },
    { name: 'consecutiveSuccessLimit reached before count → Successful', metric: { interval: '10s', count: 10, failureLimit: 3, consecutiveSuccessLimit: 2 }, script: [S, F, S, S], phase: S, measurements: 4 },
    { name: 'consecutiveSuccessLimit: failureLimit still fails first', metric: { interval: '10s', count: 10, failureLimit: 1, consecutiveSuccessLimit: 3 }, script: [S, F, S, F], phase: F, measurements: 4 },
    { name: 'consecutiveSuccessLimit and failureLimit, count reached without either → Inconclusive', metric: { interval: '10s', count: 3, failureLimit: 1, consecutiveSuccessLimit: 3 }, script: [S, F, S], phase: I, measurements: 3 },
    { name: 'failureLimit -1 alone with consecutiveSuccessLimit: streak reached → Successful', metric: { interval: '10s', count: 10, failureLimit: -1, consecutiveSuccessLimit: 2 }, script: [F, F, F, S, S], phase: S, measurements: 5 },
    { name: 'failureLimit -1: count reached without the streak → Failed', metric: { interval: '10s', count: 4, failureLimit: -1, consecutiveSuccessLimit: 3 }, script: [F, S, S, F], phase: F, measurements: 4 },
    { name: 'an Inconclusive measurement breaks the success streak', metric: { interval: '10s', count: 10, inconclusiveLimit: 5, consecutiveSuccessLimit: 2 }, script: [S, I, S, S], phase: S, measurements: 4 },
  ];
  for (const c of cases) {
    const { run } = simulate(runOf([metric(c.metric)]), { m: c.script });
    const result = run.status?.metricResults?.[0];
    assert.equal(run.status?.phase, c.phase, `${c.name}: run phase`);
    assert.equal(result?.phase, c.phase, `${c.name}: metric phase`);
    assert.equal(result?.measurements?.length, c.measurements, `${c.name}: measurements`);
    assert.ok(run.status?.completedAt, `${c.name}: completedAt`);
    if (c.message) assert.match(run.status?.message ?? '', c.message, c.name);
  }
});

test('failureLimit 2: two failures keep the metric Running, the third fails it', () => {
  let run = runOf([metric({ interval: '10s', failureLimit: 2 })]);
  const phases: string[] = [];
  for (let i = 0; i < 3; i++) {
    run = reconcile(run, at(i * 10), () => done(F, i * 10)).run;
    phases.push(`${run.status?.metricResults?.[0]?.phase}/${run.status?.phase}`);
  }
  assert.deepEqual(phases, ['Running/Running', 'Running/Running', 'Failed/Failed']);
  assert.equal(run.status?.metricResults?.[0]?.failed, 3);
});

test('failureLimit -1 disables the failure check entirely for an unbounded metric', () => {
  let run = runOf([metric({ interval: '10s', failureLimit: -1, consecutiveSuccessLimit: 100 })]);
  for (let i = 0; i < 8; i++) run = reconcile(run, at(i * 10), () => done(F, i * 10)).run;
  assert.equal(run.status?.phase, 'Running');
  assert.equal(run.status?.metricResults?.[0]?.failed, 8);
});

test('counters: count, successful, failed, inconclusive, error, consecutiveError, consecutiveSuccess', () => {
  const { run } = simulate(runOf([metric({ interval: '1s', count: 6, failureLimit: 5, inconclusiveLimit: 5 })]), { m: [S, S, E, F, I, S, S] });
  const r = run.status?.metricResults?.[0];
  assert.deepEqual(
    { count: r?.count, successful: r?.successful, failed: r?.failed, inconclusive: r?.inconclusive, error: r?.error, consecutiveError: r?.consecutiveError, consecutiveSuccess: r?.consecutiveSuccess },
    { count: 6, successful: 4, failed: 1, inconclusive: 1, error: 1, consecutiveError: 0, consecutiveSuccess: 2 },
  );
  assert.deepEqual(run.status?.runSummary, { count: 1, successful: 1, failed: 0, inconclusive: 0, error: 0 });
});

test('scheduling: first reconcile sets startedAt and measures; interval is counted from finishedAt', () => {
  const run0 = runOf([metric({ interval: '1m' })]);
  const r1 = reconcile(run0, at(0), () => done(S, 0));
  assert.deepEqual(r1.measured, ['m:run']);
  assert.equal(r1.run.status?.startedAt, iso(0));
  assert.equal(r1.run.status?.phase, 'Running');
  assert.equal(r1.requeueAfterMs, 60_000);
  const d2 = decideAnalysisRun(r1.run, at(30));
  assert.deepEqual(d2.measure, []);
  assert.equal(d2.requeueAfterMs, 30_000);
  const d3 = decideAnalysisRun(r1.run, at(60));
  assert.deepEqual(d3.measure, [{ metric: 'm', action: 'run' }]);
  // A measurement that finished late pushes the next one back.
  const late = recordMeasurement(r1.run, 'm', { phase: 'Successful', startedAt: iso(60), finishedAt: iso(75) }, at(75));
  assert.equal(requeueAfterMs({ ...r1.run, status: late }, at(75)), 60_000);
  assert.equal(decideAnalysisRun({ ...r1.run, status: late }, at(134)).measure.length, 0);
  assert.equal(decideAnalysisRun({ ...r1.run, status: late }, at(135)).measure.length, 1);
});

test('scheduling: initialDelay waits from startedAt, and requeueAfterMs says when', () => {
  const run0 = runOf([metric({ initialDelay: '30s', interval: '10s', count: 2 }), metric({ name: 'now' })]);
  const r1 = reconcile(run0, at(0), () => done(S, 0));
  assert.deepEqual(r1.measured, ['now:run'], 'the delayed metric is not measured on the first reconcile');
  assert.equal(r1.requeueAfterMs, 30_000);
  assert.equal(r1.run.status?.phase, 'Running', 'a metric not yet started keeps the run Running');
  const d2 = decideAnalysisRun(r1.run, at(29));
  assert.deepEqual(d2.measure, []);
  assert.equal(d2.requeueAfterMs, 1_000);
  const r3 = reconcile(r1.run, at(30), () => done(S, 30));
  assert.deepEqual(r3.measured, ['m:run']);
  assert.equal(r3.requeueAfterMs, 10_000);
  const r4 = reconcile(r3.run, at(40), () => done(S, 40));
  assert.equal(r4.run.status?.phase, 'Successful');
  assert.equal(r4.requeueAfterMs, undefined);
  assert.equal(r4.run.status?.completedAt, iso(40));
  // initialDelay "0s" behaves like Argo: nothing on the first reconcile, then immediately.
  const z = decideAnalysisRun(runOf([metric({ initialDelay: '0s' })]), at(0));
  assert.deepEqual([z.measure, z.requeueAfterMs], [[], 0]);
});

test('simulation timeline: interval 5m, count 3 measures at 0, 5m, 10m and then stops', () => {
  const { run, times, phases } = simulate(runOf([metric({ interval: '5m', count: 3 })]), { m: [S] });
  assert.deepEqual(times.m, [0, 300, 600]);
  assert.deepEqual(phases, ['Running', 'Running', 'Successful']);
  assert.deepEqual(decideAnalysisRun(run, at(10_000)), { status: run.status, measure: [] }, 'a completed run is left alone');
});

test('an Error retries after 10s even when the interval is longer', () => {
  const r1 = reconcile(runOf([metric({ interval: '5m' })]), at(0), () => done(E, 0, 'connection refused'));
  assert.equal(r1.requeueAfterMs, 10_000);
  assert.equal(r1.run.status?.metricResults?.[0]?.phase, 'Running');
  assert.equal(decideAnalysisRun(r1.run, at(10)).measure.length, 1);
});

test('in-flight measurements are resumed at resumeAt and replaced when they finish', () => {
  const r1 = reconcile(runOf([metric({ provider: { job: { spec: {} } } })]), at(0), () => ({ phase: 'Running', startedAt: iso(0), resumeAt: iso(20), metadata: { 'job-name': 'j' } }));
  assert.equal(r1.run.status?.metricResults?.[0]?.phase, 'Running');
  assert.equal(r1.requeueAfterMs, 20_000);
  assert.deepEqual(decideAnalysisRun(r1.run, at(10)).measure, []);
  const r2 = reconcile(r1.run, at(20), (_m, action) => {
    assert.equal(action, 'resume');
    return { phase: 'Successful', startedAt: iso(0), metadata: { 'job-name': 'j' } };
  });
  const result = r2.run.status?.metricResults?.[0];
  assert.equal(result?.measurements?.length, 1);
  assert.equal(result?.measurements?.[0]?.finishedAt, iso(20));
  assert.equal(r2.run.status?.phase, 'Successful');
});

test('run phase is the worst metric phase (Successful < Inconclusive < Error < Failed)', () => {
  assert.ok(isWorse('Successful', 'Inconclusive') && isWorse('Inconclusive', 'Error') && isWorse('Error', 'Failed'));
  assert.ok(!isWorse('Failed', 'Error') && isWorse('Successful', 'Running') && isWorse('Running', 'Pending'));
  const cases: Array<[AnalysisPhase[], AnalysisPhase]> = [
    [[S, S], S],
    [[S, I], I],
    [[I, E], E],
    [[E, F], F],
    [[F, I], F],
  ];
  for (const [outcomes, expected] of cases) {
    // consecutiveErrorLimit 0 makes a single Error terminal, so every metric is one measurement.
    const metrics = outcomes.map((_, i) => metric({ name: `m${i}`, consecutiveErrorLimit: 0 }));
    const { run } = simulate(runOf(metrics), Object.fromEntries(outcomes.map((o, i) => [`m${i}`, [o]])));
    assert.equal(run.status?.phase, expected, outcomes.join('+'));
  }
});

test('a failing metric ends the run while another metric is unbounded (terminating)', () => {
  const run0 = runOf([metric({ name: 'a' }), metric({ name: 'b', interval: '1m' })]);
  const r = reconcile(run0, at(0), (name) => done(name === 'a' ? F : S, 0));
  assert.equal(r.run.status?.phase, 'Failed');
  assert.equal(r.run.status?.metricResults?.find((x) => x.name === 'b')?.phase, 'Successful', 'the unbounded metric is cut short');
  assert.equal(r.requeueAfterMs, undefined);
});

test('dry-run metrics (regex) never fail the run; they count in dryRunSummary', () => {
  const run0 = runOf([metric({ name: 'real' }), metric({ name: 'dry-latency' }), metric({ name: 'dry-errors', interval: '10s' })], { dryRun: [{ metricName: 'dry-.*' }] });
  const { run } = simulate(run0, { real: [S], 'dry-latency': [F], 'dry-errors': [E] });
  assert.equal(run.status?.phase, 'Successful');
  assert.deepEqual(run.status?.runSummary, { count: 1, successful: 1, failed: 0, inconclusive: 0, error: 0 });
  assert.deepEqual(run.status?.dryRunSummary, { count: 2, successful: 0, failed: 1, inconclusive: 0, error: 1 });
  const dry = run.status?.metricResults?.find((x) => x.name === 'dry-latency');
  assert.equal(dry?.dryRun, true);
  assert.equal(dry?.phase, 'Failed');
  assert.equal(dry?.message, 'Metric assessed Failed due to failed (1) > failureLimit (0)');
  // The real metric keeps running although the dry-run one failed (it does not terminate the run).
  const r = reconcile(runOf([metric({ name: 'real', interval: '1m' }), metric({ name: 'dry' })], { dryRun: [{ metricName: '^dry$' }] }), at(0), (n) => done(n === 'dry' ? F : S, 0));
  assert.equal(r.run.status?.phase, 'Running');
  // `.*` makes every metric a dry run: the run is Successful whatever they measure.
  assert.equal(simulate(runOf([metric()], { dryRun: [{ metricName: '.*' }] }), { m: [F] }).run.status?.phase, 'Successful');
});

test('spec errors end the run as Error: unmatched dryRun / retention rules, invalid metrics, missing args', () => {
  const cases: Array<[AnalysisRun, string]> = [
    [runOf([metric()], { dryRun: [{ metricName: 'nope' }] }), "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)"],
    [runOf([metric()], { measurementRetention: [{ metricName: 'm', limit: 2 }, { metricName: 'x', limit: 1 }] }), "Analysis spec invalid: measurementRetention[1]: Rule didn't match any metric name(s)"],
    [runOf([metric({ count: 3 })]), 'Analysis spec invalid: metrics[0]: interval must be specified when count > 1'],
    [runOf([metric({ interval: '10s', count: 1, failureLimit: 2 })]), 'Analysis spec invalid: metrics[0]: count must be >= failureLimit'],
    [runOf([metric(), metric()]), "Analysis spec invalid: metrics[1]: duplicate name 'm'"],
    [runOf([metric({ failureLimit: -1 })]), 'Analysis spec invalid: metrics[0]: at least one of failureLimit (>= 0) or consecutiveSuccessLimit (> 0) must be set'],
    [runOf([metric({ interval: '5 minutes' })]), 'Analysis spec invalid: metrics[0]: invalid interval string: "5 minutes"'],
    [runOf([metric({ provider: {} })]), 'Analysis spec invalid: metrics[0]: no provider specified'],
    [runOf([metric({ provider: { prometheus: {}, web: {} } })]), 'Analysis spec invalid: metrics[0]: multiple providers specified'],
    [runOf([]), 'Analysis spec invalid: no metrics specified'],
    [runOf([metric({ provider: { prometheus: { query: 'up{svc="{{args.missing}}"}' } } })]), 'Unable to resolve metric arguments: failed to resolve {{args.missing}}'],
  ];
  for (const [run, message] of cases) {
    const d = decideAnalysisRun(run, at(0));
    assert.equal(d.status.phase, 'Error', message);
    assert.equal(d.status.message, message);
    assert.deepEqual(d.measure, []);
    assert.equal(d.requeueAfterMs, undefined);
  }
});

test('args are substituted before scheduling: count and limits may come from args; secrets resolve to a stand-in', () => {
  const run0 = runOf([metric({ interval: '{{args.every}}', count: '{{args.n}}', provider: { web: { url: 'http://x', headers: [{ key: 'Authorization', value: '{{ args.token }}' }] } } })], {
    args: [{ name: 'every', value: '10s' }, { name: 'n', value: '2' }, { name: 'token', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
  });
  const { run, times } = simulate(run0, { m: [S] });
  assert.equal(run.status?.phase, 'Successful');
  assert.deepEqual(times.m, [0, 10]);
});

test('measurementRetention: last 10 by default, per-metric regex limits; counters are kept', () => {
  const run0 = runOf([metric({ name: 'latency', interval: '1s' }), metric({ name: 'errors', interval: '1s' })], { measurementRetention: [{ metricName: 'lat.*', limit: 3 }] });
  let run = run0;
  for (let i = 0; i < 12; i++) run = reconcile(run, at(i), () => done(S, i)).run;
  const latency = run.status?.metricResults?.find((r) => r.name === 'latency');
  const errors = run.status?.metricResults?.find((r) => r.name === 'errors');
  assert.equal(latency?.measurements?.length, 3);
  assert.deepEqual(latency?.measurements?.map((m) => m.startedAt), [iso(9), iso(10), iso(11)], 'the newest are kept');
  assert.equal(errors?.measurements?.length, 10);
  assert.equal(latency?.count, 12);
  assert.equal(errors?.successful, 12);
});

test('terminate: Successful unless a limit was already violated; no more measurements', () => {
  const m = metric({ interval: '10s', failureLimit: 2 });
  let run = runOf([m]);
  run = reconcile(run, at(0), () => done(S, 0)).run;
  run = reconcile(run, at(10), () => done(F, 10)).run;
  assert.equal(run.status?.phase, 'Running');
  const terminated = reconcile({ ...run, spec: { ...run.spec, terminate: true } }, at(15), () => assert.fail('no measurement while terminating'));
  assert.equal(terminated.run.status?.phase, 'Successful', 'failures within failureLimit: Successful');
  assert.equal(terminated.run.status?.message, 'Run Terminated');
  assert.equal(terminated.run.status?.metricResults?.[0]?.phase, 'Successful');
  assert.equal(terminated.run.status?.completedAt, iso(15));
  assert.equal(terminated.requeueAfterMs, undefined);

  // Already Failed before terminate → stays Failed (a completed run is never revisited).
  const failed = simulate(runOf([metric({ interval: '10s' })]), { m: [F] }).run;
  assert.equal(decideAnalysisRun({ ...failed, spec: { ...failed.spec, terminate: true } }, at(100)).status.phase, 'Failed');

  // Terminated before any measurement → Successful.
  const early = decideAnalysisRun(runOf([metric({ initialDelay: '5m' })], { terminate: true }), at(0));
  assert.deepEqual([early.status.phase, early.measure, early.status.message], ['Successful', [], 'Run Terminated']);

  // An in-flight measurement is terminated, not abandoned.
  let job = runOf([metric({ provider: { job: {} } })]);
  job = reconcile(job, at(0), () => ({ phase: 'Running', startedAt: iso(0) })).run;
  const t = reconcile({ ...job, spec: { ...job.spec, terminate: true } }, at(5), (_n, action) => {
    assert.equal(action, 'terminate');
    return { phase: 'Successful', startedAt: iso(0) };
  });
  assert.equal(t.run.status?.phase, 'Successful');
  assert.equal(t.run.status?.metricResults?.[0]?.measurements?.[0]?.message, 'Metric Terminated');
  assert.equal(t.run.status?.metricResults?.[0]?.measurements?.length, 1);
});

test('measurementFromResult evaluates the metric conditions with the expr engine', () => {
  const m = metric({ successCondition: 'result[0] >= 0.95', failureCondition: 'result[0] < 0.5' });
  const cases: Array<[unknown, AnalysisPhase]> = [[[0.99], S], [[0.7], I], [[0.1], F], ['oops', E]];
  for (const [result, phase] of cases) {
    const got = measurementFromResult(m, result, at(0), at(1));
    assert.equal(got.phase, phase, JSON.stringify(result));
    assert.equal(got.finishedAt, iso(1));
  }
  assert.equal(measurementFromResult(m, [0.99], at(0), at(0)).value, '[0.99]');
});

test('resolveArgs: supplied values override template args; an arg left without a value is named', () => {
  const tmpl = [{ name: 'service' }, { name: 'threshold', value: '0.95' }, { name: 'token', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
  const ok = resolveArgs(tmpl, [{ name: 'service', value: 'web' }, { name: 'ignored', value: 'x' }, { name: 'threshold', value: '0.99' }]);
  assert.ok(ok.ok);
  assert.deepEqual(ok.values, { service: 'web', threshold: '0.99' });
  assert.equal(ok.args.length, 3);
  assert.deepEqual(resolveArgs(tmpl, []), { ok: false, error: 'args.service was not resolved' });
  assert.ok(resolveArgs(tmpl, [{ name: 'service', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]).ok);
});

test('substituteArgs replaces {{args.name}} in every string and fails on unknown names', () => {
  const provider = { prometheus: { query: 'sum(rate(x{svc="{{args.svc}}"}[{{ args.window }}]))', headers: [{ key: 'X', value: '{{args.svc}}-{{args.svc}}' }], timeout: 30 } };
  assert.deepEqual(substituteArgs(provider, { svc: 'web', window: '5m' }), {
    ok: true,
    value: { prometheus: { query: 'sum(rate(x{svc="web"}[5m]))', headers: [{ key: 'X', value: 'web-web' }], timeout: 30 } },
  });
  assert.deepEqual(substituteArgs(provider, { svc: 'web' }), { ok: false, error: 'failed to resolve {{ args.window }}' });
  assert.deepEqual(substituteArgs('{{other.x}}', {}), { ok: false, error: 'failed to resolve {{other.x}}' });
});

test('mergeTemplates: metrics concatenated, args merged, rules merged; conflicts are errors', () => {
  const a = { spec: { metrics: [metric({ name: 'a' })], args: [{ name: 'svc' }, { name: 'ns', value: 'prod' }], dryRun: [{ metricName: 'a' }] } };
  const b = { spec: { metrics: [metric({ name: 'b' })], args: [{ name: 'svc', value: 'web' }, { name: 'ns', value: 'prod' }], measurementRetention: [{ metricName: 'b', limit: 5 }] } };
  const merged = mergeTemplates([a, b]);
  assert.ok(merged.ok);
  assert.deepEqual(merged.value.metrics.map((m) => m.name), ['a', 'b']);
  assert.deepEqual(merged.value.args, [{ name: 'svc', value: 'web' }, { name: 'ns', value: 'prod' }]);
  assert.deepEqual(merged.value.dryRun, [{ metricName: 'a' }]);
  assert.deepEqual(merged.value.measurementRetention, [{ metricName: 'b', limit: 5 }]);

  const conflicts: Array<[unknown[], string]> = [
    [[a, { spec: { metrics: [metric({ name: 'a' })] } }], "two metrics have the same name 'a'"],
    [[a, { spec: { metrics: [], args: [{ name: 'ns', value: 'dev' }] } }], "Argument `ns` specified multiple times with different values: 'prod', 'dev'"],
    [[a, { spec: { metrics: [], dryRun: [{ metricName: 'a' }] } }], "two Dry-Run metric rules have the same name 'a'"],
    [[b, { spec: { metrics: [], measurementRetention: [{ metricName: 'b', limit: 1 }] } }], "two Measurement Retention metric rules have the same name 'b'"],
  ];
  for (const [templates, error] of conflicts) assert.deepEqual(mergeTemplates(templates as never), { ok: false, error });
});

test('buildAnalysisRunSpec: templates + Rollout args → a run that schedules', () => {
  const spec = buildAnalysisRunSpec([{ metrics: [metric({ provider: { prometheus: { query: '{{args.svc}}' } } })], args: [{ name: 'svc' }] }], { args: [{ name: 'svc', value: 'web' }], dryRun: [{ metricName: 'm' }] });
  assert.ok(spec.ok);
  assert.deepEqual(spec.value.args, [{ name: 'svc', value: 'web' }]);
  assert.deepEqual(spec.value.dryRun, [{ metricName: 'm' }]);
  assert.equal(decideAnalysisRun({ spec: spec.value }, at(0)).measure.length, 1);
  assert.deepEqual(buildAnalysisRunSpec([{ metrics: [metric()], args: [{ name: 'svc' }] }]), { ok: false, error: 'args.svc was not resolved' });
});

test('decide is pure: the input run is not mutated and the same input gives the same output', () => {
  const run = runOf([metric({ interval: '10s' })]);
  const frozen = JSON.stringify(run);
  const a = decideAnalysisRun(run, at(0));
  const b = decideAnalysisRun(run, at(0));
  assert.deepEqual(a, b);
  assert.equal(JSON.stringify(run), frozen);
  const rec = recordMeasurement({ ...run, status: a.status }, 'm', done(S, 0), at(0));
  assert.equal(JSON.stringify(run), frozen);
  assert.equal(a.status.metricResults?.length, 0, 'recordMeasurement copies the status');
  assert.equal(rec.metricResults?.length, 1);
});
