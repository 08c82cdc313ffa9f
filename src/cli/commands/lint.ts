// `sluice lint FILE|DIR`: offline validation of Rollout manifests and our other argoproj.io kinds,
// analysis included (src/validation/lint-analysis.ts).
// Prints `file:line: message` per problem and exits 1, or `N objects OK` and exits 0.
import type { Command } from 'commander';
import { loadCrdCatalog } from '../../validation/crd-catalog.ts';
import { lintManifests } from '../../validation/lint-manifests.ts';
import { formatManifestError } from '../../sync/manifest-types.ts';
import { readManifestFiles } from '../read-manifest-files.ts';
import { failWith } from '../fail-with.ts';
import { ExitCode } from '../exit-code.ts';

export function registerLint(program: Command): void {
  program
    .command('lint')
    .description('check manifests offline: YAML, CRD schemas of the argoproj.io kinds, Rollout spec rules, analysis templates and runs (exit 1 on any problem)')
    .argument('[path]', 'a YAML file or a directory of them')
    .option('-f, --filename <path>', 'the same as the path argument (kubectl-argo-rollouts spelling)')
    .action(async (pathArg: string | undefined, opts: { filename?: string }) => {
      const path = pathArg ?? opts.filename;
      if (!path) return failWith(2, 'lint needs a FILE or DIR');
      const files = await readManifestFiles(path);
      if (files.length === 0) return failWith(2, `${path}: no .yaml or .yml files`);
      const { objects, problems } = lintManifests(files, await loadCrdCatalog());
      if (problems.length > 0) {
        process.stdout.write(problems.map((p) => `${formatManifestError(p)}\n`).join(''));
        throw new ExitCode(1);
      }
      process.stdout.write(`${objects} ${objects === 1 ? 'object' : 'objects'} OK\n`);
    });
}
