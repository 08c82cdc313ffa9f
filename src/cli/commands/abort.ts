// `sluice abort NAME`: status.abort=true; the controller sends traffic back to stable.
import type { Command } from 'commander';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';

export function registerAbort(program: Command): void {
  addClusterOptions(program.command('abort').description('abort a Rollout update and go back to the stable version').argument('<name>', 'Rollout name')).action(
    async (name: string, opts: ClusterOptions) => {
      await withCluster(opts, async ({ commands, namespace }) => {
        process.stdout.write(`${(await commands.abort(namespace, name)).message}\n`);
      });
    },
  );
}
