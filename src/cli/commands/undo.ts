// `sluice undo NAME [--to-revision N]`: puts an older ReplicaSet's pod template back.
import { InvalidArgumentError, type Command } from 'commander';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';

function parseRevision(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a revision number (0 = the previous one)');
  return Number(value);
}

export function registerUndo(program: Command): void {
  addClusterOptions(
    program
      .command('undo')
      .description('roll a Rollout back to an earlier revision')
      .argument('<name>', 'Rollout name')
      .option('--to-revision <n>', 'revision to go back to (default 0: the previous one)', parseRevision),
  ).action(async (name: string, opts: ClusterOptions & { toRevision?: number }) => {
    await withCluster(opts, async ({ commands, namespace }) => {
      process.stdout.write(`${(await commands.undo(namespace, name, { toRevision: opts.toRevision ?? 0 })).message}\n`);
    });
  });
}
