// `npm run testbed`: the test bed by hand, for debugging and for trying Sluice locally. Starts the
// cluster (and node simulator), writes .testbed/kubeconfig, and runs until Ctrl-C.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { startTestbed } from './testbed.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, '.testbed', 'cluster');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const log = (line: string) => console.log(line);
try {
  const bed = await startTestbed({ dir, log });
  const pointer = join(root, '.testbed', 'kubeconfig');
  copyFileSync(bed.kubeconfigPath, pointer);
  console.log(`\ntest bed is up.\n  export KUBECONFIG=${pointer}\n  ${bed.kubectl} get nodes\nCtrl-C stops it.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping test bed');
    await bed.stop();
    rmSync(pointer, { force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setInterval(() => {}, 1 << 30);
} catch (err) {
  console.error(`test bed failed: ${(err as Error).message}`);
  process.exit(1);
}
