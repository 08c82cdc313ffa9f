// `sluice plan FILE [-o json]`: the step timeline of the Rollouts in FILE (weight, canary and
// stable pods, pauses, analysis gates per step), computed offline by the engine.
import { Option, type Command } from 'commander';
import { renderManifests } from '../../sync/render-manifests.ts';
import { formatManifestError } from '../../sync/manifest-types.ts';
import { readManifestFiles } from '../read-manifest-files.ts';
import { failWith } from '../fail-with.ts';
import { planRollouts } from '../plan-rollouts.ts';
import { renderPlan } from '../render/plan-table.ts';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('show what each canary step of the Rollouts in FILE does: weights, pod counts, pauses, analysis')
    .argument('<file>', 'a YAML file (or a directory of them) with Rollouts')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (path: string, opts: { output: 'table' | 'json' }) => {
      const { objects, errors } = renderManifests(await readManifestFiles(path));
      if (errors.length > 0) return failWith(2, errors.map(formatManifestError).join('\nsluice: '));
      const plans = planRollouts(objects);
      if (plans.length === 0) return failWith(2, `${path}: no Rollout (argoproj.io/v1alpha1) found`);
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(plans, null, 2)}\n` : renderPlan(plans));
    });
}
