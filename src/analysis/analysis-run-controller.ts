// The AnalysisRun controller: the imperative shell around the pure analysis engine
// (engine/analysis/decide-analysis-run.ts). Watch events enqueue a run; one reconcile per run at a
// time decides what to measure, reads secret args, takes the due measurements concurrently
// through the metric providers, records them, writes the status once, and asks to be woken when
// the next measurement (or the run's ttlStrategy deletion) is due. All state lives in the run's
// status, so a restarted Sluice resumes where the last one stopped.
//
// `workers` bounds the runs measuring at once, not the reconciles: a reconcile waiting for its
// status write (hundreds of milliseconds on a busy API server) must not keep a due run from
// starting its measurements on time. The queue still runs one reconcile per run at a time.
import type { Logger } from 'pino';
import pLimit from 'p-limit';
import { apiStatusOf, type Cluster, type KubeObject, type ObjectRef } from '../ports/cluster.ts';
import type { EventSink } from '../ports/event-sink.ts';
import type { ObjectCache } from '../ports/object-cache.ts';
import type { AnalysisRunIdentity, MetricProviderRegistry } from '../ports/metric-provider.ts';
import {
  decideAnalysisRun,
  nextMeasurementDueAt,
  phaseCompleted,
  recordMeasurements,
  requeueAfterMs,
  resolveMetric,
  type AnalysisDecision,
  type AnalysisRun,
  type AnalysisRunStatus,
  type MeasureTask,
  type Metric,
} from '../engine/analysis/index.ts';
import { statusMergePatch } from '../engine/status-patch.ts';
import type { RolloutStatus } from '../engine/types.ts';
import { formatTime } from '../engine/time.ts';
import { KeyedQueue } from '../rollouts/keyed-queue.ts';
import { resolveRunArgs } from './resolve-run-args.ts';
import { providerTypeOf, takeMeasurement, type TakenMeasurement } from './take-measurement.ts';
import { redactMeasurement, redactRecord, redactText } from './redact-secrets.ts';
import { createOwnWrites } from './own-writes.ts';
import { completionEvents } from './analysis-run-events.ts';
import { ttlExpiresAt } from './run-ttl.ts';

export interface AnalysisRunControllerMetrics {
  reconciled(result: 'success' | 'error', seconds: number): void;
  /** One provider call. */
  measured(provider: string, seconds: number): void;
  /**
   * A new measurement started `seconds` after it was due (the engine's nextMeasurementDueAt: the
   * previous measurement's recorded finishedAt + interval, or startedAt + initialDelay). Not called
   * for a first measurement without initialDelay, which has no due time, nor for resumes.
   */
  measurementStarted?(provider: string, seconds: number): void;
  /** A run this controller moved into a completed phase. */
  completed(phase: string): void;
}

export interface AnalysisRunControllerDeps {
  cluster: Cluster;
  /** The AnalysisRun informer cache. */
  runs: ObjectCache;
  providers: MetricProviderRegistry;
  events: EventSink;
  log: Logger;
  now?: () => Date;
  /** Runs measuring at once; each measures all its due metrics at once. Status writes are not counted. */
  workers?: number;
  metrics?: AnalysisRunControllerMetrics;
}

export interface AnalysisRunController {
  start(): void;
  /** Aborts measurements in flight (their results are not written) and waits for the reconciles. */
  stop(): Promise<void>;
  /** Keys waiting or running; for tests and benchmarks. */
  readonly queue: KeyedQueue;
}

export const DEFAULT_ANALYSIS_WORKERS = 100;

const keyOf = (obj: KubeObject) => `${obj.metadata?.namespace ?? 'default'}/${obj.metadata?.name ?? ''}`;
const refOf = (run: AnalysisRun): ObjectRef => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', namespace: run.metadata?.namespace, name: run.metadata?.name ?? '' });

/**
 * The engine is pure, so if it throws on a run it will throw again: the run ends as Error saying so,
 * instead of being retried forever.
 */
function unevaluable(err: unknown, secrets: readonly string[]): string {
  return `Analysis could not be evaluated: ${redactText(err instanceof Error ? err.message : String(err), secrets)}`;
}

/** A run that cannot be measured ends as Error, as Argo ends it when its args do not resolve. */
function runError(status: AnalysisRunStatus, message: string, now: Date): AnalysisRunStatus {
  return { ...status, phase: 'Error', message, completedAt: status.completedAt ?? formatTime(now) };
}

export function createAnalysisRunController(deps: AnalysisRunControllerDeps): AnalysisRunController {
  const now = deps.now ?? (() => new Date());
  const { cluster, runs, providers, log } = deps;
  const ownWrites = createOwnWrites();
  const stopping = new AbortController();
  const measuring = pLimit(deps.workers ?? DEFAULT_ANALYSIS_WORKERS);
  const observe = deps.metrics ? (provider: string, seconds: number) => deps.metrics?.measured(provider, seconds) : undefined;

  /** The due measurements, taken at once; the status with them recorded, or the run's Error. */
  async function measure(run: AnalysisRun, tasks: MeasureTask[], decided: AnalysisRunStatus): Promise<{ status: AnalysisRunStatus; requeueAt?: number | undefined }> {
    const args = await resolveRunArgs(run, cluster);
    if (!args.ok) return { status: runError(decided, `Unable to resolve metric arguments: ${args.error}`, now()) };
    const resolved = new Map<string, Metric>();
    for (const task of tasks) {
      const metric = run.spec.metrics.find((m) => m.name === task.metric);
      const r = metric ? resolveMetric(metric, args.values) : { ok: false as const, error: `metric '${task.metric}' not in spec` };
      if (!r.ok) return { status: runError(decided, `Unable to resolve metric arguments: ${redactText(r.error, args.secrets)}`, now()) };
      resolved.set(task.metric, r.value);
    }
    const identity: AnalysisRunIdentity = { name: run.metadata?.name ?? '', namespace: run.metadata?.namespace ?? 'default', uid: String(run.metadata?.uid ?? '') };
    const taken = await Promise.all(
      tasks.map(async (task): Promise<[MeasureTask, TakenMeasurement]> => {
        const result = decided.metricResults?.find((r) => r.name === task.metric);
        const measurements = result?.measurements ?? [];
        const metric = resolved.get(task.metric) as Metric;
        if (task.action === 'run' && deps.metrics?.measurementStarted) {
          // Due by the status the engine decided from; `run` still has the previous measurement last.
          const startedAt = now().getTime();
          const dueAt = nextMeasurementDueAt(run, metric, startedAt);
          if (dueAt !== undefined) deps.metrics.measurementStarted(providerTypeOf(metric) ?? 'unknown', Math.max(0, startedAt - dueAt) / 1000);
        }
        const input = {
          task,
          metric,
          inFlight: task.action === 'run' ? undefined : measurements[measurements.length - 1],
          run: identity,
          measurementIndex: (result?.count ?? 0) + (result?.error ?? 0) + 1,
        };
        return [task, await takeMeasurement(input, { providers, now, signal: stopping.signal, observe })];
      }),
    );
    try {
      const recorded = taken.map(([task, t]) => ({
        metric: task.metric,
        measurement: redactMeasurement(t.measurement, args.secrets),
        options: t.resultMetadata ? { metadata: redactRecord(t.resultMetadata, args.secrets) } : {},
      }));
      const status = recordMeasurements({ ...run, status: decided }, recorded, now());
      const at = now();
      const after = requeueAfterMs({ ...run, status }, at);
      return { status, requeueAt: after === undefined ? undefined : at.getTime() + after };
    } catch (err) {
      return { status: runError(decided, unevaluable(err, args.secrets), now()) };
    }
  }

  /** ttlStrategy: delete the run once its time is up, or wake up then. */
  async function collectIfExpired(key: string, run: AnalysisRun): Promise<void> {
    const expiresAt = ttlExpiresAt(run);
    if (expiresAt === undefined) return;
    const wait = expiresAt - now().getTime();
    if (wait > 0) {
      queue.addAfter(key, wait);
      return;
    }
    // The uid precondition spares a new run that took the name meanwhile.
    const uid = run.metadata?.uid;
    const deleted = await cluster.delete(refOf(run), typeof uid === 'string' ? { uid } : {});
    ownWrites.forget(key);
    if (deleted) log.info({ analysisRun: key, phase: run.status?.phase }, 'deleted AnalysisRun: its ttlStrategy expired');
  }

  async function reconcileRun(key: string, obj: KubeObject): Promise<void> {
    const run = obj as unknown as AnalysisRun;
    let decision: AnalysisDecision;
    const decidedAt = now();
    try {
      // The engine copies what it changes (its tests run it on frozen runs): no defensive clone.
      decision = decideAnalysisRun(run, decidedAt);
    } catch (err) {
      decision = { status: runError(structuredClone(run.status) ?? {}, unevaluable(err, []), decidedAt), measure: [] };
    }
    let status = decision.status;
    // Kept as a point in time: the timer is set only after the status write, which takes a while.
    let requeueAt = decision.requeueAfterMs === undefined ? undefined : decidedAt.getTime() + decision.requeueAfterMs;
    if (decision.measure.length > 0) {
      const measured = await measuring(() => (stopping.signal.aborted ? undefined : measure(run, decision.measure, status)));
      // Shutting down: the aborted measurements are not what the providers would have said.
      if (!measured || stopping.signal.aborted) return;
      status = measured.status;
      requeueAt = measured.requeueAt;
    }
    // The diff is kind-agnostic; it is typed for the Rollout status it was written for.
    const patch = statusMergePatch(run.status as unknown as RolloutStatus | undefined, status as unknown as RolloutStatus);
    let latest = obj;
    if (patch.status) {
      try {
        latest = await cluster.patchStatus(refOf(run), patch);
      } catch (err) {
        if (apiStatusOf(err) === 404) return; // deleted meanwhile
        throw err;
      }
      ownWrites.wrote(key, obj, latest);
      // Not awaited: an Event is for people, and must not hold the next measurement up.
      for (const event of completionEvents(run.status, status)) void deps.events.record(latest, event);
      if (!phaseCompleted(run.status?.phase) && phaseCompleted(status.phase)) deps.metrics?.completed(status.phase as string);
    }
    if (decision.measure.length > 0 || patch.status) {
      log.debug({ analysisRun: key, measured: decision.measure.map((t) => `${t.metric}:${t.action}`), phase: status.phase, requeueAt: requeueAt === undefined ? undefined : new Date(requeueAt).toISOString() }, 'reconciled');
    }
    if (requeueAt !== undefined) queue.addAfter(key, Math.max(0, requeueAt - now().getTime()));
    await collectIfExpired(key, latest as unknown as AnalysisRun);
  }

  const reconcile = async (key: string): Promise<void> => {
    const slash = key.indexOf('/');
    const cached = runs.get(key.slice(slash + 1), key.slice(0, slash));
    if (!cached) {
      ownWrites.forget(key);
      return;
    }
    const obj = ownWrites.current(key, cached);
    if (obj.metadata?.deletionTimestamp) return;
    const started = Date.now();
    try {
      await reconcileRun(key, obj);
      deps.metrics?.reconciled('success', (Date.now() - started) / 1000);
    } catch (err) {
      deps.metrics?.reconciled('error', (Date.now() - started) / 1000);
      throw err;
    }
  };

  const queue = new KeyedQueue({
    // Bounded by `measuring` where it matters; the queue only keeps each run to one reconcile.
    workers: Number.POSITIVE_INFINITY,
    process: reconcile,
    onError: (key, err, retryInMs) => log.warn({ analysisRun: key, err: (err as Error).message, retryInMs }, 'reconcile failed; retrying'),
  });

  return {
    queue,
    start() {
      for (const ev of ['add', 'resync'] as const) runs.on(ev, (obj) => queue.add(keyOf(obj)));
      // The echo of our own status write changes nothing the reconcile that wrote it did not know;
      // its timer is set. Reconciling it again would only repeat the decision.
      runs.on('update', (obj) => {
        const key = keyOf(obj);
        if (!ownWrites.isEcho(key, obj)) queue.add(key);
      });
      runs.on('delete', (obj) => ownWrites.forget(keyOf(obj)));
    },
    async stop() {
      stopping.abort();
      await queue.stop();
    },
  };
}
