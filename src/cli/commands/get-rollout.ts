// `sluice get rollout NAME [-w] [--no-color] [-o json|yaml]`: the Rollout as a tree of revisions,
// ReplicaSets, pods and AnalysisRuns with their metrics (like `kubectl argo rollouts get rollout`),
// or, with -o, the document GET /api/v1/namespaces/:ns/rollouts/:name answers: the object and its views.
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';
import { renderRolloutTree } from '../render/rollout-tree.ts';
import { watchUntilInterrupted } from '../watch-until-interrupted.ts';

interface GetOptions extends ClusterOptions {
  watch?: boolean;
  color: boolean;
  output?: 'json' | 'yaml';
}

// What kubectl-argo-rollouts sends to redraw: cursor home, clear screen.
const CLEAR_SCREEN = '\u001b[H\u001b[2J\u001b[0;0H';

export function registerGetRollout(program: Command): void {
  const get = program.command('get').description('show a Rollout');
  const rollout = get
    .command('rollout')
    .aliases(['ro', 'rollouts'])
    .description('show a Rollout with its revisions, ReplicaSets and pods')
    .argument('<name>', 'Rollout name')
    .option('-w, --watch', 'keep showing live updates until Ctrl-C')
    .option('--no-color', 'do not colourise the output')
    .addOption(new Option('-o, --output <format>', 'print the Rollout object with its summary, ReplicaSets and AnalysisRuns instead of the tree').choices(['json', 'yaml']));
  addClusterOptions(rollout).action(async (name: string, opts: GetOptions) => {
    const tty = process.stdout.isTTY === true;
    const color = opts.color && tty && process.env.TERM !== 'dumb';
    await withCluster(opts, async ({ commands, namespace }) => {
      const render = async () => {
        const details = await commands.get(namespace, name);
        if (opts.output) {
          // The same keys as the HTTP API's rollout document, so scripts can use either.
          const doc = { rollout: details.rollout, ...details.view };
          const key = JSON.stringify(doc);
          return { key, text: opts.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc) };
        }
        // Ages change every second; the view without the clock tells a real change.
        return { key: JSON.stringify(details.view), text: renderRolloutTree(details.view, { now: new Date(), color }) };
      };
      if (!opts.watch) {
        process.stdout.write((await render()).text);
        return;
      }
      let lastKey: string | undefined;
      await watchUntilInterrupted(1000, async () => {
        const { key, text } = await render();
        // On a terminal redraw every tick (ages move on); in a pipe print only changes.
        if (tty) process.stdout.write(CLEAR_SCREEN + text);
        else if (key !== lastKey) process.stdout.write(lastKey === undefined ? text : `\n${text}`);
        lastKey = key;
        return false;
      });
    });
  });
}
