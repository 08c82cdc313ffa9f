// The pure core of Argo's AnalysisRun reconcile (analysis/analysis.go reconcileAnalysisRun), with
// the provider calls cut out. The shell drives one reconcile like this:
//
//   const d = decideAnalysisRun(run, now);               // validate, schedule, assess
//   let status = d.status;
//   for (const t of d.measure) {                          // run / resume / terminate a measurement
//     const m = await provider(t, resolvedMetric(t.metric));
//     status = recordMeasurement({ ...run, status }, t.metric, m, clock());
//   }
//   const requeue = d.measure.length ? requeueAfterMs({ ...run, status }, clock()) : d.requeueAfterMs;
//
// Argo takes the measurements before assessing; here decide assesses first and recordMeasurement
// assesses again, so the persisted status is the same (see the deviation notes in the tests).
import { evaluateMeasurement } from '../expr/index.ts';
import { compileRegex } from '../expr/regex.ts';
import { formatTime, parseGoDuration, parseTime } from '../time.ts';
import { resolveMetric } from './args.ts';
import type { AnalysisPhase, AnalysisRun, AnalysisRunStatus, IntOrString, Measurement, MeasurementRetention, Metric, MetricResult, RunSummary } from './types.ts';

/** analysis.go DefaultMeasurementHistoryLimit. */
export const DEFAULT_MEASUREMENT_HISTORY_LIMIT = 10;
/** defaults.DefaultConsecutiveErrorLimit. */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
/** analysis.go DefaultErrorRetryInterval: retry after an Error, or when no interval is set. */
export const DEFAULT_ERROR_RETRY_INTERVAL_MS = 10_000;
/** getResolvedMetricsWithoutSecrets: secret args are unknown to the engine, so a stand-in resolves them. */
const SECRET_PLACEHOLDER = 'temp-for-secret';

export interface MeasureTask {
  metric: string;
  /** run: take a new measurement; resume: poll the in-flight one; terminate: stop the in-flight one. */
  action: 'run' | 'resume' | 'terminate';
}

export interface AnalysisDecision {
  status: AnalysisRunStatus;
  measure: MeasureTask[];
  /** When to reconcile again (Argo calculateNextReconcileTime); absent when nothing is scheduled. */
  requeueAfterMs?: number;
}

const ORDER: readonly AnalysisPhase[] = ['Successful', 'Running', 'Pending', 'Inconclusive', 'Error', 'Failed'];

/** AnalysisPhase.Completed(). */
export function phaseCompleted(phase: string | undefined): boolean {
  return phase === 'Successful' || phase === 'Failed' || phase === 'Error' || phase === 'Inconclusive';
}

/** helpers.go IsWorse, over analysisStatusOrder (Successful < Running < Pending < Inconclusive < Error < Failed). */
export function isWorse(current: AnalysisPhase, candidate: AnalysisPhase): boolean {
  return ORDER.indexOf(candidate) > ORDER.indexOf(current);
}

/** intstr IntValue: ints as is, strings through Atoi (0 when not an integer). Undefined when unset. */
function intValue(v: IntOrString | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Math.trunc(v);
  return /^[+-]?\d+$/.test(v.trim()) ? Number(v.trim()) : 0;
}

/** Metric.EffectiveCount: no count and no interval → 1; interval alone → unbounded (undefined). */
export function effectiveCount(metric: Metric): number | undefined {
  const count = intValue(metric.count);
  if (count === undefined || count === 0) return metric.interval ? undefined : 1;
  return count;
}

function durationMs(d: string): number | undefined {
  const secs = parseGoDuration(d);
  return secs === undefined ? undefined : secs * 1000;
}

function lastOf(result: MetricResult | undefined): Measurement | undefined {
  const ms = result?.measurements;
  return ms && ms.length > 0 ? ms[ms.length - 1] : undefined;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * helpers.go IsTerminating: terminate was requested, or a metric that is not a dry run already
 * ended Failed, Error or Inconclusive (the run ends early).
 */
export function isTerminating(run: AnalysisRun): boolean {
  if (run.spec.terminate) return true;
  return (run.status?.metricResults ?? []).some((r) => !r.dryRun && (r.phase === 'Failed' || r.phase === 'Error' || r.phase === 'Inconclusive'));
}

// ---------------------------------------------------------------------------------------------
// Validation and the spec-derived maps (reconcileAnalysisRun's early checks)

/** utils/analysis ValidateMetrics / ValidateMetric (after args are resolved). */
export function validateMetrics(metrics: readonly Metric[]): string | undefined {
  if (metrics.length === 0) return 'no metrics specified';
  const names = new Set<string>();
  for (const [i, metric] of metrics.entries()) {
    if (names.has(metric.name)) return `metrics[${i}]: duplicate name '${metric.name}'`;
    names.add(metric.name);
    const err = validateMetric(metric);
    if (err) return `metrics[${i}]: ${err}`;
  }
  return undefined;
}

function validateMetric(metric: Metric): string | undefined {
  const count = intValue(metric.count) ?? 0;
  const failureLimit = intValue(metric.failureLimit) ?? 0;
  const inconclusiveLimit = intValue(metric.inconclusiveLimit) ?? 0;
  const consecutiveSuccessLimit = intValue(metric.consecutiveSuccessLimit) ?? 0;
  if (count > 0) {
    if (count < failureLimit) return 'count must be >= failureLimit';
    if (count < inconclusiveLimit) return 'count must be >= inconclusiveLimit';
    if (count < consecutiveSuccessLimit) return 'count must be >= consecutiveSuccessLimit';
  }
  if (count > 1 && !metric.interval) return 'interval must be specified when count > 1';
  if (metric.interval && durationMs(metric.interval) === undefined) return `invalid interval string: ${JSON.stringify(metric.interval)}`;
  if (metric.initialDelay && durationMs(metric.initialDelay) === undefined) return `invalid startDelay string: ${JSON.stringify(metric.initialDelay)}`;
  // v1.8: -1 disables failureLimit, but then consecutiveSuccessLimit must decide the metric.
  if (failureLimit < -1) return 'failureLimit must be >= -1';
  if (inconclusiveLimit < 0) return 'inconclusiveLimit must be >= 0';
  const cel = intValue(metric.consecutiveErrorLimit);
  if (cel !== undefined && cel < 0) return 'consecutiveErrorLimit must be >= 0';
  if (consecutiveSuccessLimit < 0) return 'consecutiveSuccessLimit must be >= 0';
  if (failureLimit < 0 && consecutiveSuccessLimit < 1) return 'at least one of failureLimit (>= 0) or consecutiveSuccessLimit (> 0) must be set';
  const providers = Object.values(metric.provider ?? {}).filter((p) => p !== undefined && p !== null).length;
  if (providers === 0) return 'no provider specified';
  if (providers > 1) return 'multiple providers specified';
  return undefined;
}

function matchesName(pattern: string, name: string): boolean {
  try {
    return compileRegex(pattern).test(name);
  } catch {
    return false; // Go's MatchString error is ignored, so a bad pattern matches nothing
  }
}

/** helpers.go GetDryRunMetrics: regex rules; a rule matching no metric is an error. */
export function dryRunMetricNames(run: AnalysisRun, metrics: readonly Metric[]): { ok: true; value: Set<string> } | { ok: false; error: string } {
  const set = new Set<string>();
  for (const [i, rule] of (run.spec.dryRun ?? []).entries()) {
    const hit = metrics.filter((m) => matchesName(rule.metricName, m.name));
    if (hit.length === 0) return { ok: false, error: `dryRun[${i}]: Rule didn't match any metric name(s)` };
    for (const m of hit) set.add(m.name);
  }
  return { ok: true, value: set };
}

/** helpers.go GetMeasurementRetentionMetrics: regex rules, later rules win; a rule matching nothing is an error. */
export function retentionRules(run: AnalysisRun, metrics: readonly Metric[]): { ok: true; value: Map<string, MeasurementRetention> } | { ok: false; error: string } {
  const map = new Map<string, MeasurementRetention>();
  for (const [i, rule] of (run.spec.measurementRetention ?? []).entries()) {
    const hit = metrics.filter((m) => matchesName(rule.metricName, m.name));
    if (hit.length === 0) return { ok: false, error: `measurementRetention[${i}]: Rule didn't match any metric name(s)` };
    for (const m of hit) map.set(m.name, rule);
  }
  return { ok: true, value: map };
}

interface Prepared {
  metrics: Metric[];
  dryRun: Set<string>;
  retention: Map<string, MeasurementRetention>;
}

function prepare(run: AnalysisRun): { ok: true; value: Prepared } | { ok: false; error: string } {
  const values: Record<string, string> = {};
  for (const arg of run.spec.args ?? []) {
    if (arg.value !== undefined) values[arg.name] = arg.value;
    else if (arg.valueFrom?.secretKeyRef) values[arg.name] = SECRET_PLACEHOLDER;
  }
  const metrics: Metric[] = [];
  for (const metric of run.spec.metrics ?? []) {
    const r = resolveMetric(metric, values);
    if (!r.ok) return { ok: false, error: `Unable to resolve metric arguments: ${r.error}` };
    metrics.push(r.value);
  }
  const invalid = validateMetrics(metrics);
  if (invalid) return { ok: false, error: `Analysis spec invalid: ${invalid}` };
  const dryRun = dryRunMetricNames(run, metrics);
  if (!dryRun.ok) return { ok: false, error: `Analysis spec invalid: ${dryRun.error}` };
  const retention = retentionRules(run, metrics);
  if (!retention.ok) return { ok: false, error: `Analysis spec invalid: ${retention.error}` };
  return { ok: true, value: { metrics, dryRun: dryRun.value, retention: retention.value } };
}

function errorStatus(run: AnalysisRun, message: string, now: Date): AnalysisRunStatus {
  const status = clone(run.status) ?? {};
  status.metricResults ??= [];
  status.phase = 'Error';
  status.message = message;
  // Argo leaves completedAt unset on these early exits; we set it so ttlStrategy can still apply.
  status.completedAt ??= formatTime(now);
  return status;
}

// ---------------------------------------------------------------------------------------------
// Scheduling

/**
 * When the next new measurement of `metric` is due, in ms since the epoch, reckoned from the run's
 * status as Argo's generateMetricTasks and calculateNextReconcileTime reckon it: the last
 * measurement's finishedAt + interval (DEFAULT_ERROR_RETRY_INTERVAL_MS after an Error, or when no
 * interval is set), or, for a delayed metric's first measurement, status.startedAt + initialDelay
 * (`nowMs` while startedAt is not set yet: the assessment sets it to now). Status times have second
 * precision, so this is the recorded time the engine schedules from, not the instant the last
 * measurement really ended. An unreadable finishedAt makes the measurement due at once. Undefined
 * when no new measurement is scheduled: the metric completed, a measurement is in flight, its count
 * is reached, or it is a first measurement without initialDelay (taken on the first reconcile that
 * sees the run, whenever that is).
 */
export function nextMeasurementDueAt(run: AnalysisRun, metric: Metric, nowMs: number): number | undefined {
  const result = run.status?.metricResults?.find((r) => r.name === metric.name);
  if (result && phaseCompleted(result.phase)) return undefined;
  const last = lastOf(result);
  if (!last) {
    if (!metric.initialDelay) return undefined;
    const delay = durationMs(metric.initialDelay);
    return delay === undefined ? undefined : (parseTime(run.status?.startedAt) ?? nowMs) + delay;
  }
  if (!last.finishedAt) return undefined;
  const count = effectiveCount(metric);
  if (count !== undefined && (result?.count ?? 0) >= count) return undefined;
  // No interval still retries (after an Error, the count is not yet reached).
  const interval = last.phase === 'Error' || !metric.interval ? DEFAULT_ERROR_RETRY_INTERVAL_MS : durationMs(metric.interval);
  if (interval === undefined) return undefined;
  return (parseTime(last.finishedAt) ?? 0) + interval;
}

/** analysis.go generateMetricTasks: which metrics to measure (or resume / terminate) now. */
function generateTasks(run: AnalysisRun, metrics: readonly Metric[], now: number): MeasureTask[] {
  const tasks: MeasureTask[] = [];
  const terminating = isTerminating(run);
  const results = run.status?.metricResults ?? [];
  for (const metric of metrics) {
    const result = results.find((r) => r.name === metric.name);
    if (result && phaseCompleted(result.phase)) continue;
    const last = lastOf(result);
    if (last && !last.finishedAt) {
      const resumeAt = parseTime(last.resumeAt);
      if (resumeAt !== undefined && resumeAt > now) continue;
      // an in-flight measurement is always finished off, even while terminating
      tasks.push({ metric: metric.name, action: terminating ? 'terminate' : 'resume' });
      continue;
    }
    if (terminating) continue;
    if (!last && !metric.initialDelay) {
      tasks.push({ metric: metric.name, action: 'run' });
      continue;
    }
    // Argo measures nothing delayed on the first reconcile: startedAt is set by the assessment.
    if (!last && parseTime(run.status?.startedAt) === undefined) continue;
    const dueAt = nextMeasurementDueAt(run, metric, now);
    // Argo: now.After(dueAt). `>=` here, because a pure engine is often asked at exactly the time it
    // asked to be requeued for.
    if (dueAt !== undefined && now >= dueAt) tasks.push({ metric: metric.name, action: 'run' });
  }
  return tasks;
}

/** analysis.go calculateNextReconcileTime: the earliest due measurement, in ms since the epoch. */
function nextReconcileTime(run: AnalysisRun, metrics: readonly Metric[], now: number): number | undefined {
  let earliest: number | undefined;
  const consider = (t: number): void => {
    if (earliest === undefined || t < earliest) earliest = t;
  };
  const results = run.status?.metricResults ?? [];
  for (const metric of metrics) {
    const result = results.find((r) => r.name === metric.name);
    if (result && phaseCompleted(result.phase)) continue;
    const last = lastOf(result);
    if (last && !last.finishedAt) {
      const resumeAt = parseTime(last.resumeAt);
      if (resumeAt !== undefined) consider(resumeAt);
      continue;
    }
    // A metric never started and not delayed is measured on this reconcile: nothing to wait for.
    const dueAt = nextMeasurementDueAt(run, metric, now);
    if (dueAt !== undefined) consider(dueAt);
  }
  return earliest;
}

// ---------------------------------------------------------------------------------------------
// Assessment

/**
 * analysis.go assessMetricFailureInconclusiveOrError: the limits, checked in this order with the
 * later one winning (Error over Inconclusive over Failed). failureLimit -1 disables its check.
 */
export function assessMetricLimits(metric: Metric, result: MetricResult): { phase?: AnalysisPhase; message?: string } {
  let out: { phase?: AnalysisPhase; message?: string } = {};
  const failureLimit = intValue(metric.failureLimit) ?? 0;
  const failed = result.failed ?? 0;
  if (failureLimit >= 0 && failed > failureLimit) out = { phase: 'Failed', message: `failed (${failed}) > failureLimit (${failureLimit})` };
  const inconclusiveLimit = intValue(metric.inconclusiveLimit) ?? 0;
  const inconclusive = result.inconclusive ?? 0;
  if (inconclusive > inconclusiveLimit) out = { phase: 'Inconclusive', message: `inconclusive (${inconclusive}) > inconclusiveLimit (${inconclusiveLimit})` };
  const errorLimit = intValue(metric.consecutiveErrorLimit) ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  const consecutiveError = result.consecutiveError ?? 0;
  if (consecutiveError > errorLimit) out = { phase: 'Error', message: `consecutiveErrors (${consecutiveError}) > consecutiveErrorLimit (${errorLimit})` };
  return out;
}

/**
 * analysis.go assessMetricStatus: a metric's phase from its counters and limits. Completed phases
 * stick; no measurement yet is Pending (Successful when terminating); an in-flight measurement is
 * Running; then the limits; then consecutiveSuccessLimit reached → Successful; then count reached
 * (Successful, or with consecutiveSuccessLimit in play: Inconclusive when failureLimit also
 * applies, Failed when it does not); an unbounded metric is Successful once terminating.
 */
export function assessMetricStatus(metric: Metric, result: MetricResult, terminating: boolean): { phase: AnalysisPhase; message?: string } {
  if (phaseCompleted(result.phase)) return { phase: result.phase };
  const last = lastOf(result);
  if (!last) return { phase: terminating ? 'Successful' : 'Pending' };
  if (!phaseCompleted(last.phase)) return { phase: 'Running' };
  const limits = assessMetricLimits(metric, result);
  if (limits.phase) return { phase: limits.phase, message: limits.message as string };
  const successLimit = intValue(metric.consecutiveSuccessLimit) ?? 0;
  const consecutiveSuccess = result.consecutiveSuccess ?? 0;
  if (successLimit > 0 && consecutiveSuccess >= successLimit) return { phase: 'Successful' };
  const count = effectiveCount(metric);
  if (count !== undefined && (result.count ?? 0) >= count) {
    if (successLimit > 0) {
      const failureLimit = intValue(metric.failureLimit) ?? 0;
      const message = `consecutiveSuccess (${consecutiveSuccess}) < consecutiveSuccessLimit (${successLimit}) after count (${count}) reached`;
      return failureLimit >= 0 ? { phase: 'Inconclusive', message } : { phase: 'Failed', message };
    }
    return { phase: 'Successful' };
  }
  return { phase: terminating ? 'Successful' : 'Running' };
}

function bump(summary: RunSummary, phase: AnalysisPhase): void {
  summary.count = summary.count ?? 0;
  switch (phase) {
    case 'Error': summary.error = (summary.error ?? 0) + 1; break;
    case 'Failed': summary.failed = (summary.failed ?? 0) + 1; break;
    case 'Inconclusive': summary.inconclusive = (summary.inconclusive ?? 0) + 1; break;
    default: summary.successful = (summary.successful ?? 0) + 1;
  }
}

/**
 * analysis.go assessRunStatus plus the phase bookkeeping of reconcileAnalysisRun. Mutates `status`
 * (a copy owned by the caller). `terminating` is read once from the status as it came in, as Argo
 * does.
 */
function assessRun(run: AnalysisRun, status: AnalysisRunStatus, prep: Prepared, now: Date): void {
  const terminating = isTerminating(run);
  status.startedAt ??= formatTime(now);
  let worst: AnalysisPhase | undefined;
  let worstMessage = run.spec.terminate ? 'Run Terminated' : '';
  let everythingCompleted = true;
  const runSummary: RunSummary = { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 };
  const dryRunSummary: RunSummary = { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 };
  const results = (status.metricResults ??= []);
  for (const metric of prep.metrics) {
    const dry = prep.dryRun.has(metric.name);
    const summary = dry ? dryRunSummary : runSummary;
    summary.count = (summary.count ?? 0) + 1;
    const result = results.find((r) => r.name === metric.name);
    if (!result) {
      everythingCompleted = false; // not started yet (e.g. still in its initialDelay)
      continue;
    }
    const assessed = assessMetricStatus(metric, result, terminating);
    if (result.phase !== assessed.phase) {
      const last = lastOf(result);
      if (last) setMessage(result, last.message);
      result.phase = assessed.phase;
    }
    if (!phaseCompleted(assessed.phase)) {
      everythingCompleted = false;
      continue;
    }
    const reason = assessed.message;
    if (!dry) {
      if (worst === undefined || isWorse(worst, assessed.phase)) {
        worst = assessed.phase;
        if (reason) {
          worstMessage = `Metric "${metric.name}" assessed ${assessed.phase} due to ${reason}`;
          if (result.message) worstMessage += `: "Error Message: ${result.message}"`;
        }
      }
    } else {
      worst ??= 'Successful'; // a dry-run metric never makes the run worse
      if (reason) result.message = `Metric assessed ${assessed.phase} due to ${reason}`;
    }
    bump(summary, assessed.phase);
  }
  status.runSummary = runSummary;
  status.dryRunSummary = dryRunSummary;
  let phase: AnalysisPhase;
  let message = worstMessage.trim();
  if (terminating) phase = worst ?? 'Successful';
  else if (!everythingCompleted || worst === undefined) {
    phase = 'Running';
    message = '';
  } else phase = worst;
  if (status.phase !== phase) {
    status.phase = phase;
    setMessage(status, message);
    if (phaseCompleted(phase)) status.completedAt ??= formatTime(now);
  }
}

function setMessage(target: { message?: string }, message: string | undefined): void {
  if (message) target.message = message;
  else delete target.message;
}

/** analysis.go garbageCollectMeasurements: keep the last N measurements (default 10, per-metric rules). */
function trimMeasurements(status: AnalysisRunStatus, prep: Prepared): void {
  const known = new Set(prep.metrics.map((m) => m.name));
  for (const result of status.metricResults ?? []) {
    if (!known.has(result.name) || !result.measurements) continue;
    const rule = prep.retention.get(result.name);
    const limit = rule && rule.limit > 0 ? rule.limit : DEFAULT_MEASUREMENT_HISTORY_LIMIT;
    if (result.measurements.length > limit) result.measurements = result.measurements.slice(-limit);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * One reconcile of an AnalysisRun, minus the provider calls: validates the spec (arguments,
 * metrics, dryRun and measurementRetention rules → Error), lists the measurements due now,
 * assesses every metric and the run, trims history and says when to look again.
 */
export function decideAnalysisRun(run: AnalysisRun, now: Date): AnalysisDecision {
  if (phaseCompleted(run.status?.phase)) return { status: clone(run.status) as AnalysisRunStatus, measure: [] };
  const prep = prepare(run);
  if (!prep.ok) return { status: errorStatus(run, prep.error, now), measure: [] };
  const nowMs = now.getTime();
  const measure = generateTasks(run, prep.value.metrics, nowMs);
  const status = clone(run.status) ?? {};
  assessRun(run, status, prep.value, now);
  trimMeasurements(status, prep.value);
  const decision: AnalysisDecision = { status, measure };
  const requeue = phaseCompleted(status.phase) ? undefined : nextReconcileTime({ ...run, status }, prep.value.metrics, nowMs);
  if (requeue !== undefined) decision.requeueAfterMs = Math.max(0, requeue - nowMs);
  return decision;
}

/** When to reconcile again given the run as it now stands (after recordMeasurement). */
export function requeueAfterMs(run: AnalysisRun, now: Date): number | undefined {
  if (phaseCompleted(run.status?.phase)) return undefined;
  const prep = prepare(run);
  if (!prep.ok) return undefined;
  const t = nextReconcileTime(run, prep.value.metrics, now.getTime());
  return t === undefined ? undefined : Math.max(0, t - now.getTime());
}

export interface RecordOptions {
  /** Provider metadata for the metric result (Argo provider.GetMetadata), kept from the first measurement. */
  metadata?: Record<string, string>;
}

/**
 * The status after a provider returned `measurement` for `metricName` (Argo runMeasurements' per-task
 * bookkeeping): it replaces the in-flight measurement, or is appended; a completed one gets
 * finishedAt and bumps the counters (Error bumps error and consecutiveError; anything else bumps
 * count and resets consecutiveError; only Successful grows consecutiveSuccess). Then history is
 * trimmed and the metric and run are re-assessed.
 */
export function recordMeasurement(run: AnalysisRun, metricName: string, measurement: Measurement, now: Date, options: RecordOptions = {}): AnalysisRunStatus {
  return recordMeasurements(run, [{ metric: metricName, measurement, options }], now);
}

export interface RecordedMeasurement {
  metric: string;
  measurement: Measurement;
  options?: RecordOptions;
}

/**
 * recordMeasurement for all the measurements one reconcile took, in order: the same status as
 * recording them one after another, with the spec prepared and the status copied once rather than
 * once per measurement.
 */
export function recordMeasurements(run: AnalysisRun, recorded: readonly RecordedMeasurement[], now: Date): AnalysisRunStatus {
  const prep = prepare(run);
  if (!prep.ok) return errorStatus(run, prep.error, now);
  const status = clone(run.status) ?? {};
  // Recording never changes a metric's phase before the assessment, and only phases make a run
  // terminating, so the working copy answers isTerminating as the status before this record would.
  const current: AnalysisRun = { ...run, status };
  for (const r of recorded) applyMeasurement(current, status, prep.value, r.metric, r.measurement, now, r.options ?? {});
  return status;
}

/** One measurement into `status` (a copy owned by the caller), then the history trim and the assessment. */
function applyMeasurement(run: AnalysisRun, status: AnalysisRunStatus, prep: Prepared, metricName: string, measurement: Measurement, now: Date, options: RecordOptions): void {
  const results = (status.metricResults ??= []);
  let result = results.find((r) => r.name === metricName);
  if (!result) {
    result = { name: metricName, phase: 'Running' };
    if (prep.dryRun.has(metricName)) result.dryRun = true;
    if (options.metadata) result.metadata = { ...options.metadata };
    results.push(result);
  }
  const m: Measurement = { ...measurement };
  m.startedAt ??= formatTime(now);
  const measurements = (result.measurements ??= []);
  const last = measurements[measurements.length - 1];
  const inFlight = last !== undefined && !last.finishedAt;
  if (inFlight && isTerminating(run) && m.phase === 'Successful') m.message = 'Metric Terminated';
  if (phaseCompleted(m.phase)) {
    m.finishedAt ??= formatTime(now);
    if (m.phase === 'Error') {
      result.error = (result.error ?? 0) + 1;
      result.consecutiveError = (result.consecutiveError ?? 0) + 1;
      result.consecutiveSuccess = 0;
    } else {
      result.count = (result.count ?? 0) + 1;
      result.consecutiveError = 0;
      if (m.phase === 'Successful') {
        result.successful = (result.successful ?? 0) + 1;
        result.consecutiveSuccess = (result.consecutiveSuccess ?? 0) + 1;
      } else {
        if (m.phase === 'Failed') result.failed = (result.failed ?? 0) + 1;
        else result.inconclusive = (result.inconclusive ?? 0) + 1;
        result.consecutiveSuccess = 0;
      }
    }
  }
  if (inFlight) measurements[measurements.length - 1] = m;
  else measurements.push(m);
  trimMeasurements(status, prep);
  // A run already completed (e.g. terminated while a measurement was in flight) keeps its phase.
  if (phaseCompleted(status.phase)) {
    const metric = prep.metrics.find((x) => x.name === metricName);
    if (metric) {
      const assessed = assessMetricStatus(metric, result, true);
      if (assessed.phase !== result.phase) {
        setMessage(result, m.message);
        result.phase = assessed.phase;
      }
    }
  } else assessRun(run, status, prep, now);
}

/**
 * A completed measurement from a provider's raw `result`: its phase from the metric's
 * successCondition / failureCondition (Argo evaluate.EvaluateResult). Pass the metric with its
 * args substituted.
 */
export function measurementFromResult(metric: Metric, result: unknown, startedAt: Date, finishedAt: Date, extra: { value?: string; metadata?: Record<string, string> } = {}): Measurement {
  const outcome = evaluateMeasurement(metric.successCondition, metric.failureCondition, result);
  const m: Measurement = { phase: outcome.phase, startedAt: formatTime(startedAt), finishedAt: formatTime(finishedAt) };
  if (outcome.message) m.message = outcome.message;
  const value = extra.value ?? (typeof result === 'string' ? result : JSON.stringify(result));
  if (value !== undefined) m.value = value;
  if (extra.metadata) m.metadata = { ...extra.metadata };
  return m;
}
