// Benchmark 2: applying 1,000 objects (250 each of ConfigMap, Service, ServiceAccount, Deployment
// with 0 replicas) with Sluice versus `kubectl apply --server-side -f DIR` of the same files on the
// same API server, each in its own namespace: (a) the first apply, which creates everything, and
// (b) the same 1,000 objects all changed (a revision annotation bumped in every file, plus the
// ConfigMaps' data). Sluice's number is its whole sync (refs, fetch, render, validate, apply,
// inventory); the apply phase alone is reported beside it. Each case is the median of several runs
// in alternating order (3 first applies, 6 changes): on a shared 2-core machine one run of either
// tool can be off by a second. Before each run the previous run's aftermath (the Deployment
// controller's ReplicaSet writes) is waited for, so neither tool's run pays for the other's.
import { SYNC_CONCURRENCY, type BenchContext, type Phases } from './lib/context.ts';
import { REVISION_ANNOTATION, commitAndPush, mixedObjects, newRepo, writeFiles } from './lib/fixtures.ts';
import { atMost, ratio, type BenchResult, type Row } from './lib/table.ts';
import { duration, list, median, timed } from './lib/timing.ts';

const OBJECTS = 1000;
const DEPLOYMENTS = OBJECTS / 4; // mixedObjects: 250 of each of four kinds
// Six: an even count, so each tool goes first equally often; the median of six is steadier than of three.
const CHANGE_RUNS = 6;
const CREATE_RUNS = 3;
const FIELD_MANAGER = 'bench-kubectl';
const GOAL = 0.5;

export async function apply1000(ctx: BenchContext): Promise<BenchResult> {
  const kubectlApply = async (ns: string, dir: string, expected: number) => {
    const { ms, stdout } = await ctx.kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-n', ns, '-f', dir]);
    const applied = stdout.split('\n').filter((l) => l.includes('serverside-applied')).length;
    if (applied !== expected) throw new Error(`apply-1000: kubectl applied ${applied} objects, expected ${expected}:\n${stdout.slice(0, 500)}`);
    return ms;
  };
  const sluiceSync = async (s: ReturnType<BenchContext['syncer']>, expect: 'created' | 'changed', count: number) => {
    s.reset();
    const { ms, result } = await timed(() => s.syncer.trigger('bench'));
    const r = result.lastSync;
    if (r?.result !== 'succeeded' || r.objects[expect] !== count) throw new Error(`apply-1000: Sluice sync expected ${count} ${expect}, got ${JSON.stringify(r?.objects)} ${JSON.stringify(r?.errors.slice(0, 3))}`);
    return { ms, phases: s.phases() };
  };
  // After an apply the Deployment controller creates a ReplicaSet per new Deployment, or copies a
  // changed Deployment's annotations to its ReplicaSet (250 writes either way). The next run waits
  // until every ReplicaSet carries revision `rev`, then a second, so neither tool's run pays for
  // the other's aftermath.
  const settle = async (ns: string, rev: number) => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const rs = await ctx.kube.list<{ metadata?: { annotations?: Record<string, string> } }>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: ns });
      if (rs.items.length >= DEPLOYMENTS && rs.items.every((r) => r.metadata?.annotations?.[REVISION_ANNOTATION] === String(rev))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000));
  };

  // Warm-up on 20 objects: kubectl's binary in the page cache, Sluice's JIT, discovery and connections.
  {
    const name = 'apply-warm-up';
    const work = await newRepo(ctx.git, name);
    ctx.defer(() => work.cleanup());
    const files = mixedObjects(1, 'deploy', 5);
    await commitAndPush(work, files, 'warm-up');
    const dir = await ctx.tmpDir('warm-kubectl');
    await writeFiles(dir, files, 'deploy/');
    await kubectlApply(await ctx.newNamespace('warm-kubectl'), dir, 20);
    const s = ctx.syncer({ repoName: name, namespace: await ctx.newNamespace('warm-sluice'), paths: ['deploy'], cacheDir: await ctx.tmpDir('warm-cache') });
    await sluiceSync(s, 'created', 20);
  }

  const name = 'apply-1000';
  const work = await newRepo(ctx.git, name);
  ctx.defer(() => work.cleanup());
  const dir = await ctx.tmpDir('apply-kubectl');
  let files = mixedObjects(1);
  await commitAndPush(work, files, 'revision 1');
  await writeFiles(dir, files, 'deploy/');

  // (a) First apply, 3 runs, each in fresh namespaces with a fresh Sluice (empty Git cache, no
  // inventory, its own repository name so it lists none of the other runs' objects); the order
  // alternates. The last run's namespaces and syncer go on to (b).
  const createKubectl: number[] = [];
  const createSluice: Array<{ ms: number; phases: Phases }> = [];
  let nsKubectl = '';
  let nsSluice = '';
  let s: ReturnType<BenchContext['syncer']> | undefined;
  for (let run = 0; run < CREATE_RUNS; run++) {
    nsKubectl = await ctx.newNamespace('kubectl');
    nsSluice = await ctx.newNamespace('sluice');
    s = ctx.syncer({ repoName: name, syncName: `${name}-${run + 1}`, namespace: nsSluice, paths: ['deploy'], cacheDir: await ctx.tmpDir('apply-cache') });
    const kubectlRun = async () => {
      ctx.log(`apply-1000: first apply, kubectl, run ${run + 1}/${CREATE_RUNS}`);
      createKubectl.push(await kubectlApply(nsKubectl, dir, OBJECTS));
      await settle(nsKubectl, 1);
    };
    const sluiceRun = async () => {
      ctx.log(`apply-1000: first apply, Sluice, run ${run + 1}/${CREATE_RUNS}`);
      createSluice.push(await sluiceSync(s!, 'created', OBJECTS));
      await settle(nsSluice, 1);
    };
    if (run % 2 === 0) {
      await kubectlRun();
      await sluiceRun();
    } else {
      await sluiceRun();
      await kubectlRun();
    }
  }
  if (!s) throw new Error('apply-1000: no create run');

  // (b) All 1,000 changed: a new revision each run; the order alternates so neither always goes first.
  const changeKubectl: number[] = [];
  const changeSluice: Array<{ ms: number; phases: Phases }> = [];
  for (let run = 0; run < CHANGE_RUNS; run++) {
    files = mixedObjects(run + 2);
    await commitAndPush(work, files, `revision ${run + 2}`);
    await writeFiles(dir, files, 'deploy/');
    ctx.log(`apply-1000: 1,000 changed, run ${run + 1}/${CHANGE_RUNS}`);
    const rev = run + 2;
    const kubectlRun = async () => {
      changeKubectl.push(await kubectlApply(nsKubectl, dir, OBJECTS));
      await settle(nsKubectl, rev);
    };
    const sluiceRun = async () => {
      changeSluice.push(await sluiceSync(s, 'changed', OBJECTS));
      await settle(nsSluice, rev);
    };
    if (run % 2 === 0) {
      await kubectlRun();
      await sluiceRun();
    } else {
      await sluiceRun();
      await kubectlRun();
    }
  }

  const bench = 'apply 1,000';
  const kCreate = median(createKubectl);
  const sCreate = median(createSluice.map((c) => c.ms));
  const sCreateApply = median(createSluice.map((c) => c.phases.applyMs));
  const sCreateGit = median(createSluice.map((c) => c.phases.gitMs));
  const kChange = median(changeKubectl);
  const sChange = median(changeSluice.map((c) => c.ms));
  const sChangeApply = median(changeSluice.map((c) => c.phases.applyMs));
  const sChangeGit = median(changeSluice.map((c) => c.phases.gitMs));
  const rows: Row[] = [
    { bench, metric: `first apply (create), whole sync (median of ${CREATE_RUNS})`, sluice: duration(sCreate), peer: duration(kCreate), ratio: ratio(sCreate, kCreate), goal: `≤ ${GOAL}×`, verdict: atMost(sCreate / kCreate, GOAL) },
    { bench, metric: 'first apply (create), apply phase only (median)', sluice: duration(sCreateApply), peer: duration(kCreate), ratio: ratio(sCreateApply, kCreate), goal: '', verdict: 'info' },
    { bench, metric: `1,000 changed, whole sync (median of ${CHANGE_RUNS})`, sluice: duration(sChange), peer: duration(kChange), ratio: ratio(sChange, kChange), goal: `≤ ${GOAL}×`, verdict: atMost(sChange / kChange, GOAL) },
    { bench, metric: `1,000 changed, apply phase only (median)`, sluice: duration(sChangeApply), peer: duration(kChange), ratio: ratio(sChangeApply, kChange), goal: '', verdict: 'info' },
  ];
  return {
    rows,
    notes: [
      `apply 1,000: Sluice sync.concurrency ${SYNC_CONCURRENCY}; kubectl --field-manager=${FIELD_MANAGER}; namespaces ${nsSluice} (Sluice) and ${nsKubectl} (kubectl).`,
      `apply 1,000: first apply runs: Sluice whole ${list(createSluice.map((c) => c.ms))} (git, a first clone: ${list(createSluice.map((c) => c.phases.gitMs))}, apply ${list(createSluice.map((c) => c.phases.applyMs))}); kubectl ${list(createKubectl)}. Median Sluice git phase ${duration(sCreateGit)}.`,
      `apply 1,000: first apply runs, each run's whole-sync ratio to its kubectl run: ${createSluice.map((c, i) => ratio(c.ms, createKubectl[i] as number)).join(', ')}.`,
      `apply 1,000: changed runs: Sluice whole ${list(changeSluice.map((c) => c.ms))} (git ${list(changeSluice.map((c) => c.phases.gitMs))}, apply ${list(changeSluice.map((c) => c.phases.applyMs))}); kubectl ${list(changeKubectl)}. Median Sluice git phase ${duration(sChangeGit)}.`,
      // Each run's own ratio: on a shared machine the load drifts between runs, less within one.
      `apply 1,000: changed runs, each run's whole-sync ratio to its kubectl run: ${changeSluice.map((c, i) => ratio(c.ms, changeKubectl[i] as number)).join(', ')}.`,
    ],
  };
}
