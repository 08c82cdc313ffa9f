// `sluice status NAME [--timeout 5m]`: waits for the Rollout to finish, printing each phase change
// (`Paused - CanaryPauseStep`). Exit 0 when Healthy; 1 when Degraded, or when the timeout passes.
import { InvalidArgumentError, type Command } from 'commander';
import { durationSeconds, formatGoDuration } from '../../engine/time.ts';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';
import { failWith } from '../fail-with.ts';
import { watchUntilInterrupted } from '../watch-until-interrupted.ts';

function parseTimeout(value: string): number {
  const seconds = durationSeconds(value);
  if (seconds === undefined || seconds < 0) throw new InvalidArgumentError('expected a duration such as 30s, 5m or 1h (0 = wait forever)');
  return seconds;
}

export function registerStatus(program: Command): void {
  addClusterOptions(
    program
      .command('status')
      .description('wait until a Rollout is Healthy (exit 0) or Degraded (exit 1), printing its phase changes')
      .argument('<name>', 'Rollout name')
      .option('-t, --timeout <duration>', 'give up after this long, exit 1 (default 0: wait forever)', parseTimeout, 0),
  ).action(async (name: string, opts: ClusterOptions & { timeout: number }) => {
    await withCluster(opts, async ({ commands, namespace }) => {
      const deadline = opts.timeout > 0 ? Date.now() + opts.timeout * 1000 : Number.POSITIVE_INFINITY;
      let last = { phase: '', message: '' };
      let printed: string | undefined;
      const finished = await watchUntilInterrupted(1000, async () => {
        const { phase, message } = (await commands.get(namespace, name)).view.summary;
        last = { phase, message };
        const line = message ? `${phase} - ${message}` : phase;
        if (line !== printed) process.stdout.write(`${line}\n`);
        printed = line;
        return phase === 'Healthy' || phase === 'Degraded' || Date.now() >= deadline;
      }, () => Math.min(1000, deadline - Date.now()));
      if (last.phase === 'Healthy') return;
      if (last.phase === 'Degraded') failWith(1, `rollout '${name}' is Degraded: ${last.message}`);
      const now = last.message ? `${last.phase} (${last.message})` : last.phase;
      failWith(1, finished ? `rollout '${name}' still ${now} after ${formatGoDuration(opts.timeout)}` : `interrupted; rollout '${name}' is ${now}`);
    });
  });
}
