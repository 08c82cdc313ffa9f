// What `get rollout` and `list rollouts` show about a Rollout, computed from the objects alone
// (kubectl-argo-rollouts info/rollout_info.go, replicaset_info.go, analysisrun_info.go). Pure, so
// the CLI, the HTTP API and tests get the same answers.
import type { ReplicaSet, Rollout } from '../engine/types.ts';
import { calculateRolloutPhase } from '../engine/phase.ts';
import { currentSetWeight, currentStepIndex } from '../engine/replica-math.ts';
import { podTemplateHashOf } from '../engine/pod-template-hash.ts';
import { revisionOf } from '../engine/replica-sets.ts';
import { SCALE_DOWN_DEADLINE_ANNOTATION } from '../engine/reconcile-context.ts';
import { ROLLOUT_TYPE_LABEL, STEP_INDEX_LABEL } from '../engine/analysis/rollout-analysis.ts';
import type {
  AnalysisMetricResultObject,
  AnalysisMetricView,
  AnalysisRunObject,
  AnalysisRunType,
  AnalysisRunView,
  CurrentAnalysisRun,
  PodObject,
  ReplicaSetView,
  RolloutSummary,
  RolloutView,
} from '../ports/rollout-commands.ts';
import { podView } from './pod-view.ts';

/**
 * Argo's RolloutStatusString: the phase from spec and status, but Progressing while the controller
 * has not yet seen the latest spec or is still unpausing (so a client never reports a stale Healthy).
 */
export function rolloutPhase(rollout: Rollout): { phase: string; message: string } {
  const status = rollout.status ?? {};
  const observed = Number(status.observedGeneration);
  // A non-numeric observedGeneration (pre-1.0 Argo wrote a hash) says nothing about generations.
  if (status.observedGeneration && Number.isInteger(observed) && rollout.metadata.generation !== undefined && observed < rollout.metadata.generation) {
    return { phase: 'Progressing', message: 'waiting for rollout spec update to be observed' };
  }
  const calculated = calculateRolloutPhase(rollout.spec, status);
  // Promoted, but the controller has not yet taken its own pause back (Argo's IsUnpausing).
  if (calculated.phase !== 'Degraded' && status.controllerPause && (status.pauseConditions?.length ?? 0) === 0 && !rollout.spec.paused) {
    return { phase: 'Progressing', message: 'waiting for rollout to unpause' };
  }
  return calculated;
}

function strategyOf(rollout: Rollout): RolloutSummary['strategy'] {
  return rollout.spec.strategy?.canary ? 'Canary' : rollout.spec.strategy?.blueGreen ? 'BlueGreen' : 'Unknown';
}

function ownedBy(obj: { metadata: { ownerReferences?: Array<{ uid: string }> } }, uid: string | undefined): boolean {
  return uid !== undefined && (obj.metadata.ownerReferences ?? []).some((o) => o.uid === uid);
}

function replicaSetHealth(rs: ReplicaSet): string {
  const generation = rs.metadata.generation ?? 0;
  if (generation > (rs.status?.observedGeneration ?? 0)) return 'Progressing';
  const conditions = (rs.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  if (conditions.some((c) => c.type === 'ReplicaFailure' && c.status === 'True')) return 'ReplicaFailure';
  const desired = rs.spec.replicas;
  if (desired !== undefined && (rs.status?.availableReplicas ?? 0) < desired) return 'Progressing';
  if (desired === 0) return 'ScaledDown';
  return 'Healthy';
}

function replicaSetTags(rollout: Rollout, rs: ReplicaSet): string[] {
  const hash = podTemplateHashOf(rs);
  const status = rollout.status ?? {};
  const tags: string[] = [];
  if (!hash) return tags;
  if (rollout.spec.strategy?.canary) {
    if (status.stableRS === hash) tags.push('stable');
    else if (status.currentPodHash === hash) tags.push('canary');
  } else if (rollout.spec.strategy?.blueGreen) {
    const bg = (status.blueGreen ?? {}) as { activeSelector?: string; previewSelector?: string };
    if (status.stableRS === hash) tags.push('stable');
    if (bg.activeSelector === hash) tags.push('active');
    else if (bg.previewSelector === hash) tags.push('preview');
  }
  return tags;
}

function containerImages(rs: ReplicaSet): string[] {
  const containers = rs.spec.template?.spec?.containers;
  if (!Array.isArray(containers)) return [];
  return containers.flatMap((c) => (typeof c === 'object' && c !== null && !Array.isArray(c) && typeof c.image === 'string' ? [c.image] : []));
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The Rollout's ReplicaSets with their pods, newest revision first. */
export function replicaSetViews(rollout: Rollout, replicaSets: ReplicaSet[], pods: PodObject[]): ReplicaSetView[] {
  const views: Array<ReplicaSetView & { uid?: string }> = [];
  for (const rs of replicaSets) {
    if (!ownedBy(rs, rollout.metadata.uid)) continue;
    const view: ReplicaSetView & { uid?: string } = {
      name: rs.metadata.name,
      revision: revisionOf(rs),
      status: replicaSetHealth(rs),
      tags: replicaSetTags(rollout, rs),
      replicas: rs.status?.replicas ?? 0,
      available: rs.status?.availableReplicas ?? 0,
      images: containerImages(rs),
      pods: [],
    };
    if (rs.metadata.creationTimestamp) view.createdAt = rs.metadata.creationTimestamp;
    const deadline = rs.metadata.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION];
    if (deadline) view.scaleDownDeadline = deadline;
    if (rs.metadata.uid) view.uid = rs.metadata.uid;
    views.push(view);
  }
  views.sort((a, b) => b.revision - a.revision || byName(a, b));
  for (const view of views) {
    const owned = pods.filter((p) => view.uid !== undefined && ownedBy(p, view.uid));
    owned.sort((a, b) => {
      const ta = a.metadata.creationTimestamp ?? '';
      const tb = b.metadata.creationTimestamp ?? '';
      return ta !== tb ? (ta < tb ? -1 : 1) : byName(a.metadata, b.metadata);
    });
    view.pods = owned.map(podView);
    delete view.uid;
  }
  return views;
}

// AnalysisRun status is written by whichever controller runs the analysis and kept by the CRD
// without a schema (preserve-unknown-fields), so the views read it defensively.
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const tally = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0);
const ANALYSIS_RUN_TYPES: readonly string[] = ['Step', 'Background', 'PrePromotion', 'PostPromotion'] satisfies AnalysisRunType[];
const runType = (v: unknown): AnalysisRunType | undefined => (typeof v === 'string' && ANALYSIS_RUN_TYPES.includes(v) ? (v as AnalysisRunType) : undefined);

function metricView(name: string, result: AnalysisMetricResultObject | undefined): AnalysisMetricView {
  const view: AnalysisMetricView = {
    name,
    phase: text(result?.phase) ?? 'Pending',
    dryRun: result?.dryRun === true,
    count: tally(result?.count),
    successful: tally(result?.successful),
    failed: tally(result?.failed),
    inconclusive: tally(result?.inconclusive),
    error: tally(result?.error),
  };
  const message = text(result?.message);
  if (message) view.message = message;
  // Measurements are appended, so the last one is the newest (possibly still in flight).
  const measurements = Array.isArray(result?.measurements) ? result.measurements : [];
  const m: unknown = measurements[measurements.length - 1];
  if (typeof m === 'object' && m !== null) {
    const raw = m as Record<string, unknown>;
    const latest: NonNullable<AnalysisMetricView['latest']> = { phase: text(raw.phase) ?? 'Pending' };
    for (const key of ['value', 'message', 'startedAt', 'finishedAt'] as const) {
      const v = text(raw[key]);
      if (v !== undefined) latest[key] = v;
    }
    view.latest = latest;
  }
  return view;
}

function metricViews(ar: AnalysisRunObject): AnalysisMetricView[] {
  const results = (Array.isArray(ar.status?.metricResults) ? ar.status.metricResults : []).filter((r) => typeof r?.name === 'string');
  const specNames = (Array.isArray(ar.spec?.metrics) ? ar.spec.metrics : []).flatMap((m) => (typeof m?.name === 'string' ? [m.name] : []));
  // Spec order, so metrics not measured yet show as Pending; then results the spec does not name.
  const names = [...new Set([...specNames, ...results.map((r) => r.name)])];
  return names.map((name) => metricView(name, results.find((r) => r.name === name)));
}

function analysisRunView(ar: AnalysisRunObject): AnalysisRunView {
  const metrics = metricViews(ar);
  const sum = (key: 'successful' | 'failed' | 'inconclusive' | 'error') => metrics.reduce((n, m) => n + m[key], 0);
  const view: AnalysisRunView = {
    name: ar.metadata.name,
    revision: revisionOf(ar),
    status: text(ar.status?.phase) ?? 'Pending',
    successful: sum('successful'),
    failed: sum('failed'),
    inconclusive: sum('inconclusive'),
    error: sum('error'),
    metrics,
  };
  const message = text(ar.status?.message);
  if (message) view.message = message;
  const labels = ar.metadata.labels ?? {};
  const type = runType(labels[ROLLOUT_TYPE_LABEL]);
  if (type) view.type = type;
  const stepIndex = labels[STEP_INDEX_LABEL];
  if (stepIndex !== undefined && /^\d+$/.test(stepIndex)) view.stepIndex = Number(stepIndex);
  if (ar.metadata.creationTimestamp) view.createdAt = ar.metadata.creationTimestamp;
  return view;
}

/** The Rollout's AnalysisRuns with their metrics: newest revision first, then oldest run first (as Argo's CLI). */
export function analysisRunViews(rollout: Rollout, analysisRuns: AnalysisRunObject[]): AnalysisRunView[] {
  return analysisRuns
    .filter((ar) => ownedBy(ar, rollout.metadata.uid))
    .map(analysisRunView)
    .sort((a, b) => {
      if (a.revision !== b.revision) return b.revision - a.revision;
      const ta = a.createdAt ?? '';
      const tb = b.createdAt ?? '';
      return ta !== tb ? (ta < tb ? -1 : 1) : byName(a, b);
    });
}

/** status.canary's step and background runs, status.blueGreen's pre- and post-promotion runs. */
function currentAnalysisRuns(rollout: Rollout): CurrentAnalysisRun[] {
  const status = rollout.status ?? {};
  const sources: Array<[AnalysisRunType, unknown]> = [
    ['Step', status.canary?.currentStepAnalysisRunStatus],
    ['Background', status.canary?.currentBackgroundAnalysisRunStatus],
    ['PrePromotion', status.blueGreen?.prePromotionAnalysisRunStatus],
    ['PostPromotion', status.blueGreen?.postPromotionAnalysisRunStatus],
  ];
  const runs: CurrentAnalysisRun[] = [];
  for (const [type, value] of sources) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const raw = value as Record<string, unknown>;
    const name = text(raw.name);
    if (!name) continue;
    const run: CurrentAnalysisRun = { type, name, status: text(raw.status) ?? 'Pending' };
    const message = text(raw.message);
    if (message) run.message = message;
    runs.push(run);
  }
  return runs;
}

/** Images of the ReplicaSets that still run pods, each with the tags of those ReplicaSets. */
function imagesOf(views: ReplicaSetView[]): RolloutSummary['images'] {
  const tagsByImage = new Map<string, Set<string>>();
  for (const rs of views) {
    if (rs.replicas <= 0) continue;
    for (const image of rs.images) {
      const tags = tagsByImage.get(image) ?? new Set<string>();
      for (const t of rs.tags) tags.add(t);
      tagsByImage.set(image, tags);
    }
  }
  return [...tagsByImage.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([image, tags]) => ({ image, tags: [...tags].sort() }));
}

/** The header facts; `views` are the Rollout's ReplicaSet views (for images and the actual weight). */
export function summarizeRollout(rollout: Rollout, views: ReplicaSetView[]): RolloutSummary {
  const status = rollout.status ?? {};
  const { phase, message } = rolloutPhase(rollout);
  const summary: RolloutSummary = {
    name: rollout.metadata.name,
    namespace: rollout.metadata.namespace ?? '',
    strategy: strategyOf(rollout),
    phase,
    message,
    images: imagesOf(views),
    replicas: {
      desired: rollout.spec.replicas ?? 1,
      current: status.replicas ?? 0,
      updated: status.updatedReplicas ?? 0,
      ready: status.readyReplicas ?? 0,
      available: status.availableReplicas ?? 0,
    },
  };
  const canary = rollout.spec.strategy?.canary;
  if (canary) {
    const steps = canary.steps ?? [];
    if (status.currentStepIndex !== undefined && steps.length > 0) summary.step = { index: status.currentStepIndex, count: steps.length };
    summary.setWeight = currentSetWeight(rollout);
    const index = currentStepIndex(rollout);
    if (index === undefined || index >= steps.length) summary.actualWeight = 100;
    else if ((status.availableReplicas ?? 0) > 0) {
      // Without a traffic router the split is the share of available pods that are canaries.
      const canaryRS = views.find((v) => v.tags.includes('canary'));
      summary.actualWeight = canary.trafficRouting ? summary.setWeight : Math.trunc(((canaryRS?.available ?? 0) * 100) / (status.availableReplicas ?? 1));
    } else summary.actualWeight = 0;
    const weights = status.canary?.weights;
    if (weights) summary.weights = { canary: weights.canary.weight, stable: weights.stable.weight };
  }
  const runs = currentAnalysisRuns(rollout);
  if (runs.length > 0) summary.currentAnalysisRuns = runs;
  if (rollout.metadata.creationTimestamp) summary.createdAt = rollout.metadata.creationTimestamp;
  return summary;
}

export function describeRollout(rollout: Rollout, replicaSets: ReplicaSet[], pods: PodObject[], analysisRuns: AnalysisRunObject[] = []): RolloutView {
  const views = replicaSetViews(rollout, replicaSets, pods);
  return { summary: summarizeRollout(rollout, views), replicaSets: views, analysisRuns: analysisRunViews(rollout, analysisRuns) };
}
