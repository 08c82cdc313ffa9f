// One measure task (run / resume / terminate) carried out through the metric's provider, and the
// provider's answer turned into the engine's Measurement: `measured` results are judged here by the
// metric's conditions (the port's contract), `decided` keeps the provider's verdict, `running`
// stays in flight until its resumeAt, `error` is an Error measurement. Never throws.
import { formatTime, parseTime } from '../engine/time.ts';
import { measurementFromResult, type MeasureTask, type Measurement, type Metric } from '../engine/analysis/index.ts';
import {
  unknownMetricProviderMessage,
  type AnalysisRunIdentity,
  type Measurement as ProviderMeasurement,
  type MetricProvider,
  type MetricProviderRegistry,
  type MetricRunContext,
  type RunningMeasurement,
} from '../ports/metric-provider.ts';

export interface MeasureInput {
  task: MeasureTask;
  /** The metric with every arg, secrets included, substituted. */
  metric: Metric;
  /** The in-flight measurement that a resume or terminate continues. */
  inFlight?: Measurement | undefined;
  run: AnalysisRunIdentity;
  /** Which measurement of the metric a `run` takes, from 1 (see MetricRunContext). */
  measurementIndex: number;
}

export interface MeasureDeps {
  providers: MetricProviderRegistry;
  now: () => Date;
  signal?: AbortSignal | undefined;
  /** Wall time of one provider call, by provider type (known providers only). */
  observe?: ((provider: string, seconds: number) => void) | undefined;
}

export interface TakenMeasurement {
  measurement: Measurement;
  /** For the metric result (Argo's provider.GetMetadata, e.g. the resolved Prometheus query). */
  resultMetadata?: Record<string, string>;
}

/** The key under `metrics[].provider` (the engine already rejected zero or several). */
export function providerTypeOf(metric: Metric): string | undefined {
  return Object.entries(metric.provider ?? {}).find(([, v]) => v !== undefined && v !== null)?.[0];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The in-flight measurement as a provider saw it when it answered `running`. */
function asRunning(m: Measurement | undefined, now: Date): RunningMeasurement {
  const running: RunningMeasurement = { status: 'running', startedAt: m?.startedAt ?? formatTime(now) };
  if (m?.message) running.message = m.message;
  if (m?.resumeAt) running.resumeAt = m.resumeAt;
  if (m?.metadata) running.metadata = { ...m.metadata };
  return running;
}

function toDate(s: string | undefined, fallback: Date): Date {
  const ms = parseTime(s);
  return ms === undefined ? fallback : new Date(ms);
}

/** The engine's Measurement for a provider's answer, judged by the (substituted) metric's conditions. */
export function toEngineMeasurement(metric: Metric, m: ProviderMeasurement, now: Date): Measurement {
  let out: Measurement;
  switch (m.status) {
    case 'measured':
      out = measurementFromResult(metric, m.result, toDate(m.startedAt, now), toDate(m.finishedAt, now), { value: m.value });
      break;
    case 'decided':
      out = { phase: m.phase, startedAt: m.startedAt, finishedAt: m.finishedAt };
      if (m.value !== undefined) out.value = m.value;
      if (m.message) out.message = m.message;
      break;
    case 'running':
      out = { phase: 'Running', startedAt: m.startedAt };
      if (m.resumeAt) out.resumeAt = m.resumeAt;
      if (m.message) out.message = m.message;
      break;
    case 'error':
      out = { phase: 'Error', message: m.message, startedAt: m.startedAt, finishedAt: m.finishedAt };
      break;
    default:
      out = { phase: 'Error', message: `metric provider answered an unknown status ${JSON.stringify((m as { status?: unknown }).status)}`, startedAt: formatTime(now), finishedAt: formatTime(now) };
  }
  // Kept on the measurement: an asynchronous provider finds its object (a Job) through it on resume.
  if (m.metadata && Object.keys(m.metadata).length > 0) out.metadata = { ...m.metadata };
  return out;
}

async function callProvider(provider: MetricProvider, input: MeasureInput, block: Record<string, unknown>, deps: MeasureDeps): Promise<ProviderMeasurement> {
  const request = { name: input.metric.name, provider: block };
  const ctx: MetricRunContext = { run: input.run, measurementIndex: input.measurementIndex };
  if (deps.signal) ctx.signal = deps.signal;
  const now = deps.now();
  switch (input.task.action) {
    case 'run':
      return provider.run(request, ctx);
    case 'resume':
      // A provider that cannot resume (a synchronous one) measures afresh; the result replaces the in-flight one.
      return provider.resume ? provider.resume(request, asRunning(input.inFlight, now), ctx) : provider.run(request, ctx);
    case 'terminate':
      if (provider.terminate) return provider.terminate(request, asRunning(input.inFlight, now), ctx);
      // Nothing to stop: the in-flight measurement ends as Argo ends a terminated one.
      return { status: 'decided', phase: 'Successful', message: 'Metric Terminated', startedAt: input.inFlight?.startedAt ?? formatTime(now), finishedAt: formatTime(now) };
  }
}

export async function takeMeasurement(input: MeasureInput, deps: MeasureDeps): Promise<TakenMeasurement> {
  const startedAt = input.inFlight?.startedAt ?? formatTime(deps.now());
  const error = (message: string): TakenMeasurement => ({ measurement: { phase: 'Error', message, startedAt, finishedAt: formatTime(deps.now()) } });
  const type = providerTypeOf(input.metric);
  if (type === undefined) return error('no provider specified');
  const provider = deps.providers.get(type);
  if (!provider) return error(unknownMetricProviderMessage(type, deps.providers));
  const block = input.metric.provider[type];
  if (!isRecord(block)) return error(`provider.${type} must be an object`);

  const started = performance.now();
  let answer: ProviderMeasurement;
  try {
    answer = await callProvider(provider, input, block, deps);
  } catch (err) {
    // The port says providers never throw; a bug in one must still not take the reconcile down.
    answer = { status: 'error', message: `${type} provider failed: ${describe(err)}`, startedAt, finishedAt: formatTime(deps.now()) };
  }
  deps.observe?.(type, (performance.now() - started) / 1000);

  let measurement: Measurement;
  try {
    measurement = toEngineMeasurement(input.metric, answer, deps.now());
  } catch (err) {
    return error(`${type} measurement could not be judged: ${describe(err)}`);
  }
  const taken: TakenMeasurement = { measurement };
  // The first answer's metadata describes the metric (the query it ran); an in-flight answer's
  // metadata belongs to that one measurement only.
  if (answer.metadata && answer.status !== 'running' && Object.keys(answer.metadata).length > 0) taken.resultMetadata = { ...answer.metadata };
  return taken;
}
