// The `job` metric provider (Argo's metricproviders/job): each measurement runs a Kubernetes Job
// owned by the AnalysisRun; the Job's outcome is the verdict. Complete → Successful, Failed →
// Failed, a pod that cannot pull its image → Inconclusive (Argo v1.10: such a Job never fails on its
// own, and waiting it out used to pass the analysis), otherwise the measurement keeps running.
import type { Cluster, KubeObject } from '../ports/cluster.ts';
import { apiStatusOf } from '../ports/cluster.ts';
import type { AnalysisRunIdentity, Measurement, MetricProvider, MetricRequest, MetricRunContext, RunningMeasurement } from '../ports/metric-provider.ts';
import { formatTime } from '../engine/time.ts';
import { FieldError, optionalRecord } from './provider-fields.ts';

/** Measurement metadata key naming the measurement's Job (Argo's JobNameKey). */
export const JOB_NAME_KEY = 'job-name';
/** Job label: the uid of the AnalysisRun that made it. */
export const ANALYSIS_RUN_UID_LABEL = 'analysisrun.argoproj.io/uid';
/** Job annotation: the AnalysisRun's name. */
export const ANALYSIS_RUN_NAME_ANNOTATION = 'analysisrun.argoproj.io/name';
/** Job annotation: the metric's name. */
export const ANALYSIS_RUN_METRIC_ANNOTATION = 'analysisrun.argoproj.io/metric-name';

export const DEFAULT_JOB_POLL_INTERVAL_MS = 10_000;
/** Waiting reasons of a container whose image will not come without someone fixing something. */
const IMAGE_PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);

export interface JobProviderOptions {
  /** Creates, reads and deletes the Jobs, and lists their pods. */
  cluster: Pick<Cluster, 'create' | 'get' | 'list' | 'delete'>;
  /** How long after a look at a running Job to look again (`resumeAt`). Default 10 s, as Argo's resync. */
  pollIntervalMs?: number;
  now?: () => Date;
}

interface JobStatus {
  conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
}

interface ContainerStatus {
  name?: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

interface PodStatus {
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
}

/** The Job a metric's `job:` block describes, for one measurement of one run. */
export function buildMetricJob(block: Record<string, unknown>, metricName: string, run: AnalysisRunIdentity, measurementIndex: number): KubeObject {
  const metadata = optionalRecord(block, 'metadata') ?? {};
  const labels = stringMap(metadata, 'labels');
  const annotations = stringMap(metadata, 'annotations');
  const spec = block.spec;
  if (spec === undefined || spec === null) throw new FieldError('spec is required (a batch/v1 JobSpec)');
  if (typeof spec !== 'object' || Array.isArray(spec)) throw new FieldError('spec must be an object (a batch/v1 JobSpec)');
  const template = optionalRecord(spec as Record<string, unknown>, 'template');
  const podSpec = template && optionalRecord(template, 'spec');
  const containers = podSpec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw new FieldError('spec.template.spec.containers must list at least one container');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      // Argo's name: short enough for the `job-name` label the Job controller puts on pods when the
      // metric name is short, and unique per run, metric and measurement.
      name: `${run.uid}.${metricName}.${measurementIndex}`,
      namespace: run.namespace,
      // Ours are set last so a template cannot take them over.
      labels: { ...labels, [ANALYSIS_RUN_UID_LABEL]: run.uid },
      annotations: { ...annotations, [ANALYSIS_RUN_NAME_ANNOTATION]: run.name, [ANALYSIS_RUN_METRIC_ANNOTATION]: metricName },
      // The garbage collector deletes the Jobs (and so their pods) with the run.
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', name: run.name, uid: run.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

/** `metadata.labels` / `metadata.annotations`: string values only, as the API server requires. */
function stringMap(metadata: Record<string, unknown>, field: string): Record<string, string> {
  const map = metadata[field] ?? {};
  if (typeof map !== 'object' || Array.isArray(map)) throw new FieldError(`metadata.${field} must be an object`);
  for (const [k, v] of Object.entries(map)) if (typeof v !== 'string') throw new FieldError(`metadata.${field}.${k} must be a string`);
  return map as Record<string, string>;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createJobProvider(options: JobProviderOptions): MetricProvider {
  const { cluster } = options;
  const now = options.now ?? (() => new Date());
  const pollMs = options.pollIntervalMs ?? DEFAULT_JOB_POLL_INTERVAL_MS;
  const jobRef = (namespace: string, name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', namespace, name });

  const error = (startedAt: string, message: string, metadata?: Record<string, string>): Measurement => ({
    status: 'error',
    message,
    startedAt,
    finishedAt: formatTime(now()),
    ...(metadata ? { metadata } : {}),
  });
  const running = (startedAt: string, metadata: Record<string, string>): Measurement => ({
    status: 'running',
    startedAt,
    metadata,
    resumeAt: formatTime(new Date(now().getTime() + pollMs)),
  });
  const decided = (m: RunningMeasurement, phase: 'Successful' | 'Failed' | 'Inconclusive', message?: string): Measurement => ({
    status: 'decided',
    phase,
    startedAt: m.startedAt,
    finishedAt: formatTime(now()),
    ...(m.metadata ? { metadata: m.metadata } : {}),
    ...(message ? { message } : {}),
  });

  async function run(metric: MetricRequest, ctx: MetricRunContext): Promise<Measurement> {
    const startedAt = formatTime(now());
    if (!ctx.run) return error(startedAt, 'job provider needs the AnalysisRun (name, namespace, uid) to own its Job, and none was given');
    if (ctx.measurementIndex === undefined || !Number.isInteger(ctx.measurementIndex) || ctx.measurementIndex < 1) {
      return error(startedAt, 'job provider needs the measurement index (a whole number from 1) to name its Job, and none was given');
    }
    let job: KubeObject;
    try {
      job = buildMetricJob(metric.provider, metric.name, ctx.run, ctx.measurementIndex);
    } catch (err) {
      return error(startedAt, `invalid job provider: ${err instanceof FieldError ? err.message : describe(err)}`);
    }
    const name = job.metadata!.name!;
    if (ctx.signal?.aborted) return error(startedAt, `job metric aborted before job ${name} was created`);
    try {
      await cluster.create(job);
    } catch (err) {
      if (apiStatusOf(err) !== 409) return error(startedAt, `job ${name} could not be created: ${describe(err)}`);
      // A retried reconcile: the Job is ours if this run controls it (Argo compares the uid only).
      const existing = await cluster.get(jobRef(ctx.run.namespace, name));
      const owner = existing?.metadata?.ownerReferences?.find((o) => o.controller);
      if (owner?.uid !== ctx.run.uid) return error(startedAt, `job ${name} already exists and is not controlled by AnalysisRun ${ctx.run.name}`);
    }
    return running(startedAt, { [JOB_NAME_KEY]: name });
  }

  /** The first container of the Job's pods that cannot pull its image, described; undefined if none. */
  async function imagePullFailure(namespace: string, jobUid: string): Promise<string | undefined> {
    // controller-uid, not job-name: a Job deleted and re-created under the same name has other pods.
    const pods = await cluster.list<KubeObject & { status?: PodStatus }>({ apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: `controller-uid=${jobUid}` });
    for (const pod of pods.items) {
      for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
        const waiting = c.state?.waiting;
        if (waiting?.reason && IMAGE_PULL_FAILURES.has(waiting.reason)) {
          return `pod ${pod.metadata?.name} container ${c.name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
        }
      }
    }
    return undefined;
  }

  async function resume(m: RunningMeasurement, ctx: MetricRunContext): Promise<Measurement> {
    const name = m.metadata?.[JOB_NAME_KEY];
    if (!name) return error(m.startedAt, 'job metadata reference missing', m.metadata);
    if (!ctx.run) return error(m.startedAt, `job provider needs the AnalysisRun to find job ${name}, and none was given`, m.metadata);
    const job = await cluster.get<KubeObject & { status?: JobStatus }>(jobRef(ctx.run.namespace, name));
    if (!job) return error(m.startedAt, `job ${name} not found`, m.metadata);
    const conditions = (job.status?.conditions ?? []).filter((c) => c.status === 'True');
    if (conditions.some((c) => c.type === 'Complete')) return decided(m, 'Successful');
    const failedCondition = conditions.find((c) => c.type === 'Failed');
    if (failedCondition) {
      const why = [failedCondition.reason, failedCondition.message].filter(Boolean).join(': ');
      return decided(m, 'Failed', `job ${name} failed${why ? ` (${why})` : ''}`);
    }
    const pullFailure = job.metadata?.uid ? await imagePullFailure(ctx.run.namespace, job.metadata.uid) : undefined;
    if (pullFailure) return decided(m, 'Inconclusive', `job ${name} cannot start: ${pullFailure}`);
    return running(m.startedAt, m.metadata ?? { [JOB_NAME_KEY]: name });
  }

  async function terminate(m: RunningMeasurement, ctx: MetricRunContext): Promise<Measurement> {
    const name = m.metadata?.[JOB_NAME_KEY];
    if (!name) return error(m.startedAt, 'job metadata reference missing', m.metadata);
    if (!ctx.run) return error(m.startedAt, `job provider needs the AnalysisRun to delete job ${name}, and none was given`, m.metadata);
    // Background: the Job goes at once and the garbage collector removes its pods after it; a Job
    // that is already gone counts as deleted (Argo ignores NotFound too).
    await cluster.delete(jobRef(ctx.run.namespace, name), { propagationPolicy: 'Background' });
    return decided(m, 'Successful', 'Metric Terminated');
  }

  // The contract says providers never reject; these catches keep it true for API failures and bugs.
  const failure = (what: string, startedAt: string, metadata?: Record<string, string>) => (err: unknown) =>
    error(startedAt, `job provider ${what} failed: ${describe(err)}`, metadata);

  return {
    type: 'job',
    run: (metric, ctx) => run(metric, ctx).catch(failure('run', formatTime(now()))),
    resume: (_metric, m, ctx) => resume(m, ctx).catch(failure('resume', m.startedAt, m.metadata)),
    terminate: (_metric, m, ctx) => terminate(m, ctx).catch(failure('terminate', m.startedAt, m.metadata)),
  };
}
