// `npm run bench`: the Git-sync and Rollout-controller benchmarks, each against a peer in the same run. Starts the
// test bed (local control plane, or the cluster in KUBECONFIG) and one Git server once, runs the
// chosen benchmarks in order, prints a table with ratios, and with --record appends a dated
// section to bench/RESULTS.md.
//   node bench/run.ts                       all benchmarks
//   node bench/run.ts idle-poll clone-10000 only these
//   node bench/run.ts --record              also append the results to bench/RESULTS.md
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { startTestbed, type Testbed } from '../test/testbed/testbed.ts';
import { startGitServer, type GitServer } from '../test/testbed/git-server.ts';
import { KubeClient } from '../src/kube/kube-client.ts';
import { loadCrdCatalog } from '../src/validation/crd-catalog.ts';
import { createContext, type BenchContext } from './lib/context.ts';
import { markdownTable, textTable, type BenchResult, type Row } from './lib/table.ts';
import { duration, now } from './lib/timing.ts';
import { idlePoll } from './idle-poll.bench.ts';
import { apply1000 } from './apply-1000.bench.ts';
import { resync5000 } from './resync-5000.bench.ts';
import { clone10000 } from './clone-10000.bench.ts';
import { canary500 } from './canary-500.bench.ts';
import { healthy2000 } from './healthy-2000.bench.ts';
import { webhookPush } from './webhook-push.bench.ts';
import { analysis1000 } from './analysis-1000.bench.ts';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  'idle-poll': idlePoll,
  'apply-1000': apply1000,
  'resync-5000': resync5000,
  'clone-10000': clone10000,
  'canary-500': canary500,
  'healthy-2000': healthy2000,
  'webhook-push': webhookPush,
  'analysis-1000': analysis1000,
};

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const record = args.includes('--record');
const unknownFlags = args.filter((a) => a.startsWith('--') && a !== '--record');
const chosen = args.filter((a) => !a.startsWith('--'));
const unknown = chosen.filter((c) => !(c in BENCHMARKS));
if (unknownFlags.length || unknown.length) {
  console.error(`bench: unknown ${unknown.length ? `benchmark(s) ${unknown.join(', ')}` : `flag(s) ${unknownFlags.join(', ')}`}; choose from ${Object.keys(BENCHMARKS).join(', ')} [--record]`);
  process.exit(2);
}
const names = chosen.length ? chosen : Object.keys(BENCHMARKS);
const log = (line: string) => console.log(`[bench] ${line}`);

let bed: Testbed | undefined;
let gitServer: GitServer | undefined;
let kube: KubeClient | undefined;
let pendingCleanup: (() => Promise<void>) | undefined;
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-testbed-'));

let stopping: Promise<void> | undefined;
const stopAll = () =>
  (stopping ??= (async () => {
    await pendingCleanup?.().catch((err: Error) => log(`cleanup failed: ${err.message}`));
    kube?.close();
    await gitServer?.close().catch(() => undefined);
    await bed?.stop().catch((err: Error) => log(`test bed stop failed: ${err.message}`));
    rmSync(dir, { recursive: true, force: true });
  })());
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
process.on('SIGTERM', () => void stopAll().then(() => process.exit(143)));

const rows: Row[] = [];
const notes: string[] = [];
let failed = false;
const started = now();
// Other work on the machine skews every figure; the load averages go into the record.
const loadAtStart = loadavg();
try {
  // Thousands of per-pod simulator lines would bury the results.
  bed = await startTestbed({ dir, log: (l) => (/^node simulator: (bound|pod|confirmed)/.test(l) ? undefined : log(l)) });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(bed.kubeconfigPath);
  kube = new KubeClient(kubeConfig);
  gitServer = await startGitServer();
  const crdCatalog = await loadCrdCatalog();
  for (const name of names) {
    const fn = BENCHMARKS[name];
    if (!fn) continue;
    log(`${name}: start`);
    const t0 = now();
    const { ctx, cleanup } = createContext({ bed, kubeConfig, kube, git: gitServer, crdCatalog, log });
    pendingCleanup = cleanup;
    try {
      const result = await fn(ctx);
      rows.push(...result.rows);
      notes.push(...result.notes);
      console.log(`\n${textTable(result.rows)}\n`);
    } catch (err) {
      failed = true;
      const message = (err as Error).message.split('\n')[0] ?? String(err);
      log(`${name}: FAILED: ${(err as Error).stack ?? message}`);
      rows.push({ bench: name, metric: 'benchmark failed', sluice: message.slice(0, 160), peer: '', ratio: '', goal: '', verdict: 'ERROR' });
    } finally {
      pendingCleanup = undefined;
      await cleanup();
      log(`${name}: done in ${duration(now() - t0)} (cleanup included)`);
    }
  }
} catch (err) {
  failed = true;
  log(`FAILED: ${(err as Error).message}`);
} finally {
  await stopAll();
}

const total = now() - started;
if (rows.length) {
  console.log(`\nSummary (${duration(total)} in all)\n${textTable(rows)}\n`);
  for (const n of notes) console.log(`  ${n}`);
}
if (record && rows.length) {
  const file = join(here, 'RESULTS.md');
  if (!existsSync(file)) writeFileSync(file, '# Sluice benchmark results\n');
  appendFileSync(file, section(rows, notes, total));
  log(`results appended to ${file}`);
}
process.exit(failed || rows.some((r) => r.verdict === 'ERROR') ? 1 : 0);

function fmtLoad(l: number[]): string {
  return l.map((v) => v.toFixed(2)).join(' / ');
}

function section(rows: Row[], notes: string[], totalMs: number): string {
  const sh = (cmd: string, cmdArgs: string[]) => {
    try {
      return execFileSync(cmd, cmdArgs, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  const mem = sh('free', ['-h']).split('\n').find((l) => l.startsWith('Mem:'))?.split(/\s+/)[1] ?? `${Math.round(totalmem() / 2 ** 30)}Gi`;
  const isoGit = (JSON.parse(readFileSync(join(here, '..', 'node_modules', 'isomorphic-git', 'package.json'), 'utf8')) as { version: string }).version;
  const kubectlVersion = bed ? sh(bed.kubectl, ['version', '--client', '--short']).replace(/^Client Version:\s*/, '') : 'unknown';
  // Which code was measured: the commit, and whether src/ had uncommitted changes.
  const commit = sh('git', ['-C', join(here, '..'), 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', join(here, '..'), 'status', '--porcelain', '--', 'src']) !== '';
  return [
    '',
    `## ${sh('date', [])}`,
    '',
    `Machine: ${sh('nproc', [])} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${mem} RAM, Linux ${sh('uname', ['-r'])}; Node ${process.version}, ` +
      `${sh('git', ['--version'])}, isomorphic-git ${isoGit}, kubectl ${kubectlVersion}, cluster: ${bed?.cluster ?? 'unknown'}. ` +
      `Code: commit ${commit}${dirty ? ' with uncommitted changes in src/' : ''}. Benchmarks: ${names.join(', ')}; ${duration(totalMs)} in all; peak RSS of the bench process ${Math.round(process.resourceUsage().maxRSS / 1024)} MB. ` +
      `Load average (1/5/15 min) at start ${fmtLoad(loadAtStart)}, at end ${fmtLoad(loadavg())}.`,
    '',
    markdownTable(rows),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
