// AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun as Argo serialises them
// (pkg/apis/rollouts/v1alpha1/analysis_types.go). Field names are Argo's JSON names.

export type AnalysisPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';

/** intstr.IntOrString: `count`, the limits and `{{args.x}}` placeholders in them. */
export type IntOrString = number | string;

export interface Metric {
  name: string;
  /** Go duration between measurements; omitted means a single measurement. */
  interval?: string;
  /** Go duration to wait, from status.startedAt, before the first measurement. */
  initialDelay?: string;
  count?: IntOrString;
  successCondition?: string;
  failureCondition?: string;
  /** Failed measurements tolerated (default 0); -1 disables the check. */
  failureLimit?: IntOrString;
  inconclusiveLimit?: IntOrString;
  /** Default 4. */
  consecutiveErrorLimit?: IntOrString;
  /** 0 or unset disables it. */
  consecutiveSuccessLimit?: IntOrString;
  /** Exactly one provider (`prometheus`, `web`, `job`, `plugin`, ...); opaque to the engine. */
  provider: Record<string, unknown>;
}

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface ValueFrom {
  secretKeyRef?: SecretKeyRef;
  fieldRef?: { fieldPath: string };
  /** Rollout side only: `Stable` | `Latest`. */
  podTemplateHashValue?: string;
}

export interface Argument {
  name: string;
  value?: string;
  valueFrom?: ValueFrom;
}

/** `metricName` is a regular expression (Go regexp.MatchString: unanchored). */
export interface DryRun {
  metricName: string;
}

export interface MeasurementRetention {
  metricName: string;
  limit: number;
}

export interface TTLStrategy {
  secondsAfterCompletion?: number;
  secondsAfterSuccess?: number;
  secondsAfterFailure?: number;
}

export interface AnalysisTemplateRef {
  templateName: string;
  clusterScope?: boolean;
}

export interface AnalysisTemplateSpec {
  metrics?: Metric[];
  args?: Argument[];
  dryRun?: DryRun[];
  measurementRetention?: MeasurementRetention[];
  templates?: AnalysisTemplateRef[];
}

export interface AnalysisTemplate {
  apiVersion?: string;
  kind?: 'AnalysisTemplate' | 'ClusterAnalysisTemplate';
  metadata?: { name?: string; namespace?: string };
  spec: AnalysisTemplateSpec;
}

export interface AnalysisRunSpec {
  metrics: Metric[];
  args?: Argument[];
  terminate?: boolean;
  dryRun?: DryRun[];
  measurementRetention?: MeasurementRetention[];
  ttlStrategy?: TTLStrategy;
}

export interface Measurement {
  phase: AnalysisPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  value?: string;
  metadata?: Record<string, string>;
  /** When an in-flight measurement (no finishedAt) should next be resumed. */
  resumeAt?: string;
}

export interface MetricResult {
  name: string;
  phase: AnalysisPhase;
  measurements?: Measurement[];
  message?: string;
  /** Measurements that completed without Error: successful + failed + inconclusive. */
  count?: number;
  successful?: number;
  failed?: number;
  inconclusive?: number;
  error?: number;
  consecutiveError?: number;
  consecutiveSuccess?: number;
  dryRun?: boolean;
  metadata?: Record<string, string>;
}

export interface RunSummary {
  count?: number;
  successful?: number;
  failed?: number;
  inconclusive?: number;
  error?: number;
}

export interface AnalysisRunStatus {
  phase?: AnalysisPhase | '';
  message?: string;
  metricResults?: MetricResult[];
  startedAt?: string;
  completedAt?: string;
  runSummary?: RunSummary;
  dryRunSummary?: RunSummary;
}

export interface AnalysisRun {
  apiVersion?: string;
  kind?: 'AnalysisRun';
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: AnalysisRunSpec;
  status?: AnalysisRunStatus;
}
