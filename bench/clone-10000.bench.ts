// Benchmark 4: Git transfer cost against native git on a 10,000-file repository (small YAML files
// in 100 directories) served by the same HTTP server. (a) First shallow clone: Sluice's
// ensureCommit() on an empty cache versus `git clone --depth 1 --no-checkout`; reading all 10,000
// files from the object store (readFiles) is reported apart, with native clone-with-checkout for
// context. (b) One new commit changing one file: Sluice's resolve()+ensureCommit() on its cache
// versus `git fetch --depth 1` in the native clone.
import { execFileSync } from 'node:child_process';
import type { BenchContext } from './lib/context.ts';
import { commitAndPush, configMap, newRepo, spreadFiles } from './lib/fixtures.ts';
import { atMost, ratio, type BenchResult } from './lib/table.ts';
import { bytes, duration, list, median, timed } from './lib/timing.ts';
import { createIsomorphicGitSource } from '../src/git/isomorphic-git-source.ts';
import type { GitSource, ResolvedRevision } from '../src/ports/git-source.ts';

const FILES = 10_000;
const DIRS = 100;
const RUNS = 3;
const CLONE_GOAL = 2;
const FETCH_GOAL = 1.5;

export async function clone10000(ctx: BenchContext): Promise<BenchResult> {
  const name = 'clone-10000';
  const work = await newRepo(ctx.git, name);
  ctx.defer(() => work.cleanup());
  const files = spreadFiles(FILES, DIRS);
  const paths = Object.keys(files);
  ctx.log('clone-10000: authoring the 10,000-file repository');
  await commitAndPush(work, files, '10,000 files');
  const bareSize = execFileSync('du', ['-sh', `${ctx.git.root}/${name}.git`]).toString().split('\t')[0] ?? '?';
  const url = ctx.git.repoUrl(name);

  const newSource = async (): Promise<GitSource> =>
    createIsomorphicGitSource({ name, url, ref: { branch: 'main' }, auth: ctx.git.credentials, cacheDir: await ctx.tmpDir('clone-cache') });

  // (a) First clone. Run 0 is a warm-up for both (JIT, page cache) and is not counted.
  const sluiceClone: number[] = [];
  const sluiceRead: number[] = [];
  const sluicePack: number[] = [];
  const nativeBare: number[] = [];
  const nativeCheckout: number[] = [];
  let source: GitSource | undefined;
  let rev: ResolvedRevision | undefined;
  let nativeDir = '';
  for (let run = 0; run <= RUNS; run++) {
    ctx.log(`clone-10000: first clone, ${run === 0 ? 'warm-up' : `run ${run}/${RUNS}`}`);
    const src = await newSource();
    ctx.git.resetStats();
    const clone = await timed(async () => {
      const r = await src.resolve();
      const { fetched } = await src.ensureCommit(r);
      if (!fetched) throw new Error('clone-10000: a fresh cache did not fetch');
      return r;
    });
    const pack = ctx.git.stats.totals.packBytesOut;
    const read = await timed(() => src.readFiles(clone.result.sha, ['.']));
    if (read.result.files.length !== FILES || read.result.errors.length) throw new Error(`clone-10000: readFiles found ${read.result.files.length} files, ${read.result.errors.length} errors`);
    const dir = await ctx.tmpDir('clone-native');
    const bare = await ctx.nativeGit(dir, ['clone', '--quiet', '--depth', '1', '--no-checkout', url, '.']);
    const checkoutDir = await ctx.tmpDir('clone-native-co');
    const checkout = await ctx.nativeGit(checkoutDir, ['clone', '--quiet', '--depth', '1', url, '.']);
    if (run === 0) continue;
    sluiceClone.push(clone.ms);
    sluiceRead.push(read.ms);
    sluicePack.push(pack);
    nativeBare.push(bare.ms);
    nativeCheckout.push(checkout.ms);
    source = src;
    rev = clone.result;
    nativeDir = dir;
  }
  if (!source || !rev) throw new Error('clone-10000: no clone run');

  // (b) One commit changing one file, fetched by both; the order alternates.
  const sluiceFetch: number[] = [];
  const nativeFetch: number[] = [];
  const sluiceFetchBytes: number[] = [];
  const nativeFetchBytes: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    ctx.log(`clone-10000: one-commit fetch, ${run === 0 ? 'warm-up' : `run ${run}/${RUNS}`}`);
    const changed = paths[(run * 997) % paths.length] as string;
    const sha = await commitAndPush(work, { [changed]: configMap(`changed-${run}`, run + 2) }, `change ${changed}`);
    const sluice = async () => {
      ctx.git.resetStats();
      const t = await timed(async () => {
        const r = await (source as GitSource).resolve();
        if (r.sha !== sha) throw new Error(`clone-10000: resolved ${r.sha}, pushed ${sha}`);
        if (!(await (source as GitSource).ensureCommit(r)).fetched) throw new Error('clone-10000: the new commit was not fetched');
      });
      const b = ctx.git.stats.totals.packBytesOut;
      const read = await (source as GitSource).readFiles(sha, [changed]);
      if (!Buffer.from(read.files[0]?.content ?? []).toString().includes(`changed-${run}`)) throw new Error('clone-10000: the fetched commit does not hold the change');
      return { ms: t.ms, bytes: b };
    };
    const native = async () => {
      ctx.git.resetStats();
      const t = await ctx.nativeGit(nativeDir, ['fetch', '--quiet', '--depth', '1', 'origin', 'main']);
      const fetched = await ctx.nativeGit(nativeDir, ['rev-parse', 'FETCH_HEAD']);
      if (fetched.stdout !== sha) throw new Error(`clone-10000: native fetched ${fetched.stdout}, pushed ${sha}`);
      return { ms: t.ms, bytes: ctx.git.stats.totals.packBytesOut };
    };
    let a, b;
    if (run % 2 === 0) {
      a = await sluice();
      b = await native();
    } else {
      b = await native();
      a = await sluice();
    }
    if (run === 0) continue;
    sluiceFetch.push(a.ms);
    sluiceFetchBytes.push(a.bytes);
    nativeFetch.push(b.ms);
    nativeFetchBytes.push(b.bytes);
  }

  const bench = 'clone 10,000';
  const sc = median(sluiceClone);
  const nb = median(nativeBare);
  const sr = median(sluiceRead);
  const nc = median(nativeCheckout);
  const sf = median(sluiceFetch);
  const nf = median(nativeFetch);
  return {
    rows: [
      { bench, metric: `first shallow clone, no checkout (median of ${RUNS})`, sluice: duration(sc), peer: `${duration(nb)} (clone --depth 1 --no-checkout)`, ratio: ratio(sc, nb), goal: `≤ ${CLONE_GOAL}×`, verdict: atMost(sc / nb, CLONE_GOAL) },
      { bench, metric: 'readFiles of all 10,000 (median)', sluice: duration(sr), peer: '', ratio: '', goal: '', verdict: 'info' },
      { bench, metric: 'clone + read all files (median)', sluice: duration(sc + sr), peer: `${duration(nc)} (clone --depth 1, checkout)`, ratio: ratio(sc + sr, nc), goal: '', verdict: 'info' },
      { bench, metric: `one-commit incremental fetch (median of ${RUNS})`, sluice: duration(sf), peer: `${duration(nf)} (fetch --depth 1)`, ratio: ratio(sf, nf), goal: `≤ ${FETCH_GOAL}×`, verdict: atMost(sf / nf, FETCH_GOAL) },
      { bench, metric: 'incremental fetch, upload-pack bytes (median)', sluice: bytes(median(sluiceFetchBytes)), peer: bytes(median(nativeFetchBytes)), ratio: ratio(median(sluiceFetchBytes), median(nativeFetchBytes)), goal: '', verdict: 'info' },
    ],
    notes: [
      `clone 10,000: bare repository on the server ${bareSize}; Sluice clone pack ${bytes(median(sluicePack))}.`,
      `clone 10,000: Sluice ensureCommit ${list(sluiceClone)}, readFiles ${list(sluiceRead)}; native --no-checkout ${list(nativeBare)}, with checkout ${list(nativeCheckout)}; each run's clone ratio ${sluiceClone.map((c, i) => ratio(c, nativeBare[i] as number)).join(', ')}.`,
      `clone 10,000: incremental Sluice ${list(sluiceFetch)}, native ${list(nativeFetch)}.`,
    ],
  };
}
