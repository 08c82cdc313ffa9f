// `npm test`: the whole suite against real servers. Type-checks, starts the test bed once (the
// local control plane, or the cluster in KUBECONFIG), runs every test file with Node's test runner
// (unit and integration, several files at once, each test in its own namespace), then stops it.
//   node test/run.ts                 everything
//   node test/run.ts --unit          unit tests only: no servers, no build
//   node test/run.ts FILE...         chosen files (the test bed starts only if one is an integration test)
import { spawn } from 'node:child_process';
import { globSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestbed, type Testbed } from './testbed/testbed.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const chosen = args.filter((a) => !a.startsWith('--'));
const log = (line: string) => console.log(`[testbed] ${line}`);

function run(cmd: string, cmdArgs: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const unitFiles = globSync('test/unit/**/*.test.ts', { cwd: root }).sort();
const integrationFiles = globSync('test/integration/**/*.test.ts', { cwd: root }).sort();
const files = chosen.length ? chosen : unitOnly ? unitFiles : [...unitFiles, ...integrationFiles];
const needsCluster = files.some((f) => f.includes('integration/'));

if (!chosen.length) {
  console.log('typecheck: tsc --noEmit');
  const tsc = await run(join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', 'tsconfig.json']);
  if (tsc !== 0) {
    console.error('typecheck failed');
    process.exit(tsc);
  }
}

let bed: Testbed | undefined;
let dir: string | undefined;
let code = 1;
const cleanup = async () => {
  await bed?.stop();
  if (dir && process.env.SLUICE_TEST_KEEP_LOGS !== '1') rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));
try {
  if (needsCluster) {
    dir = mkdtempSync(join(tmpdir(), 'sluice-testbed-'));
    bed = await startTestbed({ dir, log });
  }
  const concurrency = process.env.SLUICE_TEST_CONCURRENCY ?? '3';
  code = await run(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files], bed?.env ?? {});
} catch (err) {
  console.error(`test bed failed to start: ${(err as Error).message}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
