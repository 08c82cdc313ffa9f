// `sluice list rollouts [-n NS | -A]`: one line per Rollout, as `kubectl argo rollouts list rollouts`.
import type { Command } from 'commander';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';
import { renderRolloutTable } from '../render/rollout-table.ts';

export function registerListRollouts(program: Command): void {
  const list = program.command('list').description('list Rollouts');
  const rollouts = list
    .command('rollouts')
    .aliases(['rollout', 'ro'])
    .description('list the Rollouts of a namespace, or of all namespaces')
    .option('-A, --all-namespaces', 'list Rollouts in every namespace');
  addClusterOptions(rollouts).action(async (opts: ClusterOptions & { allNamespaces?: boolean }) => {
    await withCluster(opts, async ({ commands, namespace }) => {
      const items = await commands.list(opts.allNamespaces ? undefined : namespace);
      if (items.length === 0) {
        process.stderr.write('No resources found.\n');
        return;
      }
      process.stdout.write(renderRolloutTable(items, { allNamespaces: opts.allNamespaces === true }));
    });
  });
}
