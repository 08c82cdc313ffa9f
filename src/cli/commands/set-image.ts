// `sluice set image NAME CONTAINER=IMAGE`: changes a container's image (`*` = every container,
// init and ephemeral ones included), which starts an update.
import type { Command } from 'commander';
import { addClusterOptions, withCluster, type ClusterOptions } from '../cluster-options.ts';

export function registerSetImage(program: Command): void {
  const set = program.command('set').description('change a Rollout');
  const image = set
    .command('image')
    .description("update the image of a Rollout's container")
    .argument('<name>', 'Rollout name')
    .argument('<container=image>', 'container name (or *) and new image, e.g. app=registry/app:2');
  addClusterOptions(image).action(async (name: string, assignment: string, opts: ClusterOptions) => {
    const parts = assignment.split('=');
    if (parts.length !== 2 || !parts[0] || !parts[1]) image.error(`expected CONTAINER=IMAGE, got "${assignment}"`, { exitCode: 2, code: 'sluice.badArgument' });
    const [container, newImage] = parts as [string, string];
    await withCluster(opts, async ({ commands, namespace }) => {
      process.stdout.write(`${(await commands.setImage(namespace, name, container, newImage)).message}\n`);
    });
  });
}
