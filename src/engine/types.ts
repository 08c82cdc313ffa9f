// The engine's contract with the shell. Types follow Argo Rollouts' Go types
// (pkg/apis/rollouts/v1alpha1/types.go) field for field, in their JSON spelling, so a Rollout read
// from the API server can be passed in as is and `Decision.status` can be written back as is.
//
// The shell's loop: observe → `decide(rollout, observed, now)` → execute `actions` in order →
// write `status` once (see `statusMergePatch`) → wake up again after `requeueAfterMs` (and on any
// watch event of the Rollout, its ReplicaSets, Pods or Services).

import type { AnalysisPhase, AnalysisRun, AnalysisTemplate } from './analysis/types.ts';

/** A JSON value as it comes from the API server. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** `intstr.IntOrString`: `1` or `"25%"`. */
export type IntOrString = number | string;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** RFC 3339. */
  creationTimestamp?: string;
  /** Set when the object is being deleted. */
  deletionTimestamp?: string;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A core/v1 PodTemplateSpec. Only the metadata is typed; the pod spec is opaque JSON. */
export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: Json | undefined };
  spec?: JsonObject;
}

// ---------------------------------------------------------------------------------------------
// Rollout

/** `pause: {duration}`: seconds as an integer, or a string with an `s`, `m` or `h` suffix. */
export interface RolloutPause {
  duration?: IntOrString;
}

export interface SetCanaryScale {
  weight?: number;
  replicas?: number;
  matchTrafficWeight?: boolean;
}

/** `templates[]` of a Rollout's analysis: an AnalysisTemplate, or a ClusterAnalysisTemplate with clusterScope. */
export interface AnalysisTemplateRef {
  templateName: string;
  clusterScope?: boolean;
}

/** Rollout-side args: a value, or the pod-template hash / a field of the Rollout (resolved at creation). */
export interface AnalysisRunArgument {
  name: string;
  value?: string;
  valueFrom?: { podTemplateHashValue?: 'Stable' | 'Latest' | string; fieldRef?: { fieldPath: string } };
}

/** RolloutAnalysis: what an inline step, background or blue-green analysis runs. */
export interface RolloutAnalysis {
  templates?: AnalysisTemplateRef[];
  args?: AnalysisRunArgument[];
  dryRun?: Array<{ metricName: string }>;
  measurementRetention?: Array<{ metricName: string; limit: number }>;
  analysisRunMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface RolloutAnalysisBackground extends RolloutAnalysis {
  /** The step index from which the background run starts (default 0). */
  startingStep?: number;
}

export interface CanaryStep {
  setWeight?: number;
  pause?: RolloutPause;
  setCanaryScale?: SetCanaryScale;
  /** An inline, blocking AnalysisRun. */
  analysis?: RolloutAnalysis;
  /** Recognised, not yet executed by this engine (validation reports it). */
  experiment?: JsonObject;
  setHeaderRoute?: JsonObject;
  setMirrorRoute?: JsonObject;
  plugin?: JsonObject;
}

export interface CanaryStrategy {
  canaryService?: string;
  stableService?: string;
  steps?: CanaryStep[];
  /** Router configuration (nginx, istio, alb, plugins, …). Its presence switches the replica math. */
  trafficRouting?: JsonObject;
  maxSurge?: IntOrString;
  maxUnavailable?: IntOrString;
  /** Background analysis, from `startingStep` until the update completes. */
  analysis?: RolloutAnalysisBackground;
  scaleDownDelaySeconds?: number;
  scaleDownDelayRevisionLimit?: number;
  abortScaleDownDelaySeconds?: number;
  dynamicStableScale?: boolean;
  minPodsPerReplicaSet?: number;
  /** Ephemeral labels and annotations for the canary's pods (the new ReplicaSet while it is not stable). */
  canaryMetadata?: PodTemplateMetadata;
  /** Ephemeral labels and annotations for the stable ReplicaSet's pods. */
  stableMetadata?: PodTemplateMetadata;
  /** Anti-affinity of the new ReplicaSet's pods against the stable ReplicaSet's. */
  antiAffinity?: AntiAffinity;
  pingPong?: { pingService: string; pongService: string };
  [key: string]: Json | undefined | object;
}

/**
 * Ephemeral labels and annotations (canary/stable, preview/active metadata): set on a ReplicaSet's
 * pod template and on its live pods while the ReplicaSet has that role, recorded in its
 * `rollout.argoproj.io/ephemeral-metadata` annotation.
 */
export interface PodTemplateMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * `antiAffinity` of either strategy: exactly one of the two. `{}` for required; a weight of 1–100
 * for preferred.
 */
export interface AntiAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: Record<string, never> | null;
  preferredDuringSchedulingIgnoredDuringExecution?: { weight: number } | null;
}

export interface BlueGreenStrategy {
  /** The Service that carries production traffic; switched to the new ReplicaSet at promotion. */
  activeService: string;
  /** The Service that points at the new ReplicaSet before promotion (optional). */
  previewService?: string;
  /** Pods of the new ReplicaSet before promotion (default: spec.replicas). */
  previewReplicaCount?: number;
  /** false: pause with BlueGreenPause before the switch until promoted (default true). */
  autoPromotionEnabled?: boolean;
  /** Promote this many seconds after the preview is ready (pausing with BlueGreenPause meanwhile). */
  autoPromotionSeconds?: number;
  /** Used by restarts (default 25%). */
  maxUnavailable?: IntOrString;
  /** Seconds the previous active ReplicaSet stays up after the switch (default 30). */
  scaleDownDelaySeconds?: number;
  /** How many old ReplicaSets may wait out their scale-down delay at once (default: no limit). */
  scaleDownDelayRevisionLimit?: number;
  /** Seconds before the preview ReplicaSet is scaled down after an abort (default 30; 0 = never). */
  abortScaleDownDelaySeconds?: number;
  prePromotionAnalysis?: RolloutAnalysis;
  postPromotionAnalysis?: RolloutAnalysis;
  /** Anti-affinity of the new ReplicaSet's pods against the stable (active) ReplicaSet's. */
  antiAffinity?: AntiAffinity;
  /** Ephemeral metadata of the new ReplicaSet's pods while it is not yet stable. */
  previewMetadata?: PodTemplateMetadata;
  /** Ephemeral metadata of the stable (active) ReplicaSet's pods. */
  activeMetadata?: PodTemplateMetadata;
}

export interface RolloutSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  workloadRef?: JsonObject;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  progressDeadlineAbort?: boolean;
  /** RFC 3339. */
  restartAt?: string;
  rollbackWindow?: { revisions?: number };
  /** History limits for AnalysisRuns (default 5 each). */
  analysis?: { successfulRunHistoryLimit?: number; unsuccessfulRunHistoryLimit?: number };
  strategy?: {
    canary?: CanaryStrategy;
    blueGreen?: BlueGreenStrategy;
  };
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type RolloutConditionType = 'InvalidSpec' | 'Available' | 'Progressing' | 'ReplicaFailure' | 'Paused' | 'Completed' | 'Healthy';

export interface RolloutCondition {
  type: RolloutConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  /** RFC 3339, second precision. */
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export type PauseReason = 'CanaryPauseStep' | 'BlueGreenPause' | 'InconclusiveAnalysisRun' | 'InconclusiveExperiment';

export interface PauseCondition {
  reason: PauseReason;
  startTime: string;
}

export interface WeightDestination {
  weight: number;
  serviceName?: string;
  podTemplateHash?: string;
}

export interface TrafficWeights {
  canary: WeightDestination;
  stable: WeightDestination;
  additional?: WeightDestination[];
  verified?: boolean;
}

/** RolloutAnalysisRunStatus: the run a Rollout currently waits on, with its phase. */
export interface RolloutAnalysisRunStatus {
  name: string;
  status: AnalysisPhase | '';
  message?: string;
}

export interface CanaryStatus {
  weights?: TrafficWeights;
  currentStepAnalysisRunStatus?: RolloutAnalysisRunStatus;
  currentBackgroundAnalysisRunStatus?: RolloutAnalysisRunStatus;
  currentExperiment?: string;
  stablePingPong?: string;
}

/** status.blueGreen (every field omitempty). */
export interface BlueGreenStatus {
  /** The pod-template hash the active Service selects. */
  activeSelector?: string;
  /** The pod-template hash the preview Service selects. */
  previewSelector?: string;
  /** previewReplicaCount: the preview passed its gates and may scale to full size (a one-way trip-wire). */
  scaleUpPreviewCheckPoint?: boolean;
  prePromotionAnalysisRunStatus?: RolloutAnalysisRunStatus;
  postPromotionAnalysisRunStatus?: RolloutAnalysisRunStatus;
}

/**
 * RolloutStatus with Go's `omitempty` semantics: a zero value is absent. `canary` and `blueGreen`
 * are always present (Go structs without omitempty), `observedGeneration` is a string.
 */
export interface RolloutStatus {
  abort?: boolean;
  pauseConditions?: PauseCondition[];
  controllerPause?: boolean;
  abortedAt?: string;
  currentPodHash?: string;
  currentStepHash?: string;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  currentStepIndex?: number;
  collisionCount?: number;
  observedGeneration?: string;
  conditions?: RolloutCondition[];
  canary?: CanaryStatus;
  blueGreen?: BlueGreenStatus;
  HPAReplicas?: number;
  selector?: string;
  stableRS?: string;
  restartedAt?: string;
  promoteFull?: boolean;
  phase?: RolloutPhase;
  message?: string;
  workloadObservedGeneration?: string;
}

export type RolloutPhase = 'Healthy' | 'Progressing' | 'Paused' | 'Degraded';

export interface Rollout {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: RolloutSpec;
  status?: RolloutStatus;
}

// ---------------------------------------------------------------------------------------------
// What the shell observes

export interface ReplicaSet {
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: LabelSelector;
    template?: PodTemplateSpec;
  };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    fullyLabeledReplicas?: number;
    observedGeneration?: number;
  };
}

export interface Service {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { selector?: Record<string, string> };
}

/** A pod of one of the Rollout's ReplicaSets. Needed for `spec.restartAt` and ephemeral metadata. */
export interface Pod {
  metadata: {
    name: string;
    /** RFC 3339. */
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    deletionTimestamp?: string;
  };
  /** True when the pod is Ready (and past minReadySeconds); unavailable pods slow down restarts. */
  available?: boolean;
}

export interface Observed {
  /**
   * The ReplicaSets controlled by this Rollout: `metadata.ownerReferences` has an entry with
   * `controller: true` and `uid == rollout.metadata.uid` (list them by `spec.selector`, then filter).
   */
  replicaSets: ReplicaSet[];
  /**
   * The Services the strategy names (`canaryService`, `stableService`, `activeService`,
   * `previewService`), keyed by name; `undefined`
   * means the shell looked and the Service does not exist (→ InvalidSpec, as Argo does).
   */
  services: Record<string, Service | undefined>;
  /**
   * Pods of the Rollout's ReplicaSets. Only read when `spec.restartAt` is set, when the strategy has
   * ephemeral metadata (canary/stable, preview/active), or when one of the ReplicaSets still carries
   * the `rollout.argoproj.io/ephemeral-metadata` annotation (see `needsPodsForEphemeralMetadata`); omit otherwise.
   */
  pods?: Pod[];
  /**
   * Names of ReplicaSets in the namespace NOT controlled by this Rollout. Lets the engine see a
   * name collision before creating (`<rollout>-<hash>` taken) and bump `status.collisionCount`.
   */
  foreignReplicaSetNames?: string[];
  /**
   * The AnalysisRuns controlled by this Rollout (ownerReferences, like ReplicaSets). Only read when
   * the Rollout uses analysis; omit otherwise.
   */
  analysisRuns?: AnalysisRun[];
  /**
   * The AnalysisTemplates (by name, in the Rollout's namespace) and ClusterAnalysisTemplates the
   * Rollout's analyses reference, nested references included (see collectTemplateNames);
   * `undefined` for a name means the shell looked and it does not exist (→ InvalidSpec).
   */
  analysisTemplates?: Record<string, AnalysisTemplate | undefined>;
  clusterAnalysisTemplates?: Record<string, AnalysisTemplate | undefined>;
}

// ---------------------------------------------------------------------------------------------
// What the engine decides

export type EventType = 'Normal' | 'Warning';

export type Action =
  /** Create the ReplicaSet exactly as given (it always starts at the replicas given, usually 0). */
  | { kind: 'createReplicaSet'; replicaSet: ReplicaSet }
  /**
   * Set `spec.replicas` and merge `annotations` into the ReplicaSet's annotations (a `null` value
   * removes the key). Annotations carry `rollout.argoproj.io/desired-replicas`.
   */
  | { kind: 'scaleReplicaSet'; name: string; replicas: number; annotations?: Record<string, string | null> }
  /** Merge annotations into the ReplicaSet (`null` removes a key): revision sync, scale-down deadline. */
  | { kind: 'patchReplicaSetAnnotations'; name: string; annotations: Record<string, string | null> }
  | { kind: 'deleteReplicaSet'; name: string }
  /**
   * Point a Service at one ReplicaSet: set `spec.selector["rollouts-pod-template-hash"]` to
   * `podTemplateHash` and the annotation `argo-rollouts.argoproj.io/managed-by-rollouts: <rollout>`.
   */
  | { kind: 'setServiceSelector'; service: string; podTemplateHash: string; rollout: string }
  /** Merge annotations into the Rollout's own metadata (`rollout.argoproj.io/revision`). */
  | { kind: 'patchRolloutAnnotations'; annotations: Record<string, string> }
  /**
   * Change the ReplicaSet's pod template in place (its existing pods are not touched): merge
   * `templateLabels` and `templateAnnotations` into `spec.template.metadata` and `annotations` into
   * the ReplicaSet's own metadata (a `null` value removes the key; a key already absent stays
   * absent); when `affinity` is given, `spec.template.spec.affinity` becomes exactly it (`null`
   * removes it). For ephemeral metadata and the injected anti-affinity rule.
   */
  | {
      kind: 'updateReplicaSetPodTemplate';
      name: string;
      annotations?: Record<string, string | null>;
      templateLabels?: Record<string, string | null>;
      templateAnnotations?: Record<string, string | null>;
      affinity?: JsonObject | null;
    }
  /** Merge labels and annotations into a live pod (`null` removes a key); gone already is fine. */
  | { kind: 'patchPodMetadata'; name: string; labels?: Record<string, string | null>; annotations?: Record<string, string | null> }
  /** Evict the pod (policy/v1 Eviction, so PodDisruptionBudgets apply); for `spec.restartAt`. */
  | { kind: 'evictPod'; name: string }
  /**
   * Create the AnalysisRun exactly as given (name, labels, owner reference included). The name is
   * free among the runs the engine observed; an AlreadyExists from a stale cache is retried later.
   */
  | { kind: 'createAnalysisRun'; analysisRun: AnalysisRun }
  /** Set `spec.terminate: true` on a running AnalysisRun (its measurements stop, it completes). */
  | { kind: 'terminateAnalysisRun'; name: string }
  /** Delete an AnalysisRun beyond the history limits; gone already is fine. */
  | { kind: 'deleteAnalysisRun'; name: string }
  /**
   * A Kubernetes Event on the Rollout. Emitted only on a change, so the shell can record each
   * one as is (the API server's own aggregation handles repeats).
   */
  | { kind: 'recordEvent'; type: EventType; reason: string; message: string };

export interface Decision {
  /** The complete new status. Write it once, e.g. as `statusMergePatch(rollout.status, status)`. */
  status: RolloutStatus;
  actions: Action[];
  /** Reconcile again after this many ms even if nothing is observed to change (pause, deadline, restartAt). */
  requeueAfterMs?: number;
}
