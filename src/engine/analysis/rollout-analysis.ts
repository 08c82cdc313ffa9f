// AnalysisRuns as a Rollout creates them (Argo rollout/analysis.go newAnalysisRunFromRollout,
// utils/analysis helpers BuildArgumentsForRolloutAnalysisRun, FilterAnalysisRunsToDelete), and the
// templates a Rollout's analyses reference. Pure: templates come in through `Observed`.
import type { AnalysisRunArgument, Observed, ReplicaSet, Rollout, RolloutAnalysis } from '../types.ts';
import type { AnalysisRun, AnalysisTemplate, Argument } from './types.ts';
import { buildAnalysisRunSpec } from './args.ts';
import { POD_TEMPLATE_HASH_LABEL } from '../pod-template-hash.ts';
import { REVISION_ANNOTATION } from '../replica-sets.ts';

export const ROLLOUT_TYPE_LABEL = 'rollout-type';
export const STEP_INDEX_LABEL = 'step-index';
export type RolloutAnalysisType = 'Step' | 'Background' | 'PrePromotion' | 'PostPromotion';

/** Argo's defaults for spec.analysis.{successful,unsuccessful}RunHistoryLimit. */
export const DEFAULT_RUN_HISTORY_LIMIT = 5;

/** Each analysis a Rollout declares, with the field path its templates are reported under. */
export interface DeclaredAnalysis {
  type: RolloutAnalysisType;
  analysis: RolloutAnalysis;
  /** `spec.strategy.canary.steps[2].analysis.templates`. */
  field: string;
  stepIndex?: number;
}

export function declaredAnalyses(rollout: Rollout): DeclaredAnalysis[] {
  const out: DeclaredAnalysis[] = [];
  const canary = rollout.spec.strategy?.canary;
  if (canary) {
    (canary.steps ?? []).forEach((step, i) => {
      if (step?.analysis) out.push({ type: 'Step', analysis: step.analysis, field: `spec.strategy.canary.steps[${i}].analysis.templates`, stepIndex: i });
    });
    if (canary.analysis) out.push({ type: 'Background', analysis: canary.analysis, field: 'spec.strategy.canary.analysis.templates' });
  }
  const bg = rollout.spec.strategy?.blueGreen as { prePromotionAnalysis?: RolloutAnalysis; postPromotionAnalysis?: RolloutAnalysis } | undefined;
  if (bg?.prePromotionAnalysis) out.push({ type: 'PrePromotion', analysis: bg.prePromotionAnalysis, field: 'spec.strategy.blueGreen.prePromotionAnalysis.templates' });
  if (bg?.postPromotionAnalysis) out.push({ type: 'PostPromotion', analysis: bg.postPromotionAnalysis, field: 'spec.strategy.blueGreen.postPromotionAnalysis.templates' });
  return out;
}

/** True when the Rollout declares any analysis (so the shell must observe runs and templates). */
export function usesAnalysis(rollout: Rollout): boolean {
  return declaredAnalyses(rollout).length > 0;
}

/**
 * The templates every analysis of the Rollout references, nested `templates[]` included, looked
 * up with the shell's caches. A missing name is recorded as `undefined` (validation reports it).
 */
export function lookupReferencedTemplates(
  rollout: Rollout,
  getTemplate: (name: string) => AnalysisTemplate | undefined,
  getClusterTemplate: (name: string) => AnalysisTemplate | undefined,
): Pick<Observed, 'analysisTemplates' | 'clusterAnalysisTemplates'> {
  const analysisTemplates: Record<string, AnalysisTemplate | undefined> = {};
  const clusterAnalysisTemplates: Record<string, AnalysisTemplate | undefined> = {};
  const visit = (refs: ReadonlyArray<{ templateName: string; clusterScope?: boolean }> | undefined): void => {
    for (const ref of refs ?? []) {
      const into = ref.clusterScope ? clusterAnalysisTemplates : analysisTemplates;
      if (ref.templateName in into) continue; // seen (also stops reference cycles)
      const t = ref.clusterScope ? getClusterTemplate(ref.templateName) : getTemplate(ref.templateName);
      into[ref.templateName] = t;
      visit(t?.spec?.templates);
    }
  };
  for (const d of declaredAnalyses(rollout)) visit(d.analysis.templates);
  return { analysisTemplates, clusterAnalysisTemplates };
}

export type TemplatesResult = { ok: true; templates: AnalysisTemplate[]; clusterTemplates: AnalysisTemplate[] } | { ok: false; name: string; error: string };

/** getAnalysisTemplatesFromRefs: resolve refs recursively, then FilterUniqueTemplates (first wins). */
export function resolveTemplates(refs: RolloutAnalysis['templates'], observed: Observed): TemplatesResult {
  const templates: AnalysisTemplate[] = [];
  const clusterTemplates: AnalysisTemplate[] = [];
  const seen = new Set<string>();
  const walk = (list: RolloutAnalysis['templates']): { name: string; error: string } | undefined => {
    for (const ref of list ?? []) {
      const key = `${ref.clusterScope ? 'cluster' : 'ns'}/${ref.templateName}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const t = ref.clusterScope ? observed.clusterAnalysisTemplates?.[ref.templateName] : observed.analysisTemplates?.[ref.templateName];
      if (!t) return { name: ref.templateName, error: `${ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'} '${ref.templateName}' not found` };
      (ref.clusterScope ? clusterTemplates : templates).push(t);
      const inner = walk(t.spec?.templates);
      if (inner) return inner;
    }
    return undefined;
  };
  const err = walk(refs);
  return err ? { ok: false, ...err } : { ok: true, templates, clusterTemplates };
}

/** A dotted path with `[n]` indexes (`status.stableRS`, `spec.template.spec.containers[0].image`). */
function extractPath(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    if (m[1]) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[m[1]] : undefined;
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) cur = Array.isArray(cur) ? cur[Number(idx[1])] : undefined;
    if (cur === undefined || cur === null) return undefined;
  }
  if (typeof cur === 'string') return cur;
  return typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : JSON.stringify(cur);
}

/** fieldpath.ExtractFieldPathAsString for `metadata.*`: name, namespace, uid, labels['k'], annotations['k']. */
function extractMetadataField(rollout: Rollout, path: string): string | undefined {
  const m = /^metadata\.(labels|annotations)\['([^']*)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? rollout.metadata.labels : rollout.metadata.annotations)?.[m[2] ?? ''];
  return extractPath(rollout, path);
}

/**
 * BuildArgumentsForRolloutAnalysisRun: plain values as is; podTemplateHashValue Stable|Latest from
 * the stable / new ReplicaSet; fieldRef from the Rollout (a path that does not resolve gives "").
 */
export function buildRolloutArgs(args: readonly AnalysisRunArgument[] | undefined, rollout: Rollout, stableRS: ReplicaSet | undefined, newRS: ReplicaSet | undefined): Argument[] {
  return (args ?? []).map((arg) => {
    if (!arg.valueFrom) return { name: arg.name, value: arg.value ?? '' };
    let value = '';
    const hashOf = (rs: ReplicaSet | undefined) => rs?.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
    if (arg.valueFrom.podTemplateHashValue !== undefined) {
      if (arg.valueFrom.podTemplateHashValue === 'Stable') value = hashOf(stableRS);
      else if (arg.valueFrom.podTemplateHashValue === 'Latest') value = hashOf(newRS);
    } else if (arg.valueFrom.fieldRef) {
      const path = arg.valueFrom.fieldRef.fieldPath;
      value = (path.startsWith('metadata') ? extractMetadataField(rollout, path) : extractPath(rollout, path)) ?? '';
    }
    return { name: arg.name, value };
  });
}

export type NewRunResult = { ok: true; run: AnalysisRun } | { ok: false; error: string };

/**
 * newAnalysisRunFromRollout: name `<rollout>-<hash>-<revision>[-<infix>]` (`.N` appended when a run
 * of that name already exists, as Argo's CreateWithCollisionCounter does), labels (type labels,
 * pod-template hash, the Rollout's selector, analysisRunMetadata), the revision annotation, and the
 * Rollout as controlling owner.
 */
export function newAnalysisRunFromRollout(opts: {
  rollout: Rollout;
  analysis: RolloutAnalysis;
  args: Argument[];
  podHash: string;
  infix: string;
  labels: Record<string, string>;
  observed: Observed;
  takenNames: ReadonlySet<string>;
}): NewRunResult {
  const { rollout, analysis } = opts;
  const revision = rollout.metadata.annotations?.[REVISION_ANNOTATION] ?? '';
  const base = [rollout.metadata.name, opts.podHash, revision, ...(opts.infix ? [opts.infix] : [])].join('-');
  let name = base;
  for (let n = 1; opts.takenNames.has(name); n++) name = `${base}.${n}`;
  const resolved = resolveTemplates(analysis.templates, opts.observed);
  if (!resolved.ok) return { ok: false, error: resolved.error };
  const spec = buildAnalysisRunSpec([...resolved.templates, ...resolved.clusterTemplates], {
    args: opts.args,
    ...(analysis.dryRun ? { dryRun: analysis.dryRun } : {}),
    ...(analysis.measurementRetention ? { measurementRetention: analysis.measurementRetention } : {}),
  });
  if (!spec.ok) return { ok: false, error: spec.error };
  const labels: Record<string, string> = { ...opts.labels, ...(analysis.analysisRunMetadata?.labels ?? {}), ...(rollout.spec.selector?.matchLabels ?? {}) };
  const annotations: Record<string, string> = { [REVISION_ANNOTATION]: revision, ...(analysis.analysisRunMetadata?.annotations ?? {}) };
  const run: AnalysisRun = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      name,
      namespace: rollout.metadata.namespace ?? 'default',
      labels,
      annotations,
      ownerReferences: [{ apiVersion: rollout.apiVersion ?? 'argoproj.io/v1alpha1', kind: 'Rollout', name: rollout.metadata.name, uid: rollout.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: spec.value,
  };
  return { ok: true, run };
}

/** StepLabels / BackgroundLabels / PrePromotionLabels / PostPromotionLabels. */
export function runLabels(type: RolloutAnalysisType, podHash: string, stepIndex?: number): Record<string, string> {
  const labels: Record<string, string> = { [POD_TEMPLATE_HASH_LABEL]: podHash, [ROLLOUT_TYPE_LABEL]: type };
  if (type === 'Step' && stepIndex !== undefined) labels[STEP_INDEX_LABEL] = String(stepIndex);
  return labels;
}

/**
 * FilterAnalysisRunsToDelete over the runs the Rollout no longer waits on, newest first: a run
 * without a pod-template hash, or whose ReplicaSet is gone, goes; otherwise the newest
 * `successful` Successful runs and `unsuccessful` other runs stay.
 */
export function analysisRunsToDelete(runs: readonly AnalysisRun[], allRSs: readonly ReplicaSet[], successful: number, unsuccessful: number): AnalysisRun[] {
  const hashes = new Set(allRSs.map((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL]).filter((h): h is string => !!h));
  const created = (r: AnalysisRun) => String(r.metadata?.creationTimestamp ?? '');
  const newestFirst = [...runs].sort((a, b) => (created(a) < created(b) ? 1 : created(a) > created(b) ? -1 : 0));
  let keptOk = 0;
  let keptBad = 0;
  const out: AnalysisRun[] = [];
  for (const run of newestFirst) {
    const hash = run.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
    if (!hash || !hashes.has(hash)) out.push(run);
    else if (run.status?.phase === 'Successful') {
      if (keptOk < successful) keptOk++;
      else out.push(run);
    } else if (keptBad < unsuccessful) keptBad++;
    else out.push(run);
  }
  return out;
}
