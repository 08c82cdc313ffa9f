// `sluice pause NAME`: spec.paused=true; steps stop advancing until `promote`.
import type { Command } from 'commander';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';

export function registerPause(program: Command): void {
  addClusterOptions(program.command('pause').description('pause a Rollout').argument('<name>', 'Rollout name')).action(async (name: string, opts: ClusterOptions) => {
    await withCluster(opts, async ({ commands, namespace }) => {
      process.stdout.write(`${(await commands.pause(namespace, name)).message}\n`);
    });
  });
}
