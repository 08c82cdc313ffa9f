// `sluice promote NAME [--full]`: clears the pause (or moves past the running step); --full skips
// every remaining step, pause and analysis.
import type { Command } from 'commander';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';

export function registerPromote(program: Command): void {
  addClusterOptions(
    program
      .command('promote')
      .description('promote a paused Rollout to its next step; --full skips all remaining steps')
      .argument('<name>', 'Rollout name')
      .option('--full', 'skip the remaining steps, pauses and analysis'),
  ).action(async (name: string, opts: ClusterOptions & { full?: boolean }) => {
    await withCluster(opts, async ({ commands, namespace }) => {
      process.stdout.write(`${(await commands.promote(namespace, name, { full: opts.full === true })).message}\n`);
    });
  });
}
