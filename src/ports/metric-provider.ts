// The seam between analysis and the systems that measure things (after Argo's metric.Provider).
//
// Contract, in one sentence: a provider reports WHAT IT MEASURED (or that it could not measure),
// and never judges it. Argo's providers call EvaluateResult themselves and return a phase; here the
// caller evaluates successCondition/failureCondition over `result` (engine/expr evaluateMeasurement),
// so every provider gets identical condition semantics and the providers stay free of expr.
// That is why a measurement has a `status`, not a `phase`:
//
//   status      the caller's measurement phase
//   'measured'  evaluateMeasurement(successCondition, failureCondition, result).phase
//   'decided'   `phase` as given (providers whose answer is the verdict, like a Job's exit code)
//   'running'   Running: ask again later with resume() (asynchronous providers, like a Job)
//   'error'     Error (counts towards consecutiveErrorLimit)
//
// Providers never throw and never reject: every failure (bad config, unreachable, timeout, HTTP
// error, unparseable answer) becomes `{ status: 'error', message }`. Messages and metadata never
// contain secrets (passwords, header values).

/** What a metric's `provider` block says, for one provider: the object under its key, args already substituted. */
export interface MetricRequest {
  name: string;
  /** e.g. the `prometheus:` object of `metrics[].provider` (`{ address, query, timeout, ... }`). */
  provider: Record<string, unknown>;
}

/** The AnalysisRun a measurement belongs to (Argo hands providers the whole run; they need only this). */
export interface AnalysisRunIdentity {
  name: string;
  namespace: string;
  uid: string;
}

export interface MetricRunContext {
  /** Aborting ends the measurement early as `status: 'error'` (the run was terminated). */
  signal?: AbortSignal;
  /**
   * The run being measured. Providers that create objects for a measurement (the Job provider) name
   * them after it and make it their owner; the others ignore it. Such providers report an error
   * when it is missing.
   */
  run?: AnalysisRunIdentity;
  /**
   * Which measurement of this metric this is, counting from 1: the metric result's `count + error + 1`
   * when run() is called (Argo's job-name suffix). A retried run() of the same measurement (a repeated
   * reconcile) must get the same number, so it finds the object the first attempt made instead of
   * making a second one. Only run() reads it: a running measurement's metadata names its object.
   */
  measurementIndex?: number;
}

interface MeasurementBase {
  /** RFC 3339. */
  startedAt: string;
  /** RFC 3339; absent only while `running`. */
  finishedAt?: string;
  /** Shown with the metric result, like Argo's `ResolvedPrometheusQuery`. */
  metadata?: Record<string, string>;
}

export interface MeasuredValue extends MeasurementBase {
  status: 'measured';
  /** What conditions see as `result`: a number, an array of numbers, parsed JSON, or a string. */
  result: unknown;
  /** `result` as Argo stores it in `measurements[].value` (`[0.95]`, `0.5`, `{"ok":true}`). */
  value: string;
  finishedAt: string;
}

export interface DecidedMeasurement extends MeasurementBase {
  status: 'decided';
  phase: 'Successful' | 'Failed' | 'Inconclusive';
  value?: string;
  message?: string;
  finishedAt: string;
}

export interface RunningMeasurement extends MeasurementBase {
  status: 'running';
  message?: string;
  /** RFC 3339: when to call resume() again. */
  resumeAt?: string;
}

export interface FailedMeasurement extends MeasurementBase {
  status: 'error';
  /** What failed, for `measurements[].message`. */
  message: string;
  finishedAt: string;
}

export type Measurement = MeasuredValue | DecidedMeasurement | RunningMeasurement | FailedMeasurement;

export interface MetricProvider {
  /** The key under `metrics[].provider`: `prometheus`, `web`, `job`, ... */
  readonly type: string;
  /** Never throws or rejects. */
  run(metric: MetricRequest, ctx: MetricRunContext): Promise<Measurement>;
  /** Asynchronous providers only: continue a `running` measurement. */
  resume?(metric: MetricRequest, measurement: RunningMeasurement, ctx: MetricRunContext): Promise<Measurement>;
  /** Asynchronous providers only: stop a `running` measurement (the run was terminated). */
  terminate?(metric: MetricRequest, measurement: RunningMeasurement, ctx: MetricRunContext): Promise<Measurement>;
}

export interface MetricProviderRegistry {
  get(type: string): MetricProvider | undefined;
  /** Registered types, in registration order, for "supported: ..." messages. */
  types(): string[];
}

export function createMetricProviderRegistry(providers: readonly MetricProvider[]): MetricProviderRegistry {
  const byType = new Map<string, MetricProvider>();
  for (const p of providers) {
    // Two providers for one key would make the choice depend on registration order.
    if (byType.has(p.type)) throw new Error(`metric provider '${p.type}' registered twice`);
    byType.set(p.type, p);
  }
  const order = [...byType.keys()];
  return {
    get: (type) => byType.get(type),
    types: () => [...order],
  };
}

/** `unknown metric provider 'datadog' (supported: prometheus, web, job)`. */
export function unknownMetricProviderMessage(type: string, registry: MetricProviderRegistry): string {
  const types = registry.types();
  return `unknown metric provider '${type}' (supported: ${types.length ? types.join(', ') : 'none'})`;
}
