// Benchmark: 1,000 concurrent metrics with a 10 s interval against a real Prometheus (issue 5,
// item 7). Default shape: 100 AnalysisRuns × 10 prometheus metrics, `interval: 10s`, `count: 7`,
// the runs created evenly over one interval (a steady 100 measurements per second, as unsynchronised
// rollouts would give) — see the notes for why 100 × 10 rather than 1,000 × 1.
//
// Sluice: the real AnalysisRun controller, wired as src/service/start-service.ts wires it (informer
// on the namespace, KubeClient, metric provider registry, Event recorder, prom-client registry with
// the process metrics, analysis.workers default 100), in this process, so that its own metric
// `sluice_analysis_measurement_start_lag_seconds` can be read sample by sample. Start lag = when the
// provider call begins − when the engine deems the measurement due (nextMeasurementDueAt: the
// previous measurement's recorded finishedAt + interval, as Argo schedules). A first measurement
// has no due time (it is taken when the run is first seen) and is not counted, for either side.
//
// Peer (the floor): Sluice stopped, a plain Node loop in this process — one setTimeout per metric —
// sending the same 1,000 queries to the same Prometheus through the same HTTP code, each due at its
// previous answer (exact to the millisecond) + 10 s, first ones spread the same way. No API server,
// no status, no judging beyond reading the number.
//
// CPU: process.cpuUsage() (this process: the controller, its informer and HTTP clients, or the
// peer loop) and Prometheus's utime+stime from /proc, sampled every second; compared over the
// steady window in which all 1,000 metrics are active, per measurement taken.
// Knobs for trial runs: BENCH_ANALYSIS_RUNS (100), BENCH_ANALYSIS_METRICS (10), BENCH_ANALYSIS_COUNT
// (7), BENCH_ANALYSIS_SPREAD_MS (10000; 0 = every run created at once), BENCH_ANALYSIS_WORKERS
// (the default analysis.workers, 100), BENCH_ANALYSIS_DUMP (a file for the raw lag samples).
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { BenchContext } from './lib/context.ts';
import { atMost, ratio, type BenchResult, type Row } from './lib/table.ts';
import { duration, now } from './lib/timing.ts';
import { loadAverage, percentile, pollUntil, procStats, sleep } from './lib/rollout-bench.ts';
import { installCrds } from '../test/helpers/crds.ts';
import { startMetricsExporter } from '../test/testbed/metrics-exporter.ts';
import { startPrometheus, prometheusAvailable, PROMETHEUS_BINARY } from '../test/testbed/prometheus.ts';
import { KubeClient } from '../src/kube/kube-client.ts';
import { createInformer } from '../src/kube/informer.ts';
import type { KubeObject } from '../src/kube/kube-object.ts';
import { createEventRecorder } from '../src/kube/event-recorder.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetricsRegistry } from '../src/observability/metrics.ts';
import { createAnalysisMetrics } from '../src/observability/analysis-metrics.ts';
import { createAnalysisRunController, DEFAULT_ANALYSIS_WORKERS } from '../src/analysis/analysis-run-controller.ts';
import { createMetricProviders } from '../src/service/metric-providers.ts';
import { sendHttpRequest } from '../src/metrics/http-request.ts';
import { parseTime } from '../src/engine/time.ts';
import type { AnalysisRun, Metric } from '../src/engine/analysis/index.ts';

const RUNS = Number(process.env.BENCH_ANALYSIS_RUNS ?? 100);
const METRICS = Number(process.env.BENCH_ANALYSIS_METRICS ?? 10);
const COUNT = Number(process.env.BENCH_ANALYSIS_COUNT ?? 7);
const INTERVAL_MS = 10_000;
const SPREAD_MS = Number(process.env.BENCH_ANALYSIS_SPREAD_MS ?? INTERVAL_MS);
const WORKERS = Number(process.env.BENCH_ANALYSIS_WORKERS ?? DEFAULT_ANALYSIS_WORKERS);
const GOAL_P99_MS = 500;
const SUCCESS = 'result[0] >= 0.9';
const GAUGE = 'bench_success_ratio';
/** Once every run should be done: the spread, COUNT − 1 intervals, and generous slack. */
const PHASE_TIMEOUT_MS = SPREAD_MS + (COUNT - 1) * INTERVAL_MS + 90_000;
const ANALYSIS_RUN = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun' } as const;

const runName = (i: number) => `ar-${String(i).padStart(4, '0')}`;
const serviceOf = (i: number) => `svc-${String(i).padStart(4, '0')}`;
/** The query of metric j of run i after `{{args.service}}` is substituted (what the peer sends). */
const queryOf = (service: string, j: number) => `avg_over_time(${GAUGE}{service="${service}",metric="m${j}"}[30s])`;

function benchRun(ns: string, i: number, address: string): KubeObject {
  const metrics: Metric[] = Array.from({ length: METRICS }, (_, j) => ({
    name: `m${j}`,
    interval: `${INTERVAL_MS / 1000}s`,
    count: COUNT,
    successCondition: SUCCESS,
    provider: { prometheus: { address, query: queryOf('{{args.service}}', j) } },
  }));
  return { ...ANALYSIS_RUN, metadata: { name: runName(i), namespace: ns }, spec: { args: [{ name: 'service', value: serviceOf(i) }], metrics } };
}

interface CpuSample {
  /** performance.now() */
  t: number;
  /** this process, user + system, seconds */
  self: number;
  /** Prometheus, utime + stime, seconds */
  prom: number;
}

/** Samples this process's and Prometheus's CPU every second until stopped. */
function cpuSampler(promPid: number): { stop(): CpuSample[]; take(): Promise<CpuSample> } {
  const samples: CpuSample[] = [];
  const take = async (): Promise<CpuSample> => {
    const u = process.cpuUsage();
    const t = now();
    const prom = await procStats(promPid).then((s) => s.cpuSeconds).catch(() => Number.NaN);
    const s = { t, self: (u.user + u.system) / 1e6, prom };
    samples.push(s);
    return s;
  };
  const timer = setInterval(() => void take(), 1000);
  void take();
  return {
    take,
    stop() {
      clearInterval(timer);
      return samples.sort((a, b) => a.t - b.t);
    },
  };
}

/** CPU seconds between the first sample at or after `from` and the last at or before `to`. */
function cpuIn(samples: CpuSample[], from: number, to: number): { self: number; prom: number; wallMs: number } {
  const a = samples.find((s) => s.t >= from);
  const b = [...samples].reverse().find((s) => s.t <= to);
  if (!a || !b || b.t <= a.t) return { self: Number.NaN, prom: Number.NaN, wallMs: Number.NaN };
  return { self: b.self - a.self, prom: b.prom - a.prom, wallMs: b.t - a.t };
}

const pct = (cpuSeconds: number, wallMs: number) => (Number.isFinite(cpuSeconds) && wallMs > 0 ? (100 * cpuSeconds * 1000) / wallMs : Number.NaN);
const fmtPct = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} % of a core` : 'n/a');

interface LagSample {
  /** performance.now() when the measurement started */
  t: number;
  ms: number;
}

interface PhaseResult {
  lags: LagSample[];
  /** all measurements taken (first ones included), with their start time */
  starts: number[];
  cpu: CpuSample[];
  /** performance.now() of the first create / first timer, and when the first metric (or run) completed */
  t0: number;
  firstDone: number;
  lastDone: number;
  elu: number;
}

export async function analysis1000(ctx: BenchContext): Promise<BenchResult> {
  const bench = `analysis-${RUNS * METRICS}`;
  if (!prometheusAvailable()) throw new Error(`${bench}: Prometheus not found at ${PROMETHEUS_BINARY} (Debian package prometheus, or SLUICE_TEST_PROMETHEUS)`);
  const notes: string[] = [];
  const total = RUNS * METRICS;
  await installCrds(ctx.kubeConfig);

  // The exporter serves one gauge per metric; Prometheus scrapes it every second.
  const exporter = await startMetricsExporter();
  ctx.defer(() => exporter.stop());
  for (let i = 0; i < RUNS; i++) for (let j = 0; j < METRICS; j++) exporter.setGauge(GAUGE, 0.95 + ((i * METRICS + j) % 5) / 100, { service: serviceOf(i), metric: `m${j}` });
  const prom = await startPrometheus({ scrapeTargets: [exporter.target], dir: await ctx.tmpDir('prometheus'), scrapeIntervalSeconds: 1 });
  ctx.defer(() => prom.stop());
  const promPid = prom.process.child.pid as number;
  const seriesReady = await pollUntil(async () => {
    const r = await prom.query(`count(${GAUGE})`).catch(() => undefined);
    const v = (r?.data?.result as Array<{ value: [number, string] }> | undefined)?.[0]?.value?.[1];
    return Number(v) === total;
  }, 60_000, 500);
  if (!seriesReady) throw new Error(`${bench}: Prometheus did not scrape the ${total} series within 60 s`);
  // A few scrapes more, so that the 30 s windows the queries average over are not empty.
  await sleep(3000);

  const load0 = await loadAverage();
  ctx.log(`${bench}: Sluice: ${RUNS} AnalysisRuns × ${METRICS} metrics, interval ${INTERVAL_MS / 1000} s, count ${COUNT}`);
  const sluice = await sluicePhase(ctx, prom.address, promPid);
  const load1 = await loadAverage();
  ctx.log(`${bench}: peer: plain setTimeout loop, same ${total} queries`);
  await sleep(2000);
  const peer = await peerPhase(prom.address, promPid);
  const load2 = await loadAverage();

  // Steady window: every metric active (the last run's first measurement is behind us) until the
  // first metric ends. CPU per measurement taken in it.
  const steady = (p: PhaseResult) => {
    const from = p.t0 + SPREAD_MS + 1000;
    const to = p.firstDone;
    const c = cpuIn(p.cpu, from, to);
    const measured = p.starts.filter((t) => t >= from && t <= to).length;
    return { ...c, measured, from, to };
  };
  const whole = (p: PhaseResult) => cpuIn(p.cpu, p.t0, p.lastDone + 1000);
  const ss = steady(sluice.phase);
  const sp = steady(peer);
  const ws = whole(sluice.phase);
  const wp = whole(peer);

  // Raw samples, [ms since the phase began, lag ms], for looking at the bursts.
  if (process.env.BENCH_ANALYSIS_DUMP) writeFileSync(process.env.BENCH_ANALYSIS_DUMP, JSON.stringify({ sluice: sluice.phase.lags.map((l) => [Math.round(l.t - sluice.phase.t0), +l.ms.toFixed(1)]), peer: peer.lags.map((l) => [Math.round(l.t - peer.t0), +l.ms.toFixed(1)]) }));
  const lagS = sluice.phase.lags.map((l) => l.ms);
  const lagP = peer.lags.map((l) => l.ms);
  const [s50, s99, smax] = [percentile(lagS, 50), percentile(lagS, 99), Math.max(...lagS)];
  const [p50, p99, pmax] = [percentile(lagP, 50), percentile(lagP, 99), Math.max(...lagP)];
  const expectedLags = total * (COUNT - 1);
  const sPct = pct(ss.self, ss.wallMs);
  const pPct = pct(sp.self, sp.wallMs);
  const perK = (cpu: number, n: number) => (n > 0 ? `${((cpu / n) * 1000 * 1000).toFixed(0)} ms` : 'n/a');
  const rows: Row[] = [
    { bench, metric: `measurement-start lag p50 (${lagS.length} measurements)`, sluice: duration(s50), peer: `${duration(p50)} (setTimeout loop)`, ratio: ratio(s50, p50), goal: '', verdict: 'info' },
    { bench, metric: 'measurement-start lag p99', sluice: duration(s99), peer: `${duration(p99)} (setTimeout loop)`, ratio: ratio(s99, p99), goal: `≤ ${duration(GOAL_P99_MS)}`, verdict: lagS.length === expectedLags ? atMost(s99, GOAL_P99_MS) : 'MISS' },
    { bench, metric: 'measurement-start lag max', sluice: duration(smax), peer: `${duration(pmax)} (setTimeout loop)`, ratio: ratio(smax, pmax), goal: '', verdict: 'info' },
    { bench, metric: `CPU, all ${total} metrics active (process.cpuUsage)`, sluice: `${fmtPct(sPct)} (${perK(ss.self, ss.measured)} per 1,000 measurements)`, peer: `${fmtPct(pPct)} (${perK(sp.self, sp.measured)} per 1,000)`, ratio: ratio(ss.self / Math.max(1, ss.measured), sp.self / Math.max(1, sp.measured)), goal: '', verdict: 'info' },
    { bench, metric: 'CPU, whole phase (first create or timer → last measurement)', sluice: `${ws.self.toFixed(1)} s in ${duration(ws.wallMs)}`, peer: `${wp.self.toFixed(1)} s in ${duration(wp.wallMs)}`, ratio: ratio(ws.self, wp.self), goal: '', verdict: 'info' },
    { bench, metric: 'Prometheus CPU, all metrics active (/proc)', sluice: fmtPct(pct(ss.prom, ss.wallMs)), peer: fmtPct(pct(sp.prom, sp.wallMs)), ratio: ratio(ss.prom / Math.max(1, ss.measured), sp.prom / Math.max(1, sp.measured)), goal: '', verdict: 'info' },
    { bench, metric: `AnalysisRuns Successful, every metric measured ${COUNT} times`, sluice: `${sluice.successful}/${RUNS} runs, ${sluice.measurements} measurements (${sluice.errors} Error)`, peer: `${peer.starts.length} queries`, ratio: '', goal: `${RUNS}, ${total * COUNT}`, verdict: sluice.successful === RUNS && sluice.measurements === total * COUNT && sluice.errors === 0 ? 'PASS' : 'MISS' },
  ];
  const hist = [0, 1, 2, 3].map((s) => `${s} s: ${sluice.statusLate.filter((v) => v === s).length}`).join(', ');
  notes.push(
    `${bench}: ${RUNS} AnalysisRuns × ${METRICS} prometheus metrics (${total} concurrent metrics), interval ${INTERVAL_MS / 1000} s, count ${COUNT}, successCondition \`${SUCCESS}\`, query \`${queryOf('{{args.service}}', 0)}\` (one arg per run); runs created one every ${duration(SPREAD_MS / RUNS)} over ${duration(SPREAD_MS)}, so about ${Math.round((total * 1000) / INTERVAL_MS)} measurements per second in steady state. ${METRICS > 1 ? 'Why several metrics per run rather than 1,000 × 1: a run measures all its due metrics in one reconcile and writes its status once, as Argo does, and templates with several metrics (success rate, latency, errors per route…) are the common shape; 1,000 runs would be 1,000 Rollouts in analysis at the same moment.' : 'One metric per run: the stress shape, one reconcile and one status write per measurement (100 writes per second).'} Prometheus ${PROMETHEUS_BINARY} scraping ${total} gauges every 1 s from the test bed's exporter. Load average at start ${load0}, after Sluice ${load1}, after the peer ${load2} (2 cores shared with other sessions).`,
    `${bench}: Sluice = createAnalysisRunController wired as startService wires it (AnalysisRun informer on the namespace, KubeClient, createMetricProviders, Event recorder, createMetricsRegistry with process metrics, ${WORKERS} workers${WORKERS === DEFAULT_ANALYSIS_WORKERS ? ', the default' : ''}), in the bench process; nothing else of the bench runs during its window but a 1 s CPU sampler. Lag = provider call start − nextMeasurementDueAt (previous measurement's recorded finishedAt, whole seconds, + 10 s); ${lagS.length} of ${expectedLags} expected samples (first measurements have no due time); histogram sluice_analysis_measurement_start_lag_seconds counted ${sluice.histogramCount}. Cross-check from the final statuses (1 s resolution): a measurement's startedAt minus its due second was ${hist}.`,
    `${bench}: Sluice phase: ${sluice.reconciles} reconciles, ${sluice.patches} status patches (p50 ${duration(sluice.patchP50)}, p99 ${duration(sluice.patchP99)}), provider call p50 ${duration(sluice.providerP50)} p99 ${duration(sluice.providerP99)}, event-loop utilisation ${(sluice.phase.elu * 100).toFixed(0)} %; all runs done ${duration(sluice.phase.lastDone - sluice.phase.t0)} after the first create. Steady window ${duration(ss.wallMs)} with ${ss.measured} measurements: Sluice ${ss.self.toFixed(2)} s CPU, Prometheus ${ss.prom.toFixed(2)} s. Peer steady window ${duration(sp.wallMs)} with ${sp.measured} queries: ${sp.self.toFixed(2)} s CPU, Prometheus ${sp.prom.toFixed(2)} s; peer event-loop utilisation ${(peer.elu * 100).toFixed(0)} %, ${peer.failures} failed queries.`,
    `${bench}: Argo Rollouts (no Argo controller runs here) schedules the same way: calculateNextReconcileTime requeues a run for the earliest lastMeasurement.finishedAt + interval, a metav1.Time with whole seconds, so its measurements too are due on whole seconds, 9–10 s after the previous one really finished. The peer schedules from the exact answer time, so its measurements are spread evenly, while Sluice's (and Argo's) bunch on second boundaries.`,
  );
  if (lagS.length !== expectedLags) notes.push(`${bench}: expected ${expectedLags} lag samples, got ${lagS.length}; p99 is marked MISS.`);
  return { rows, notes };
}

interface SluicePhase {
  phase: PhaseResult;
  successful: number;
  measurements: number;
  errors: number;
  histogramCount: number;
  reconciles: number;
  patches: number;
  patchP50: number;
  patchP99: number;
  providerP50: number;
  providerP99: number;
  /** Per measurement after the first: startedAt second − due second (finishedAt + interval), from the final status. */
  statusLate: number[];
}

async function sluicePhase(ctx: BenchContext, address: string, promPid: number): Promise<SluicePhase> {
  const ns = await ctx.newNamespace('analysis');
  const silent = createLogger({ level: 'silent', format: 'json', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  // As startService builds it: a default KubeClient, an informer on the namespace, 900 s resync.
  const client = new KubeClient(ctx.kubeConfig);
  ctx.defer(() => client.close());
  const patchMs: number[] = [];
  const cluster = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'patchStatus') {
        return async (...a: Parameters<KubeClient['patchStatus']>) => {
          const t = now();
          try {
            return await target.patchStatus(...a);
          } finally {
            patchMs.push(now() - t);
          }
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...x: unknown[]) => unknown).bind(target) : value;
    },
  });
  const runs = createInformer<KubeObject>({ client, ...ANALYSIS_RUN, namespace: ns, resyncMs: 900_000, log: silent });
  const registry = createMetricsRegistry();
  const base = createAnalysisMetrics(registry);
  const lags: LagSample[] = [];
  const starts: number[] = [];
  const providerMs: number[] = [];
  let reconciles = 0;
  // Every measurement start, first ones included (they have no due time, so no lag sample).
  const providers = createMetricProviders({ cluster });
  const prometheus = providers.get('prometheus');
  if (!prometheus) throw new Error('no prometheus provider');
  const run = prometheus.run.bind(prometheus);
  prometheus.run = (m, c) => (starts.push(now()), run(m, c));
  const controller = createAnalysisRunController({
    cluster,
    runs,
    providers,
    events: createEventRecorder({ client, log: silent }),
    log: silent,
    workers: WORKERS,
    metrics: {
      reconciled: (r, s) => (reconciles++, base.reconciled(r, s)),
      measured: (p, s) => (providerMs.push(s * 1000), base.measured(p, s)),
      completed: (p) => base.completed(p),
      measurementStarted: (p, s) => {
        base.measurementStarted?.(p, s);
        lags.push({ t: now(), ms: s * 1000 });
      },
    },
  });
  const doneAt = new Map<string, number>();
  runs.on('update', (obj) => {
    const phase = (obj as unknown as AnalysisRun).status?.phase;
    const name = obj.metadata?.name ?? '';
    if (phase && phase !== 'Running' && phase !== 'Pending' && !doneAt.has(name)) doneAt.set(name, now());
  });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    await controller.stop();
    await runs.stop();
  })());
  controller.start();
  runs.start();
  ctx.defer(stop);
  await runs.whenSynced();

  const sampler = cpuSampler(promPid);
  const elu0 = performance.eventLoopUtilization();
  const t0 = now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < RUNS; i++) {
    const wait = t0 + (i * SPREAD_MS) / RUNS - now();
    if (wait > 0) await sleep(wait);
    inflight.push(client.create(benchRun(ns, i, address)).then(() => undefined));
  }
  await Promise.all(inflight);
  const allDone = await pollUntil(() => doneAt.size === RUNS, PHASE_TIMEOUT_MS, 250);
  const lastDone = allDone ? Math.max(...doneAt.values()) : now();
  await sampler.take();
  const elu = performance.eventLoopUtilization(elu0).utilization;
  await sleep(1100);
  const cpu = sampler.stop();
  await stop();

  // What the API server holds now.
  const list = await client.list<KubeObject>({ ...ANALYSIS_RUN, namespace: ns });
  let successful = 0;
  let measurements = 0;
  let errors = 0;
  const statusLate: number[] = [];
  for (const obj of list.items) {
    const run = obj as unknown as AnalysisRun;
    if (run.status?.phase === 'Successful') successful++;
    for (const r of run.status?.metricResults ?? []) {
      const ms = r.measurements ?? [];
      measurements += ms.length;
      errors += ms.filter((m) => m.phase === 'Error').length;
      for (let k = 1; k < ms.length; k++) {
        const due = (parseTime(ms[k - 1]?.finishedAt) ?? Number.NaN) + INTERVAL_MS;
        statusLate.push(((parseTime(ms[k]?.startedAt) ?? Number.NaN) - due) / 1000);
      }
    }
  }
  const text = await registry.metrics();
  const histogramCount = Number(/^sluice_analysis_measurement_start_lag_seconds_count\{provider="prometheus"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  const firstDone = doneAt.size ? Math.min(...doneAt.values()) : now();
  return {
    phase: { lags, starts, cpu, t0, firstDone, lastDone, elu },
    successful,
    measurements,
    errors,
    histogramCount,
    reconciles,
    patches: patchMs.length,
    patchP50: percentile(patchMs, 50),
    patchP99: percentile(patchMs, 99),
    providerP50: percentile(providerMs, 50),
    providerP99: percentile(providerMs, 99),
    statusLate,
  };
}

/** The floor: one setTimeout per metric, each query due at the previous answer + interval. */
async function peerPhase(address: string, promPid: number): Promise<PhaseResult & { failures: number }> {
  const endpoint = new URL('/api/v1/query', address);
  const lags: LagSample[] = [];
  const starts: number[] = [];
  let failures = 0;
  let firstDone = Number.POSITIVE_INFINITY;
  let lastDone = 0;
  let remaining = RUNS * METRICS;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((r) => (finished = r));
  const timers = new Set<NodeJS.Timeout>();

  const measure = async (query: string, k: number, due: number): Promise<void> => {
    const t = now();
    starts.push(t);
    if (k > 0) lags.push({ t, ms: Math.max(0, t - due) });
    try {
      const res = await sendHttpRequest({
        url: endpoint,
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ query, time: (Date.now() / 1000).toFixed(3) }).toString(),
        signal: AbortSignal.timeout(30_000),
      });
      const v = Number((JSON.parse(res.body) as { data?: { result?: Array<{ value: [number, string] }> } }).data?.result?.[0]?.value[1]);
      if (!(v >= 0.9)) failures++;
    } catch {
      failures++;
    }
    const end = now();
    if (k + 1 >= COUNT) {
      firstDone = Math.min(firstDone, end);
      lastDone = Math.max(lastDone, end);
      if (--remaining === 0) finished();
      return;
    }
    const next = end + INTERVAL_MS;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void measure(query, k + 1, next);
    }, INTERVAL_MS);
    timers.add(timer);
  };

  const sampler = cpuSampler(promPid);
  const elu0 = performance.eventLoopUtilization();
  const t0 = now() + 50;
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < METRICS; j++) {
      const at = t0 + (i * SPREAD_MS) / RUNS;
      const timer = setTimeout(() => {
        timers.delete(timer);
        void measure(queryOf(serviceOf(i), j), 0, at);
      }, at - now());
      timers.add(timer);
    }
  }
  const ok = await Promise.race([allDone.then(() => true), sleep(PHASE_TIMEOUT_MS).then(() => false)]);
  for (const t of timers) clearTimeout(t);
  await sampler.take();
  const elu = performance.eventLoopUtilization(elu0).utilization;
  await sleep(1100);
  const cpu = sampler.stop();
  if (!ok) lastDone = now();
  return { lags, starts, cpu, t0, firstDone, lastDone, elu, failures };
}
