// Benchmark 3: re-syncing 5,000 unchanged ConfigMaps. After a first sync, trigger() runs again with
// nothing changed: how long it takes and whether it writes anything. Writes are checked three
// ways: Sluice's own report (all 5,000 unchanged), the resourceVersion of every object before and
// after, and the API server's own count of write requests to configmaps (its /metrics). Peer, for
// context: `kubectl apply --server-side` of the same 5,000 unchanged files.
import type { BenchContext } from './lib/context.ts';
import { commitAndPush, configMaps, newRepo, writeFiles } from './lib/fixtures.ts';
import { atMost, ratio, type BenchResult } from './lib/table.ts';
import { duration, list, median, timed } from './lib/timing.ts';

const OBJECTS = 5000;
const RUNS = 3;
const GOAL_MS = 2000;
// Sluice's own state ConfigMaps (the inventory list and the last applied commit), counted apart.
const STATE_PREFIXES = ['sluice-inventory-', 'sluice-state-'];

export async function resync5000(ctx: BenchContext): Promise<BenchResult> {
  const name = 'resync-5000';
  const work = await newRepo(ctx.git, name);
  ctx.defer(() => work.cleanup());
  const files = configMaps(OBJECTS, 1);
  await commitAndPush(work, files, '5,000 config maps');
  const nsSluice = await ctx.newNamespace('resync-sluice');
  const s = ctx.syncer({ repoName: name, namespace: nsSluice, paths: ['deploy'], cacheDir: await ctx.tmpDir('resync-cache') });

  ctx.log('resync-5000: first sync (creates 5,000)');
  const first = await timed(() => s.syncer.trigger('bench'));
  if (first.result.lastSync?.result !== 'succeeded' || first.result.lastSync.objects.created !== OBJECTS) {
    throw new Error(`resync-5000: first sync: ${JSON.stringify(first.result.lastSync?.objects)} ${JSON.stringify(first.result.lastSync?.errors.slice(0, 3))}`);
  }
  const versions = async (ns: string) => {
    const all = await ctx.resourceVersions('v1', 'ConfigMap', ns);
    for (const k of all.keys()) if (STATE_PREFIXES.some((p) => k.startsWith(p))) all.delete(k);
    return all;
  };
  const changedVersions = (before: Map<string, string>, after: Map<string, string>) => [...before].filter(([k, v]) => after.get(k) !== v).length;

  const runs: Array<{ ms: number; unchanged: number; rvChanged: number; apiWrites: number; applies: number; inventoryWrites: number; gitMs: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    ctx.log(`resync-5000: unchanged re-sync, run ${run + 1}/${RUNS}`);
    const before = await versions(nsSluice);
    const writesBefore = await ctx.apiWrites('configmaps');
    s.reset();
    const { ms, result } = await timed(() => s.syncer.trigger('bench'));
    const writesAfter = await ctx.apiWrites('configmaps');
    const after = await versions(nsSluice);
    if (result.lastSync?.result !== 'succeeded') throw new Error(`resync-5000: re-sync failed: ${JSON.stringify(result.lastSync?.errors.slice(0, 3))}`);
    const p = s.phases();
    runs.push({ ms, unchanged: result.lastSync.objects.unchanged, rvChanged: changedVersions(before, after), apiWrites: writesAfter - writesBefore, applies: p.applies, inventoryWrites: p.inventoryWrites, gitMs: p.gitMs });
  }

  // Peer: kubectl creates the same 5,000 (untimed setup), then re-applies them unchanged.
  const nsKubectl = await ctx.newNamespace('resync-kubectl');
  const dir = await ctx.tmpDir('resync-kubectl');
  await writeFiles(dir, files, 'deploy/');
  const kubectlApply = async () => {
    const { ms, stdout } = await ctx.kubectl(['apply', '--server-side', '--field-manager=bench-kubectl', '-n', nsKubectl, '-f', dir]);
    const applied = stdout.split('\n').filter((l) => l.includes('serverside-applied')).length;
    if (applied !== OBJECTS) throw new Error(`resync-5000: kubectl applied ${applied} objects, expected ${OBJECTS}`);
    return ms;
  };
  ctx.log('resync-5000: kubectl creates the same 5,000 (setup)');
  const kubectlCreateMs = await kubectlApply();
  ctx.log('resync-5000: kubectl unchanged re-apply');
  const kBefore = await versions(nsKubectl);
  const kWritesBefore = await ctx.apiWrites('configmaps');
  const kubectlMs = await kubectlApply();
  const kWrites = (await ctx.apiWrites('configmaps')) - kWritesBefore;
  const kRvChanged = changedVersions(kBefore, await versions(nsKubectl));

  const wall = median(runs.map((r) => r.ms));
  const worst = runs.reduce((a, r) => ({ rvChanged: Math.max(a.rvChanged, r.rvChanged), objectWrites: Math.max(a.objectWrites, r.apiWrites - r.inventoryWrites), minUnchanged: Math.min(a.minUnchanged, r.unchanged) }), { rvChanged: 0, objectWrites: 0, minUnchanged: Infinity });
  const noWrites = worst.minUnchanged === OBJECTS && worst.rvChanged === 0 && worst.objectWrites === 0;
  const bench = 're-sync 5,000';
  return {
    rows: [
      { bench, metric: `unchanged re-sync wall time (median of ${RUNS})`, sluice: duration(wall), peer: `${duration(kubectlMs)} (kubectl)`, ratio: ratio(wall, kubectlMs), goal: '≤ 2 s', verdict: atMost(wall, GOAL_MS) },
      {
        bench,
        metric: 'object writes per re-sync',
        sluice: `${worst.objectWrites} (unchanged ${worst.minUnchanged}, RV changed ${worst.rvChanged})`,
        peer: `${kWrites} requests (RV changed ${kRvChanged})`,
        ratio: '',
        goal: '0',
        verdict: noWrites ? 'PASS' : 'MISS',
      },
    ],
    notes: [
      `re-sync 5,000: first sync (create) ${duration(first.ms)}; kubectl create of the same ${duration(kubectlCreateMs)}.`,
      `re-sync 5,000: runs ${list(runs.map((r) => r.ms))}; git phase (refs, and reading the files when the commit moved) ${list(runs.map((r) => r.gitMs))}.`,
      `re-sync 5,000: per run, API server write requests to configmaps ${runs.map((r) => r.apiWrites).join(', ')}, of which Sluice's inventory and state ConfigMaps ${runs.map((r) => r.inventoryWrites).join(', ')}; object applies sent ${runs.map((r) => r.applies).join(', ')}.`,
      `re-sync 5,000: kubectl unchanged re-apply: ${kWrites} write requests to configmaps (server-side apply no-ops), ${kRvChanged} resourceVersions changed.`,
    ],
  };
}
