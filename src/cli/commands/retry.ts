// `sluice retry rollout NAME`: status.abort=false; an aborted update starts again.
import type { Command } from 'commander';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';

export function registerRetry(program: Command): void {
  const retry = program.command('retry').description('retry an aborted Rollout');
  addClusterOptions(retry.command('rollout').aliases(['ro', 'rollouts']).description('retry an aborted Rollout update').argument('<name>', 'Rollout name')).action(
    async (name: string, opts: ClusterOptions) => {
      await withCluster(opts, async ({ commands, namespace }) => {
        process.stdout.write(`${(await commands.retry(namespace, name)).message}\n`);
      });
    },
  );
}
