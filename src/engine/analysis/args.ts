// Arguments and template composition (Argo utils/analysis/helpers.go MergeArgs, FlattenTemplates,
// NewAnalysisRunFromTemplates; utils/template/template.go for `{{args.name}}` substitution).
// `valueFrom` (secretKeyRef, fieldRef, podTemplateHashValue) is the shell's job: it reads the
// secret or field and hands the engine plain values.
import type { AnalysisRunSpec, AnalysisTemplate, AnalysisTemplateSpec, Argument, DryRun, MeasurementRetention, Metric } from './types.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ResolvedArgs {
  /** Template args with supplied values applied, in template order (what goes into the run spec). */
  args: Argument[];
  /** name → value for every arg that has a plain value; args left with only `valueFrom` are absent. */
  values: Record<string, string>;
}

/**
 * Argo MergeArgs: start from the template's args, let a supplied arg of the same name replace the
 * value (or valueFrom); supplied args the template does not declare are ignored. An arg left with
 * neither value nor valueFrom is an error naming it (Argo ResolveArgs).
 */
export function resolveArgs(templateArgs: readonly Argument[] | undefined, suppliedArgs: readonly Argument[] | undefined): { ok: true; args: Argument[]; values: Record<string, string> } | { ok: false; error: string } {
  const merged: Argument[] = (templateArgs ?? []).map((a) => ({ ...a }));
  for (const arg of suppliedArgs ?? []) {
    const target = merged.find((m) => m.name === arg.name);
    if (!target) continue;
    if (arg.value !== undefined) target.value = arg.value;
    else if (arg.valueFrom !== undefined) target.valueFrom = arg.valueFrom;
  }
  for (const arg of merged) {
    if (arg.value === undefined && arg.valueFrom === undefined) return { ok: false, error: `args.${arg.name} was not resolved` };
  }
  return { ok: true, args: merged, values: argValues(merged) };
}

/** name → value of the args that carry a plain value. */
export function argValues(args: readonly Argument[] | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const arg of args ?? []) if (arg.value !== undefined) values[arg.name] = arg.value;
  return values;
}

const TAG = /\{\{(.*?)\}\}/g;

function substituteString(s: string, args: Readonly<Record<string, string>>): Result<string> {
  let error: string | undefined;
  const out = s.replace(TAG, (whole, tag: string) => {
    // Argo's resolve(): tags are trimmed and looked up as `args.<name>`; any other tag is an error.
    const key = tag.trim();
    if (key.startsWith('args.')) {
      const name = key.slice('args.'.length);
      if (Object.hasOwn(args, name)) return args[name] as string;
    }
    error ??= `failed to resolve {{${tag}}}`;
    return whole;
  });
  return error === undefined ? { ok: true, value: out } : { ok: false, error };
}

/**
 * Replace `{{args.name}}` in every string (keys untouched) of a value such as a metric or its
 * provider spec. Unknown names are an error, as in Argo's ResolveArgs.
 */
export function substituteArgs<T>(value: T, args: Readonly<Record<string, string>>): Result<T> {
  const walk = (v: unknown): Result<unknown> => {
    if (typeof v === 'string') return substituteString(v, args);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const item of v) {
        const r = walk(item);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        const r = walk(item);
        if (!r.ok) return r;
        out[k] = r.value;
      }
      return { ok: true, value: out };
    }
    return { ok: true, value: v };
  };
  return walk(value) as Result<T>;
}

/** A metric with its args substituted (Argo ResolveMetricArgs). */
export function resolveMetric(metric: Metric, args: Readonly<Record<string, string>>): Result<Metric> {
  return substituteArgs(metric, args);
}

export interface MergedTemplate {
  metrics: Metric[];
  args: Argument[];
  dryRun: DryRun[];
  measurementRetention: MeasurementRetention[];
}

function specOf(t: AnalysisTemplate | AnalysisTemplateSpec): AnalysisTemplateSpec {
  return 'spec' in t && t.spec !== undefined ? (t as AnalysisTemplate).spec : (t as AnalysisTemplateSpec);
}

function duplicateRule(rules: ReadonlyArray<{ metricName: string }>, what: string): string | undefined {
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.metricName)) return `two ${what} metric rules have the same name '${r.metricName}'`;
    seen.add(r.metricName);
  }
  return undefined;
}

/**
 * Argo FlattenTemplates: metrics concatenated (a repeated name is an error), args merged (the same
 * name with two different values is an error; a value wins over no value), dryRun and
 * measurementRetention rules concatenated (a repeated metricName rule is an error). Templates are
 * taken in the order given: the shell lists AnalysisTemplates before ClusterAnalysisTemplates, as
 * Argo does, and expands nested `templates[]` references itself.
 */
export function mergeTemplates(templates: ReadonlyArray<AnalysisTemplate | AnalysisTemplateSpec>): Result<MergedTemplate> {
  const specs = templates.map(specOf);
  const metrics: Metric[] = [];
  const names = new Set<string>();
  for (const spec of specs) {
    for (const m of spec.metrics ?? []) {
      if (names.has(m.name)) return { ok: false, error: `two metrics have the same name '${m.name}'` };
      names.add(m.name);
      metrics.push(m);
    }
  }
  const args: Argument[] = [];
  for (const spec of specs) {
    for (const arg of spec.args ?? []) {
      const i = args.findIndex((a) => a.name === arg.name);
      if (i < 0) {
        args.push({ ...arg });
        continue;
      }
      const prev = args[i] as Argument;
      if (prev.value !== undefined && arg.value !== undefined && prev.value !== arg.value) {
        return { ok: false, error: `Argument \`${arg.name}\` specified multiple times with different values: '${prev.value}', '${arg.value}'` };
      }
      if (prev.value === undefined) args[i] = { ...arg };
    }
  }
  const dryRun = specs.flatMap((s) => s.dryRun ?? []);
  const measurementRetention = specs.flatMap((s) => s.measurementRetention ?? []);
  const dup = duplicateRule(dryRun, 'Dry-Run') ?? duplicateRule(measurementRetention, 'Measurement Retention');
  if (dup) return { ok: false, error: dup };
  return { ok: true, value: { metrics, args, dryRun, measurementRetention } };
}

/**
 * Argo NewAnalysisRunFromTemplates: the spec of a new AnalysisRun from its templates and what the
 * Rollout supplies (args, dryRun, measurementRetention; the Rollout's rules come first).
 */
export function buildAnalysisRunSpec(
  templates: ReadonlyArray<AnalysisTemplate | AnalysisTemplateSpec>,
  supplied: { args?: readonly Argument[]; dryRun?: readonly DryRun[]; measurementRetention?: readonly MeasurementRetention[] } = {},
): Result<AnalysisRunSpec> {
  const merged = mergeTemplates(templates);
  if (!merged.ok) return merged;
  const args = resolveArgs(merged.value.args, supplied.args);
  if (!args.ok) return args;
  const dryRun = [...(supplied.dryRun ?? []), ...merged.value.dryRun];
  const measurementRetention = [...(supplied.measurementRetention ?? []), ...merged.value.measurementRetention];
  const dup = duplicateRule(dryRun, 'Dry-Run') ?? duplicateRule(measurementRetention, 'Measurement Retention');
  if (dup) return { ok: false, error: dup };
  const spec: AnalysisRunSpec = { metrics: merged.value.metrics, args: args.args };
  if (dryRun.length > 0) spec.dryRun = dryRun;
  if (measurementRetention.length > 0) spec.measurementRetention = measurementRetention;
  return { ok: true, value: spec };
}
