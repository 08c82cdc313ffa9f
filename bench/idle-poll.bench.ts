// Benchmark 1: what a poll costs on the wire when nothing changed. A synced repository is polled
// N times through RepoSyncer.trigger(); the Git server's own counters say how many HTTP requests
// and upload-pack (pack) bytes each poll took. Native `git fetch` / `git ls-remote` in an
// up-to-date clone, counted by the same server, give context.
import type { BenchContext } from './lib/context.ts';
import { configMaps, commitAndPush, newRepo } from './lib/fixtures.ts';
import { atMost, ratio, type BenchResult } from './lib/table.ts';
import { bytes, duration, median, timed } from './lib/timing.ts';

const POLLS = 20;
const NATIVE_LS_REMOTES = 5;
const TIME_LIMIT_MS = 60_000;

export async function idlePoll(ctx: BenchContext): Promise<BenchResult> {
  const name = 'idle-poll';
  const work = await newRepo(ctx.git, name);
  ctx.defer(() => work.cleanup());
  await commitAndPush(work, configMaps(20, 1), 'twenty config maps');

  const ns = await ctx.newNamespace('idle');
  const s = ctx.syncer({ repoName: name, namespace: ns, paths: ['deploy'], cacheDir: await ctx.tmpDir('idle-cache') });
  const first = await s.syncer.trigger('bench');
  if (first.lastSync?.result !== 'succeeded' || first.lastSync.objects.created !== 20) throw new Error(`idle-poll: first sync did not create 20 objects: ${JSON.stringify(first.lastSync?.objects)} ${JSON.stringify(first.lastSync?.errors.slice(0, 3))}`);
  // Warm-up: JIT and connection pools, not counted.
  for (let i = 0; i < 2; i++) await s.syncer.trigger('warm-up');

  ctx.git.resetStats();
  const pollMs: number[] = [];
  const deadline = Date.now() + TIME_LIMIT_MS;
  for (let i = 0; i < POLLS && Date.now() < deadline; i++) {
    const { ms, result } = await timed(() => s.syncer.trigger('poll'));
    const objects = result.lastSync?.objects;
    if (result.lastSync?.result !== 'succeeded' || objects?.unchanged !== 20 || objects.changed || objects.created) throw new Error(`idle-poll: poll ${i} was not a no-op: ${JSON.stringify(objects)}`);
    pollMs.push(ms);
  }
  const sluice = ctx.git.stats.totals;
  const polls = pollMs.length;

  // The source alone (resolve + ensureCommit), without the cluster side of a sync.
  ctx.git.resetStats();
  const sourceMs: number[] = [];
  for (let i = 0; i < POLLS && Date.now() < deadline; i++) {
    const { ms } = await timed(async () => s.source.ensureCommit(await s.source.resolve()));
    sourceMs.push(ms);
  }
  const source = ctx.git.stats.totals;

  // Peer: an up-to-date native clone.
  const clone = await ctx.tmpDir('idle-native');
  await ctx.nativeGit(clone, ['clone', '--quiet', ctx.git.repoUrl(name), '.']);
  await ctx.nativeGit(clone, ['fetch', '--quiet', 'origin']);
  ctx.git.resetStats();
  const fetchMs: number[] = [];
  for (let i = 0; i < POLLS && Date.now() < deadline; i++) fetchMs.push((await ctx.nativeGit(clone, ['fetch', '--quiet', 'origin'])).ms);
  const fetch = ctx.git.stats.totals;
  ctx.git.resetStats();
  for (let i = 0; i < NATIVE_LS_REMOTES; i++) await ctx.nativeGit(clone, ['ls-remote', '--quiet', 'origin']);
  const lsRemote = ctx.git.stats.totals;
  const protocol = ctx.git.stats.requests[0]?.gitProtocol ?? 'v0/v1';

  const perPoll = sluice.requests / polls;
  const packPerPoll = sluice.packBytesOut / polls;
  const nativePerFetch = fetch.requests / fetchMs.length;
  const nativePackPerFetch = fetch.packBytesOut / fetchMs.length;
  const bench = 'idle poll';
  return {
    rows: [
      { bench, metric: `HTTP requests per poll (${polls} polls)`, sluice: perPoll.toFixed(2), peer: `${nativePerFetch.toFixed(2)} (git fetch)`, ratio: ratio(perPoll, nativePerFetch), goal: '1', verdict: perPoll === 1 ? 'PASS' : 'MISS' },
      { bench, metric: 'upload-pack bytes per poll', sluice: bytes(packPerPoll), peer: `${bytes(nativePackPerFetch)} (git fetch)`, ratio: ratio(packPerPoll, nativePackPerFetch), goal: '0 B', verdict: atMost(packPerPoll, 0) },
      { bench, metric: 'poll wall time, median (whole trigger)', sluice: duration(median(pollMs)), peer: `${duration(median(fetchMs))} (git fetch)`, ratio: ratio(median(pollMs), median(fetchMs)), goal: '', verdict: 'info' },
    ],
    notes: [
      `idle poll: Sluice trigger(): ${sluice.requests} requests (${sluice.infoRefs} info/refs, ${sluice.uploadPack} upload-pack) in ${polls} polls, ${bytes(sluice.bytesOut / polls)} response bytes per poll (ref advertisement).`,
      `idle poll: source only (resolve()+ensureCommit()): ${(source.requests / sourceMs.length).toFixed(2)} requests and ${bytes(source.packBytesOut / sourceMs.length)} upload-pack bytes per poll, median ${duration(median(sourceMs))}.`,
      `idle poll: native git fetch (protocol ${protocol}): ${fetch.requests} requests (${fetch.infoRefs} info/refs, ${fetch.uploadPack} upload-pack) in ${fetchMs.length} fetches; with protocol v2 the upload-pack request is the ls-refs command, so its bytes are refs, not a pack. git ls-remote: ${(lsRemote.requests / NATIVE_LS_REMOTES).toFixed(2)} requests per call.`,
    ],
  };
}
