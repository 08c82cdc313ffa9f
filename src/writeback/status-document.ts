// The status file Sluice commits for one Rollout (`<path>/<namespace>/<rollout>.yaml`): what
// `get rollout` shows, from the same view code (src/rollouts/rollout-view.ts), reduced to what a
// reader of the repository needs, as deterministic YAML. Pure: objects in, text out.
import { parse, stringify } from 'yaml';
import { posix } from 'node:path';
import type { ReplicaSet, Rollout } from '../engine/types.ts';
import { revisionOf } from '../engine/replica-sets.ts';
import type { AnalysisRunObject, AnalysisRunView } from '../ports/rollout-commands.ts';
import { analysisRunViews, describeRollout, rolloutPhase } from '../rollouts/rollout-view.ts';

export interface StatusInput {
  rollout: Rollout;
  replicaSets: ReplicaSet[];
  analysisRuns: AnalysisRunObject[];
  /** The repository that deployed the Rollout. */
  repo: string;
  /** The repository's last applied commit. */
  deployedCommit?: string | undefined;
  updatedAt: Date;
}

export interface MetricStatus {
  name: string;
  verdict: string;
  /** The newest measurement's value as Argo stores it (a string). */
  value?: string;
  measuredAt?: string;
  message?: string;
  dryRun?: true;
}

export interface AnalysisRunStatus {
  name: string;
  type?: string;
  step?: number;
  verdict: string;
  message?: string;
  metrics: MetricStatus[];
}

export interface RolloutStatusDocument {
  rollout: string;
  namespace: string;
  repo: string;
  deployedCommit?: string;
  phase: string;
  message?: string;
  strategy: string;
  step?: { index: number; count: number; definition?: unknown };
  weights?: { set: number; actual: number };
  revision?: number;
  images: Array<{ image: string; tags: string[] }>;
  stableHash?: string;
  /** Only while an update is in progress (the current pod template differs from stable). */
  canaryHash?: string;
  replicas: { desired: number; current: number; updated: number; ready: number; available: number };
  analysisRuns?: AnalysisRunStatus[];
  updatedAt: string;
}

const HEADER = '# Rollout status written by Sluice on every phase, step or analysis verdict change; do not edit.\n';

/** `<dir>/<namespace>/<rollout>.yaml`, with `dir` normalised (no leading `./` or trailing `/`). */
export function statusFilePath(dir: string, namespace: string, name: string): string {
  const base = posix.normalize(dir).replace(/^\.\/?|\/+$/g, '');
  return [base, namespace, `${name}.yaml`].filter((p) => p !== '').join('/');
}

/** The Rollout's revision: its own annotation, else that of the ReplicaSet of its current pod template. */
function currentRevision(rollout: Rollout, replicaSets: ReplicaSet[]): number | undefined {
  const own = revisionOf(rollout);
  if (own > 0) return own;
  const hash = rollout.status?.currentPodHash;
  const rs = hash ? replicaSets.find((r) => r.metadata.labels?.['rollouts-pod-template-hash'] === hash) : undefined;
  return rs ? revisionOf(rs) || undefined : undefined;
}

/** The runs of the current revision, plus any the Rollout's status names (they decide its steps). */
function currentRuns(rollout: Rollout, views: AnalysisRunView[], revision: number | undefined): AnalysisRunView[] {
  const canary = rollout.status?.canary;
  const blueGreen = rollout.status?.blueGreen;
  const named = new Set(
    [canary?.currentStepAnalysisRunStatus, canary?.currentBackgroundAnalysisRunStatus, blueGreen?.prePromotionAnalysisRunStatus, blueGreen?.postPromotionAnalysisRunStatus]
      .map((s) => (s as { name?: unknown } | undefined)?.name)
      .filter((n): n is string => typeof n === 'string'),
  );
  return views.filter((r) => (revision !== undefined && r.revision === revision) || named.has(r.name));
}

function runStatus(run: AnalysisRunView): AnalysisRunStatus {
  return {
    name: run.name,
    type: run.type,
    step: run.stepIndex,
    verdict: run.status,
    message: run.message,
    metrics: run.metrics.map((m) => ({
      name: m.name,
      verdict: m.phase,
      value: m.latest?.value,
      measuredAt: m.latest?.finishedAt,
      message: m.message ?? m.latest?.message,
      dryRun: m.dryRun ? true : undefined,
    })),
  };
}

export function statusDocument(input: StatusInput): RolloutStatusDocument {
  const { rollout } = input;
  // Pods only feed the view's pod rows, which the status file does not show.
  const view = describeRollout(rollout, input.replicaSets, [], input.analysisRuns);
  const s = view.summary;
  const status = rollout.status ?? {};
  const revision = currentRevision(rollout, input.replicaSets);
  const runs = currentRuns(rollout, view.analysisRuns, revision);
  const definition = s.step ? rollout.spec.strategy?.canary?.steps?.[s.step.index] : undefined;
  // Key order is the file's order; undefined fields are left out of the YAML.
  return {
    rollout: s.name,
    namespace: s.namespace,
    repo: input.repo,
    deployedCommit: input.deployedCommit || undefined,
    phase: s.phase,
    message: s.message || undefined,
    strategy: s.strategy,
    step: s.step ? { index: s.step.index, count: s.step.count, definition } : undefined,
    weights: s.setWeight !== undefined ? { set: s.setWeight, actual: s.actualWeight ?? 0 } : undefined,
    revision,
    images: s.images,
    stableHash: status.stableRS || undefined,
    canaryHash: status.currentPodHash && status.currentPodHash !== status.stableRS ? status.currentPodHash : undefined,
    replicas: s.replicas,
    analysisRuns: runs.length > 0 ? runs.map(runStatus) : undefined,
    updatedAt: input.updatedAt.toISOString(),
  };
}

/** The file's text: a header line and the document in key order, never folded, so equal input gives equal bytes. */
export function renderStatusFile(doc: RolloutStatusDocument): string {
  return HEADER + stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** True when two status files say the same, apart from when they were written. */
export function sameStatus(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (text: string): string | undefined => {
    try {
      const doc = parse(text) as Record<string, unknown> | null;
      if (typeof doc !== 'object' || doc === null) return undefined;
      delete doc.updatedAt;
      return JSON.stringify(doc);
    } catch {
      return undefined;
    }
  };
  const sa = strip(a);
  return sa !== undefined && sa === strip(b);
}

/**
 * What a status commit is written for: the phase, the step, the revision (pod template hashes),
 * and each current analysis run's verdict. Measurements, replica counts and messages that change
 * while a step runs are not in it, so they do not cause commits of their own.
 */
export function statusTrigger(rollout: Rollout, analysisRuns: AnalysisRunObject[], replicaSets: ReplicaSet[] = []): string {
  const status = rollout.status ?? {};
  const revision = currentRevision(rollout, replicaSets);
  const runs = currentRuns(rollout, analysisRunViews(rollout, analysisRuns), revision).map((r) => [r.name, r.status]);
  return JSON.stringify([rolloutPhase(rollout).phase, status.currentStepIndex ?? null, status.abort === true, status.stableRS ?? null, status.currentPodHash ?? null, runs]);
}
