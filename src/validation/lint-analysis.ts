// `sluice lint` for analysis: AnalysisTemplates, ClusterAnalysisTemplates and AnalysisRuns, and
// the analysis references of Rollouts to templates in the same input. Only what is knowable
// offline is judged, with the engine's own rules (expr compiler, validateMetrics, mergeTemplates)
// so that lint and the controller cannot disagree:
//
// - every successCondition / failureCondition compiles, over `result` and the builtins only;
// - each metric has exactly one provider, and Sluice implements it;
// - Argo's count / interval / limit rules, duplicate metric names;
// - dryRun / measurementRetention rules that match no metric;
// - `{{…}}` placeholders that are not `{{args.NAME}}` of a declared arg;
// - a Rollout supplies every arg its templates require (no value, no valueFrom there), the
//   templates it combines can be merged, and its step / blue-green analyses end.
//
// A template that is not in the input may live in the cluster, so anything that depends on one
// (nested `templates[]`, a Rollout reference) is skipped rather than guessed.
//
// Input: objects that already passed the CRD schemas (validate-manifests.ts), so field types hold.
// Pure module: no I/O.
import type { ManifestError, RenderedObject } from '../sync/manifest-types.ts';
import { compileCondition } from '../engine/expr/index.ts';
import { compileRegex } from '../engine/expr/regex.ts';
import { effectiveCount, mergeTemplates, substituteArgs, validateMetrics } from '../engine/analysis/index.ts';
import type { AnalysisTemplateSpec, Argument, Metric } from '../engine/analysis/index.ts';
import { SUPPORTED_METRIC_PROVIDER_TYPES, isSupportedMetricProviderType } from '../metrics/provider-types.ts';
import { unknownMetricProviderMessage } from '../ports/metric-provider.ts';
import type { MetricProviderRegistry } from '../ports/metric-provider.ts';
import { formatPath } from './crd-schema.ts';

type Segments = (string | number)[];
type Report = (at: Segments, message: string, lineAt?: Segments) => void;

const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
/** Argo evaluates conditions with only `result` in the environment (besides the builtin functions). */
const CONDITION_NAMES: readonly string[] = ['result'];
/** As engine/analysis/args.ts: Argo's fasttemplate tags. */
const TAG = /\{\{(.*?)\}\}/g;
/** The metric fields validateMetrics judges; the provider is checked here, with better messages. */
const LIMIT_FIELDS = ['count', 'interval', 'initialDelay', 'failureLimit', 'inconclusiveLimit', 'consecutiveErrorLimit', 'consecutiveSuccessLimit'] as const;
/** unknownMetricProviderMessage wants a registry; offline, the supported list stands in for it. */
const SUPPORTED: MetricProviderRegistry = { get: () => undefined, types: () => [...SUPPORTED_METRIC_PROVIDER_TYPES] };

export function analysisProblems(objects: readonly RenderedObject[]): ManifestError[] {
  const templates = new TemplateIndex(objects);
  const problems: ManifestError[] = [];
  for (const rendered of objects) {
    const { apiVersion, kind } = rendered.object;
    if (apiVersion !== ARGO_API_VERSION) continue;
    const report: Report = (at, message, lineAt = at) => {
      problems.push({ file: rendered.source.file, line: rendered.lineOf(lineAt), message: `${formatPath(at)}: ${message}` });
    };
    if (kind === 'AnalysisTemplate' || kind === 'ClusterAnalysisTemplate') checkTemplate(rendered, templates, report);
    else if (kind === 'AnalysisRun') checkRun(rendered, report);
    else if (kind === 'Rollout') checkRolloutReferences(rendered, templates, report);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Templates and runs

interface SpecContext {
  /** The end of "{{args.x}} refers to arg 'x', which …": who should have declared it. */
  notDeclaredBy: string;
  /** Arg names placeholders may use; undefined when not knowable (a nested template is not in the input). */
  declared: Set<string> | undefined;
  /** Known arg values, substituted before conditions and limits are checked. */
  values: Record<string, string>;
  /** What dryRun / measurementRetention rules match against; undefined when not knowable. */
  ruleMetrics: Metric[] | undefined;
}

function checkTemplate(rendered: RenderedObject, index: TemplateIndex, report: Report): void {
  const spec = (rendered.object.spec ?? {}) as AnalysisTemplateSpec;
  // Nested templates of a ClusterAnalysisTemplate that are not cluster-scoped resolve in the
  // namespace of the Rollout using it, so only a namespaced template has a namespace of its own.
  const namespace = rendered.object.kind === 'AnalysisTemplate' ? rendered.object.metadata.namespace : undefined;
  const nested = index.closure(spec.templates ?? [], namespace);
  const own = spec.args ?? [];
  const all = nested.complete ? [...own, ...nested.templates.flatMap((t) => t.spec.args ?? [])] : own;
  const ownMetrics = spec.metrics ?? [];
  if (ownMetrics.length === 0 && (spec.templates ?? []).length === 0) report(['spec', 'metrics'], 'no metrics specified');
  checkSpec(spec, report, {
    notDeclaredBy: (spec.templates ?? []).length > 0 ? 'neither the template nor the templates it includes declare' : 'the template does not declare',
    declared: nested.complete ? new Set(all.map((a) => a.name)) : undefined,
    values: knownValues(all),
    ruleMetrics: nested.complete ? [...ownMetrics, ...nested.templates.flatMap((t) => t.spec.metrics ?? [])] : undefined,
  });
}

function checkRun(rendered: RenderedObject, report: Report): void {
  const spec = (rendered.object.spec ?? {}) as AnalysisTemplateSpec;
  const args = spec.args ?? [];
  if ((spec.metrics ?? []).length === 0) report(['spec', 'metrics'], 'no metrics specified');
  checkSpec(spec, report, { notDeclaredBy: 'the AnalysisRun does not declare', declared: new Set(args.map((a) => a.name)), values: knownValues(args), ruleMetrics: spec.metrics ?? [] });
}

function checkSpec(spec: AnalysisTemplateSpec, report: Report, ctx: SpecContext): void {
  for (const [i, arg] of (spec.args ?? []).entries()) {
    // Argo refuses such an arg when a Rollout validates the template (validateAnalysisMetrics).
    if (arg.value !== undefined && arg.valueFrom !== undefined) report(['spec', 'args', i], `arg '${arg.name}' has both value and valueFrom; give one`);
  }
  const firstIndex = new Map<string, number>();
  for (const [i, metric] of (spec.metrics ?? []).entries()) {
    const at: Segments = ['spec', 'metrics', i];
    const label = `metric '${metric.name}'`;
    const first = firstIndex.get(metric.name);
    if (first !== undefined) report([...at, 'name'], `duplicate metric name '${metric.name}' (also spec.metrics[${first}])`);
    else firstIndex.set(metric.name, i);
    checkProvider(metric, at, label, report);
    for (const field of ['successCondition', 'failureCondition'] as const) {
      const source = metric[field];
      // An empty condition is unset (Argo), anything else must compile.
      if (typeof source !== 'string' || source === '') continue;
      const error = conditionError(source, ctx.values);
      if (error) report([...at, field], `${label}: ${error}`);
    }
    checkLimits(metric, at, label, ctx.values, report);
    checkPlaceholders(metric, at, label, ctx, report);
  }
  checkRules(spec, ['spec'], ctx.ruleMetrics, report);
}

function checkProvider(metric: Metric, at: Segments, label: string, report: Report): void {
  const provider = metric.provider ?? {};
  const types = Object.keys(provider).filter((k) => provider[k] !== undefined && provider[k] !== null);
  const [type] = types;
  if (type === undefined) {
    report([...at, 'provider'], `${label}: no provider specified (supported: ${SUPPORTED_METRIC_PROVIDER_TYPES.join(', ')})`);
  } else if (types.length > 1) {
    report([...at, 'provider'], `${label}: multiple providers specified (${types.join(', ')}); a metric has exactly one`);
  } else if (!isSupportedMetricProviderType(type)) {
    report([...at, 'provider', type], `${label}: ${unknownMetricProviderMessage(type, SUPPORTED)}`);
  }
}

/**
 * The compile error of a condition, or undefined. Placeholders are substituted first, as Argo does
 * before evaluating; an arg whose value is only known at run time (supplied by the Rollout,
 * valueFrom) could be any text, so the condition is an error only if it fails with each stand-in.
 */
function conditionError(source: string, values: Readonly<Record<string, string>>): string | undefined {
  if (!source.includes('{{')) {
    const compiled = compileCondition(source, { knownNames: CONDITION_NAMES });
    return compiled.ok ? undefined : explain(compiled.error);
  }
  let firstError: string | undefined;
  for (const standIn of ['0', 'result']) {
    let unknown = false;
    const text = source.replace(TAG, (_whole, tag: string) => {
      const key = tag.trim();
      const name = key.startsWith('args.') ? key.slice('args.'.length) : undefined;
      if (name !== undefined && Object.hasOwn(values, name)) return values[name] as string;
      unknown = true;
      return standIn;
    });
    const compiled = compileCondition(text, { knownNames: CONDITION_NAMES });
    if (compiled.ok) return undefined;
    firstError ??= `${explain(compiled.error)} (after substituting args${unknown ? `, those unknown offline as ${standIn}` : ''}: ${JSON.stringify(text)})`;
    if (!unknown) break;
  }
  return firstError;
}

function explain(error: string): string {
  return /unknown name/.test(error) ? `${error}: a condition can use only result and the builtin functions` : error;
}

/** validateMetrics on one metric, after known args are substituted; skipped while a limit still depends on an unknown arg. */
function checkLimits(metric: Metric, at: Segments, label: string, values: Readonly<Record<string, string>>, report: Report): void {
  const fields: Partial<Metric> = {};
  for (const key of LIMIT_FIELDS) if (metric[key] !== undefined) (fields as Record<string, unknown>)[key] = metric[key];
  const resolved = substituteArgs(fields, values);
  if (!resolved.ok) return;
  // One metric at a time, so every metric's problem is reported, not only the first one's.
  const error = validateMetrics([{ ...resolved.value, name: metric.name, provider: { checkedByCheckProvider: {} } }]);
  if (error === undefined) return;
  const message = error.replace(/^metrics\[0\]: /, '');
  const field = fieldNamedIn(message);
  report(field ? [...at, field] : at, `${label}: ${message}`);
}

/** The limit field a validateMetrics message is about: the first one it names (its startDelay is initialDelay). */
function fieldNamedIn(message: string): string | undefined {
  let best: { field: string; pos: number } | undefined;
  for (const field of [...LIMIT_FIELDS, 'startDelay']) {
    const pos = message.search(new RegExp(`\\b${field}\\b`));
    if (pos >= 0 && (best === undefined || pos < best.pos)) best = { field: field === 'startDelay' ? 'initialDelay' : field, pos };
  }
  return best?.field;
}

/** Every `{{…}}` in the metric (Argo substitutes in the whole metric) must be `{{args.NAME}}` of a declared arg. */
function checkPlaceholders(metric: Metric, at: Segments, label: string, ctx: SpecContext, report: Report): void {
  walkStrings(metric, at, (text, where) => {
    const seen = new Set<string>();
    for (const match of text.matchAll(TAG)) {
      const tag = match[1] ?? '';
      const key = tag.trim();
      if (seen.has(key)) continue;
      seen.add(key);
      if (!key.startsWith('args.')) {
        report(where, `${label}: {{${tag}}} cannot be resolved: only {{args.NAME}} placeholders are substituted`);
        continue;
      }
      const name = key.slice('args.'.length);
      if (ctx.declared === undefined || ctx.declared.has(name)) continue;
      const declared = [...ctx.declared];
      report(where, `${label}: {{${tag}}} refers to arg '${name}', which ${ctx.notDeclaredBy} (${declared.length > 0 ? `declared: ${declared.join(', ')}` : 'no args declared'})`);
    }
  });
}

function walkStrings(value: unknown, at: Segments, visit: (text: string, at: Segments) => void): void {
  if (typeof value === 'string') visit(value, at);
  else if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, [...at, i], visit));
  else if (value !== null && typeof value === 'object') {
    for (const [k, item] of Object.entries(value)) walkStrings(item, [...at, k], visit);
  }
}

/** dryRun and measurementRetention: no repeated metricName, valid regexes, each matching some metric. */
function checkRules(
  spec: { dryRun?: readonly { metricName: string }[]; measurementRetention?: readonly { metricName: string }[] },
  at: Segments,
  metrics: readonly Metric[] | undefined,
  report: Report,
): void {
  for (const list of ['dryRun', 'measurementRetention'] as const) {
    const firstIndex = new Map<string, number>();
    for (const [i, rule] of (spec[list] ?? []).entries()) {
      const where: Segments = [...at, list, i, 'metricName'];
      const first = firstIndex.get(rule.metricName);
      if (first !== undefined) {
        report(where, `duplicate ${list} rule for '${rule.metricName}' (also ${formatPath([...at, list, first])})`);
        continue;
      }
      firstIndex.set(rule.metricName, i);
      let pattern: RegExp;
      try {
        pattern = compileRegex(rule.metricName);
      } catch (e) {
        report(where, (e as Error).message);
        continue;
      }
      // Argo matches with Go's regexp.MatchString: unanchored (see decide-analysis-run.ts).
      if (metrics !== undefined && !metrics.some((m) => pattern.test(m.name))) {
        const names = metrics.map((m) => m.name);
        report(where, `rule '${rule.metricName}' matches no metric (${names.length > 0 ? `metrics: ${names.join(', ')}` : 'there are no metrics'})`);
      }
    }
  }
}

function knownValues(args: readonly Argument[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const arg of args) if (arg.value !== undefined && !Object.hasOwn(values, arg.name)) values[arg.name] = arg.value;
  return values;
}

// ---------------------------------------------------------------------------------------------
// Rollout references

interface TemplateRef {
  templateName?: string;
  clusterScope?: boolean;
}

interface RolloutAnalysisBlock {
  templates?: TemplateRef[];
  args?: Argument[];
  dryRun?: { metricName: string }[];
  measurementRetention?: { metricName: string }[];
}

interface RolloutShape {
  metadata: { namespace?: string };
  spec?: {
    strategy?: {
      canary?: { steps?: { analysis?: RolloutAnalysisBlock }[]; analysis?: RolloutAnalysisBlock };
      blueGreen?: { prePromotionAnalysis?: RolloutAnalysisBlock; postPromotionAnalysis?: RolloutAnalysisBlock };
    };
  };
}

function checkRolloutReferences(rendered: RenderedObject, index: TemplateIndex, report: Report): void {
  const rollout = rendered.object as unknown as RolloutShape;
  for (const { at, block, blocking, kindOfBlock } of analysisBlocks(rollout)) {
    const refs = block.templates ?? [];
    if (refs.length === 0) continue;
    const found = index.closure(refs, rollout.metadata.namespace);
    if (blocking) {
      // Argo ValidateAnalysisTemplateWithType: a run the Rollout waits for must end. As there,
      // counts are judged before args are substituted.
      for (const template of found.templates) {
        for (const metric of template.spec.metrics ?? []) {
          if (effectiveCount(metric) !== undefined) continue;
          const count = metric.count === undefined ? 'no count' : `count ${JSON.stringify(metric.count)}`;
          report(at, `${template.label} has metric '${metric.name}' which runs indefinitely (interval ${metric.interval ?? ''}, ${count}); a ${kindOfBlock} analysis must end, so set count`, [...at, 'templates']);
        }
      }
    }
    // A template not in the input may live in the cluster; what it declares is unknown offline.
    if (!found.complete) continue;
    // Argo FlattenTemplates takes AnalysisTemplates before ClusterAnalysisTemplates.
    const ordered = [...found.templates.filter((t) => !t.cluster), ...found.templates.filter((t) => t.cluster)];
    const merged = mergeTemplates(ordered.map((t) => t.spec));
    if (!merged.ok) {
      report(at, `${joinAnd(ordered.map((t) => t.label))} cannot be combined: ${merged.error}`, [...at, 'templates']);
      continue;
    }
    const supplied = new Set((block.args ?? []).filter((a) => a.value !== undefined || a.valueFrom !== undefined).map((a) => a.name));
    const missing = new Map<TemplateEntry, string[]>();
    for (const arg of merged.value.args) {
      if (arg.value !== undefined || arg.valueFrom !== undefined || supplied.has(arg.name)) continue;
      const owner = ordered.find((t) => (t.spec.args ?? []).some((a) => a.name === arg.name)) as TemplateEntry;
      missing.set(owner, [...(missing.get(owner) ?? []), arg.name]);
    }
    for (const [template, names] of missing) {
      const list = joinAnd(names.map((n) => `'${n}'`));
      report(at, `${template.label} requires ${names.length === 1 ? 'arg' : 'args'} ${list} (no value or valueFrom in the template), which the Rollout does not supply`, [...at, 'args']);
    }
    checkRules(block, at, merged.value.metrics, report);
  }
}

interface AnalysisBlock {
  at: Segments;
  block: RolloutAnalysisBlock;
  /** Step and blue-green analyses hold the Rollout until they end; background analysis does not. */
  blocking: boolean;
  kindOfBlock: string;
}

function analysisBlocks(rollout: RolloutShape): AnalysisBlock[] {
  const blocks: AnalysisBlock[] = [];
  const canary = rollout.spec?.strategy?.canary;
  for (const [i, step] of (canary?.steps ?? []).entries()) {
    if (step?.analysis) blocks.push({ at: ['spec', 'strategy', 'canary', 'steps', i, 'analysis'], block: step.analysis, blocking: true, kindOfBlock: 'step' });
  }
  if (canary?.analysis) blocks.push({ at: ['spec', 'strategy', 'canary', 'analysis'], block: canary.analysis, blocking: false, kindOfBlock: 'background' });
  const blueGreen = rollout.spec?.strategy?.blueGreen;
  for (const [key, kindOfBlock] of [['prePromotionAnalysis', 'pre-promotion'], ['postPromotionAnalysis', 'post-promotion']] as const) {
    const block = blueGreen?.[key];
    if (block) blocks.push({ at: ['spec', 'strategy', 'blueGreen', key], block, blocking: true, kindOfBlock });
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// The templates of the input

interface TemplateEntry {
  cluster: boolean;
  /** `AnalysisTemplate 'name'` / `ClusterAnalysisTemplate 'name'`. */
  label: string;
  spec: AnalysisTemplateSpec;
}

class TemplateIndex {
  private readonly byKey = new Map<string, TemplateEntry>();

  constructor(objects: readonly RenderedObject[]) {
    for (const { object } of objects) {
      if (object.apiVersion !== ARGO_API_VERSION) continue;
      if (object.kind !== 'AnalysisTemplate' && object.kind !== 'ClusterAnalysisTemplate') continue;
      const cluster = object.kind === 'ClusterAnalysisTemplate';
      const entry: TemplateEntry = { cluster, label: `${object.kind} '${object.metadata.name}'`, spec: (object.spec ?? {}) as AnalysisTemplateSpec };
      this.byKey.set(TemplateIndex.key(cluster, object.metadata.namespace, object.metadata.name), entry);
    }
  }

  private static key(cluster: boolean, namespace: string | undefined, name: string): string {
    return cluster ? `cluster\u0000${name}` : `${namespace ?? ''}\u0000${name}`;
  }

  /**
   * The templates `refs` name, with the ones they include (`spec.templates[]`, recursively), each
   * once, in the order Argo collects them. `complete` is false when any of them is not in the
   * input (or, with no namespace given, names a namespaced template).
   */
  closure(refs: readonly TemplateRef[], namespace: string | undefined): { templates: TemplateEntry[]; complete: boolean } {
    const templates: TemplateEntry[] = [];
    let complete = true;
    const visit = (list: readonly TemplateRef[]) => {
      for (const ref of list) {
        if (typeof ref.templateName !== 'string') continue;
        const cluster = ref.clusterScope === true;
        const entry = cluster || namespace !== undefined ? this.byKey.get(TemplateIndex.key(cluster, namespace, ref.templateName)) : undefined;
        if (!entry) {
          complete = false;
          continue;
        }
        // Also the guard against templates that include each other.
        if (templates.includes(entry)) continue;
        templates.push(entry);
        visit(entry.spec.templates ?? []);
      }
    };
    visit(refs);
    return { templates, complete };
  }
}

function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
