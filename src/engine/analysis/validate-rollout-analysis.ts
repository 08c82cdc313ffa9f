// The Rollout's analyses checked against the templates they reference (Argo
// getReferencedAnalysisTemplates + ValidateAnalysisTemplatesWithType): a missing template, args
// that cannot be resolved, templates that cannot be merged, and step analyses that would never end
// are InvalidSpec before any run is created.
import { invalid, type FieldError } from '../field-error.ts';
import type { Observed, ReplicaSet, Rollout } from '../types.ts';
import type { AnalysisTemplate, Argument } from './types.ts';
import { buildAnalysisRunSpec, resolveMetric, argValues } from './args.ts';
import { effectiveCount } from './decide-analysis-run.ts';
import { buildRolloutArgs, declaredAnalyses, resolveTemplates } from './rollout-analysis.ts';
import { POD_TEMPLATE_HASH_LABEL } from '../pod-template-hash.ts';

const dummyRS = (hash: string): ReplicaSet => ({ metadata: { name: hash, labels: { [POD_TEMPLATE_HASH_LABEL]: hash } }, spec: {} });

/** validateAnalysisMetrics: placeholders for args without a value, then every metric resolves. */
function resolvedMetricsError(template: AnalysisTemplate): string | undefined {
  const args: Argument[] = (template.spec.args ?? []).map((a) => {
    if (a.valueFrom !== undefined && a.value !== undefined) return a;
    return a.value === undefined ? { name: a.name, value: 'dummy-value' } : a;
  });
  const both = (template.spec.args ?? []).find((a) => a.valueFrom !== undefined && a.value !== undefined);
  if (both) return `arg ${both.name} has both Value and ValueFrom fields`;
  const values = argValues(args);
  for (const metric of template.spec.metrics ?? []) {
    const resolved = resolveMetric(metric, values);
    if (!resolved.ok) return resolved.error;
  }
  return undefined;
}

export function validateReferencedAnalyses(rollout: Rollout, observed: Observed): FieldError[] {
  const out: FieldError[] = [];
  for (const declared of declaredAnalyses(rollout)) {
    const resolved = resolveTemplates(declared.analysis.templates, observed);
    if (!resolved.ok) {
      out.push(invalid(declared.field, resolved.name, resolved.error));
      continue;
    }
    const all = [...resolved.templates, ...resolved.clusterTemplates];
    const names = `templateNames: [${all.map((t) => t.metadata?.name ?? '').join(' ')}]`;
    const args = buildRolloutArgs(declared.analysis.args, rollout, dummyRS('dummy-stable-hash'), dummyRS('dummy-new-hash'));
    const spec = buildAnalysisRunSpec(all, { args, ...(declared.analysis.dryRun ? { dryRun: declared.analysis.dryRun } : {}), ...(declared.analysis.measurementRetention ? { measurementRetention: declared.analysis.measurementRetention } : {}) });
    if (!spec.ok) {
      out.push(invalid(declared.field, names, spec.error));
      continue;
    }
    for (const template of all) {
      const name = template.metadata?.name ?? '';
      if (declared.type !== 'Background') {
        const err = resolvedMetricsError(template);
        if (err) {
          out.push(invalid(declared.field, name, `AnalysisTemplate ${name}: ${err}`));
          continue;
        }
        // A blocking analysis that never ends would hold the Rollout forever.
        for (const metric of template.spec.metrics ?? []) {
          if (effectiveCount(metric) === undefined) out.push(invalid(declared.field, name, `AnalysisTemplate ${name} has metric ${metric.name} which runs indefinitely. Invalid value for count: ${metric.count ?? ''}`));
        }
        continue;
      }
      for (const arg of template.spec.args ?? []) {
        if (arg.value !== undefined || arg.valueFrom !== undefined) continue;
        const supplied = declared.analysis.args;
        if (!supplied) out.push(invalid(declared.field, name, 'missing analysis arguments in rollout spec'));
        else if (!supplied.some((a) => a.name === arg.name)) out.push(invalid(declared.field, name, arg.name));
      }
    }
  }
  return out;
}
