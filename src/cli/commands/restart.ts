// `sluice restart NAME [--in 10s]`: spec.restartAt; the controller replaces older pods.
import { InvalidArgumentError, type Command } from 'commander';
import { durationSeconds } from '../../engine/time.ts';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';

function parseDelay(value: string): number {
  const seconds = durationSeconds(value);
  if (seconds === undefined || seconds < 0) throw new InvalidArgumentError('expected a duration such as 30s, 5m or 1h');
  return seconds;
}

export function registerRestart(program: Command): void {
  addClusterOptions(
    program
      .command('restart')
      .description("restart a Rollout's pods")
      .argument('<name>', 'Rollout name')
      .option('-i, --in <duration>', 'restart after this long (e.g. 30s, 5m, 1h)', parseDelay),
  ).action(async (name: string, opts: ClusterOptions & { in?: number }) => {
    await withCluster(opts, async ({ commands, namespace }) => {
      process.stdout.write(`${(await commands.restart(namespace, name, { inSeconds: opts.in ?? 0 })).message}\n`);
    });
  });
}
