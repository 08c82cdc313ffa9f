// The port between the Rollout operators' surfaces (HTTP API, CLI) and the use case that reads and
// patches Rollouts (src/rollouts/rollout-commands.ts): the kubectl-argo-rollouts verbs, plus what
// `get` and `list` show. Errors are typed so each surface maps them to its own codes.
import type { ReplicaSet, Rollout } from '../engine/types.ts';
import type { RolloutAnalysisType } from '../engine/analysis/rollout-analysis.ts';

/** A core/v1 Pod as read from the API server; only what the views read is typed. */
export interface PodObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  };
  spec?: { containers?: Array<{ name: string; image?: string }>; initContainers?: Array<{ name: string; image?: string; restartPolicy?: string }> };
  status?: {
    phase?: string;
    reason?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string };
    running?: { startedAt?: string };
    terminated?: { reason?: string; exitCode?: number; signal?: number };
  };
}

/** One measurement in an AnalysisRun's status.metricResults[].measurements (oldest first). */
export interface AnalysisMeasurementObject {
  phase?: string;
  /** The provider's result as Argo stores it: a string, e.g. `[0.99]` for a Prometheus vector. */
  value?: string;
  message?: string;
  startedAt?: string;
  /** Absent while the measurement is still in flight. */
  finishedAt?: string;
}

/** status.metricResults[] of an AnalysisRun (Argo's MetricResult); counts are of measurements. */
export interface AnalysisMetricResultObject {
  name: string;
  phase?: string;
  measurements?: AnalysisMeasurementObject[];
  message?: string;
  /** Measurements that completed without Error (successful + failed + inconclusive). */
  count?: number;
  successful?: number;
  failed?: number;
  inconclusive?: number;
  error?: number;
  /** The metric's verdict does not count towards the run's (spec.dryRun matched it). */
  dryRun?: boolean;
}

/** The `rollout-type` label the Rollout controller puts on the AnalysisRuns it creates. */
export type AnalysisRunType = RolloutAnalysisType;

/** An argoproj.io/v1alpha1 AnalysisRun; only what the views read is typed. */
export interface AnalysisRunObject {
  metadata: {
    name: string;
    namespace?: string;
    creationTimestamp?: string;
    /** `rollout-type` (an AnalysisRunType) and, for Step runs, `step-index`. */
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ uid: string; controller?: boolean }>;
  };
  spec?: { metrics?: Array<{ name: string }> };
  status?: { phase?: string; message?: string; metricResults?: AnalysisMetricResultObject[] };
}

/** A run the Rollout currently waits on, from status.canary / status.blueGreen `…AnalysisRunStatus`. */
export interface CurrentAnalysisRun {
  type: AnalysisRunType;
  name: string;
  /** The run's phase as the controller last copied it; Pending when it has not yet. */
  status: string;
  message?: string;
}

/** What `list` and the header of `get` show about one Rollout (kubectl-argo-rollouts' RolloutInfo). */
export interface RolloutSummary {
  name: string;
  namespace: string;
  strategy: 'Canary' | 'BlueGreen' | 'Unknown';
  /** Healthy, Progressing, Paused or Degraded, computed from spec and status as Argo's CLI does. */
  phase: string;
  message: string;
  /** Canary only: status.currentStepIndex of the step count; absent without steps or index. */
  step?: { index: number; count: number };
  /** Canary only: the weight the current step asks for. */
  setWeight?: number;
  /** Canary only: the weight actually served (available canary pods, or setWeight with a router). */
  actualWeight?: number;
  /** status.canary.weights as the controller wrote them (traffic-routed canaries). */
  weights?: { canary: number; stable: number };
  images: Array<{ image: string; tags: string[] }>;
  replicas: { desired: number; current: number; updated: number; ready: number; available: number };
  /** The step and background runs (canary) or pre/post-promotion runs (blue-green) of the current update; absent when none. */
  currentAnalysisRuns?: CurrentAnalysisRun[];
  createdAt?: string;
}

export interface PodView {
  name: string;
  /** kubectl's STATUS column: Running, Pending, CrashLoopBackOff, Init:0/1, Terminating, … */
  status: string;
  /** `ready/total` containers. */
  ready: string;
  restarts: number;
  createdAt?: string;
}

export interface ReplicaSetView {
  name: string;
  revision: number;
  /** Healthy, Progressing, ScaledDown or ReplicaFailure. */
  status: string;
  /** `stable`, `canary`, `active`, `preview`. */
  tags: string[];
  /** status.replicas. */
  replicas: number;
  available: number;
  images: string[];
  createdAt?: string;
  /** The `scale-down-deadline` annotation, when the ReplicaSet waits to be scaled down. */
  scaleDownDeadline?: string;
  pods: PodView[];
}

/** One metric of an AnalysisRun: its verdict so far and its newest measurement. */
export interface AnalysisMetricView {
  name: string;
  /** metricResults[].phase; Pending while the metric has no result yet. */
  phase: string;
  message?: string;
  /** A dry-run metric's verdict does not decide the run. */
  dryRun: boolean;
  /** Measurements by verdict; `count` is those that completed without Error. */
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  /** The newest measurement; `value` as Argo stores it (a string), absent while none was taken. */
  latest?: { phase: string; value?: string; message?: string; startedAt?: string; finishedAt?: string };
}

export interface AnalysisRunView {
  name: string;
  revision: number;
  /** status.phase; Pending before the controller saw it. */
  status: string;
  message?: string;
  /** The `rollout-type` label; absent on runs not made by a Rollout controller. */
  type?: AnalysisRunType;
  /** The `step-index` label of a Step run: the canary step that started it. */
  stepIndex?: number;
  /** Measurements summed over the metrics, as kubectl-argo-rollouts' AnalysisRunInfo counts them. */
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  /** In spec order; a metric without a result yet is Pending. */
  metrics: AnalysisMetricView[];
  createdAt?: string;
}

/** Everything `get` shows, newest revision first. */
export interface RolloutView {
  summary: RolloutSummary;
  replicaSets: ReplicaSetView[];
  analysisRuns: AnalysisRunView[];
}

export interface RolloutDetails {
  rollout: Rollout;
  /** The ReplicaSets the Rollout controls. */
  replicaSets: ReplicaSet[];
  /** The pods of those ReplicaSets. */
  pods: PodObject[];
  /** The AnalysisRuns the Rollout owns; absent when the cluster does not serve AnalysisRuns. */
  analysisRuns?: AnalysisRunObject[];
  view: RolloutView;
}

export interface CommandResult {
  /** The Rollout after the patches (unchanged when nothing had to be patched). */
  rollout: Rollout;
  /** One line, as kubectl-argo-rollouts prints it: `rollout 'web' promoted`. */
  message: string;
}

export interface RolloutCommands {
  /** Clears pause conditions and spec.paused, or advances past a running step; `full` skips every remaining step. */
  promote(namespace: string, name: string, options?: { full?: boolean }): Promise<CommandResult>;
  abort(namespace: string, name: string): Promise<CommandResult>;
  retry(namespace: string, name: string): Promise<CommandResult>;
  pause(namespace: string, name: string): Promise<CommandResult>;
  /** Puts an older ReplicaSet's pod template back; revision 0 or absent = the previous one. */
  undo(namespace: string, name: string, options?: { toRevision?: number }): Promise<CommandResult>;
  /** Sets spec.restartAt to now (+ `inSeconds`). */
  restart(namespace: string, name: string, options?: { inSeconds?: number }): Promise<CommandResult>;
  /** `container` is a container name (init and ephemeral containers count) or `*` for all. */
  setImage(namespace: string, name: string, container: string, image: string): Promise<CommandResult>;
  get(namespace: string, name: string): Promise<RolloutDetails>;
  /** `namespace` undefined = all namespaces. Sorted by namespace, then name. */
  list(namespace: string | undefined): Promise<RolloutSummary[]>;
}

/** The Rollout does not exist (HTTP 404). */
export class RolloutNotFound extends Error {
  readonly namespace: string;
  readonly rolloutName: string;
  constructor(namespace: string, name: string) {
    super(`rollout "${name}" not found in namespace "${namespace}"`);
    this.name = 'RolloutNotFound';
    this.namespace = namespace;
    this.rolloutName = name;
  }
}

/** The operation cannot be done to the Rollout as it is now (HTTP 409), e.g. no such revision to undo to. */
export class InvalidOperation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOperation';
  }
}
