// Benchmark: webhook push to applied. A repository of 10 ConfigMaps, each push changing all 10
// (a revision annotation and data). Sluice runs as the real `sluice serve` process (its own event
// loop, the whole service wired as in production, poll schedule once a year so only the webhook
// triggers syncs). For each of 50 pushes: commit + push with native git, then
//   Sluice: POST /webhooks/github (the real GitHub push payload from @octokit/webhooks-examples with
//           the repository moved to the test Git server, signed with X-Hub-Signature-256) → all 10
//           objects at the new revision;
//   peer:   native `git pull` in a clone + `kubectl apply --server-side` of the same 10 files into
//           its own namespace → all 10 objects at the new revision.
// "Applied" is seen the same way for both: a watch on each namespace's ConfigMaps, timestamped on
// arrival in this process (which does nothing else while it waits). The order alternates per push.
import { Watch } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { BenchContext } from './lib/context.ts';
import { commitAndPush, configMaps, newRepo } from './lib/fixtures.ts';
import { atMost, ratio, type BenchResult, type Row } from './lib/table.ts';
import { duration, median, now } from './lib/timing.ts';
import { percentile } from './lib/rollout-bench.ts';
import { installCrds } from '../test/helpers/crds.ts';
import { serveSluice } from '../test/helpers/sluice-process.ts';
import { githubDelivery, githubPushTo } from '../test/helpers/webhook-payloads.ts';

const OBJECTS = 10;
const PUSHES = 50;
const WARM_UP = 3;
const GOAL_P99_MS = 1000;
const APPLY_TIMEOUT_MS = 30_000;
const SECRET = 'bench-webhook-secret-0123456789';
const FIELD_MANAGER = 'bench-kubectl';
const REV = 'bench.sluice.dev/revision';

/** Revision of each ConfigMap in a namespace, kept current by a watch; waits resolve on arrival. */
async function revisionWatch(ctx: BenchContext, ns: string): Promise<{ until(rev: number): Promise<number>; restarts(): number; stop(): void }> {
  const revs = new Map<string, number>();
  let waiter: { rev: number; resolve: (t: number) => void } | undefined;
  let restarts = 0;
  let stopped = false;
  let abort: AbortController | undefined;
  const check = () => {
    if (!waiter) return;
    let done = 0;
    for (const r of revs.values()) if (r >= waiter.rev) done++;
    if (done >= OBJECTS) {
      const w = waiter;
      waiter = undefined;
      w.resolve(now());
    }
  };
  const start = async (): Promise<void> => {
    const list = await ctx.kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns });
    for (const cm of list.items) if (cm.metadata?.name?.startsWith('cm-')) revs.set(cm.metadata.name, Number(cm.metadata.annotations?.[REV] ?? 0));
    check();
    abort = await new Watch(ctx.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: list.resourceVersion, timeoutSeconds: 1800 },
      (type: string, cm: { metadata?: { name?: string; annotations?: Record<string, string> } }) => {
        const name = cm.metadata?.name ?? '';
        if (!name.startsWith('cm-') || (type !== 'ADDED' && type !== 'MODIFIED')) return;
        revs.set(name, Number(cm.metadata?.annotations?.[REV] ?? 0));
        check();
      },
      () => {
        // A watch that ends is replaced by a list and a new watch; the list catches up on anything missed.
        if (stopped) return;
        restarts++;
        void start().catch((err: Error) => ctx.log(`webhook-push: watch on ${ns} failed: ${err.message}`));
      },
    );
  };
  await start();
  return {
    until(rev) {
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`webhook-push: ${ns} did not reach revision ${rev} within ${APPLY_TIMEOUT_MS / 1000} s`)), APPLY_TIMEOUT_MS);
        waiter = { rev, resolve: (t) => (clearTimeout(timer), resolve(t)) };
        check();
      });
    },
    restarts: () => restarts,
    stop() {
      stopped = true;
      abort?.abort();
    },
  };
}

export async function webhookPush(ctx: BenchContext): Promise<BenchResult> {
  await installCrds(ctx.kubeConfig);
  const nsSluice = await ctx.newNamespace('webhook-sluice');
  const nsPeer = await ctx.newNamespace('webhook-kubectl');
  const name = 'webhook-push';
  const work = await newRepo(ctx.git, name);
  ctx.defer(() => work.cleanup());
  await commitAndPush(work, configMaps(OBJECTS, 1), 'revision 1');
  const clone = await ctx.tmpDir('webhook-peer');
  await ctx.nativeGit(clone, ['clone', '--quiet', ctx.git.repoUrl(name), '.']);

  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-webhook-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      'log: { level: info, format: json }',
      `kubernetes: { kubeconfig: ${ctx.bed.kubeconfigPath}, namespace: ${nsSluice} }`,
      `git: { cacheDir: ${join(dir, 'git')} }`,
      `sync: { stateNamespace: ${nsSluice} }`,
      'webhooks:',
      '  github: { secretEnv: BENCH_WEBHOOK_SECRET }',
      'repos:',
      `  - name: ${name}`,
      `    url: ${ctx.git.repoUrl(name)}`,
      '    ref: { branch: main }',
      '    paths: [deploy]',
      `    namespace: ${nsSluice}`,
      '    schedule: "0 0 1 1 *"',
      `    credentials: { username: ${ctx.git.credentials.username}, tokenEnv: BENCH_GIT_TOKEN }`,
    ].join('\n'),
  );
  const sluice = await serveSluice(config, { BENCH_WEBHOOK_SECRET: SECRET, BENCH_GIT_TOKEN: ctx.git.credentials.password });
  ctx.defer(async () => void (await sluice.stop()));
  const sluiceWatch = await revisionWatch(ctx, nsSluice);
  ctx.defer(() => sluiceWatch.stop());
  const peerWatch = await revisionWatch(ctx, nsPeer);
  ctx.defer(() => peerWatch.stop());

  const kubectlApply = async () => {
    const { stdout } = await ctx.kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-n', nsPeer, '-f', join(clone, 'deploy')]);
    const applied = stdout.split('\n').filter((l) => l.includes('serverside-applied')).length;
    if (applied !== OBJECTS) throw new Error(`webhook-push: kubectl applied ${applied} objects, expected ${OBJECTS}:\n${stdout.slice(0, 500)}`);
  };
  const viaWebhook = async (rev: number, sha: string) => {
    const d = githubDelivery('push', githubPushTo(ctx.git.repoUrl(name), { ref: 'refs/heads/main', after: sha }), SECRET, `bench-${rev}`);
    const t0 = now();
    const res = await fetch(`${sluice.url}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body });
    const answeredMs = now() - t0;
    const body = await res.text();
    if (res.status !== 202 || !body.includes('"accepted":"push"')) throw new Error(`webhook-push: webhook answered ${res.status} ${body}`);
    return { ms: (await sluiceWatch.until(rev)) - t0, answeredMs };
  };
  const viaPull = async (rev: number) => {
    const t0 = now();
    await ctx.nativeGit(clone, ['pull', '--quiet', '--ff-only']);
    await kubectlApply();
    return (await peerWatch.until(rev)) - t0;
  };

  // Both sides at revision 1: Sluice's start-up sync, the peer's first apply.
  await sluiceWatch.until(1);
  await viaPull(1);

  const sluiceMs: number[] = [];
  const answered: number[] = [];
  const peerMs: number[] = [];
  for (let i = 0; i < WARM_UP + PUSHES; i++) {
    const rev = i + 2;
    const sha = await commitAndPush(work, configMaps(OBJECTS, rev), `revision ${rev}`);
    let s: { ms: number; answeredMs: number };
    let p: number;
    if (i % 2 === 0) {
      s = await viaWebhook(rev, sha);
      p = await viaPull(rev);
    } else {
      p = await viaPull(rev);
      s = await viaWebhook(rev, sha);
    }
    if (i < WARM_UP) continue;
    sluiceMs.push(s.ms);
    answered.push(s.answeredMs);
    peerMs.push(p);
    if ((i - WARM_UP + 1) % 10 === 0) ctx.log(`webhook-push: ${i - WARM_UP + 1}/${PUSHES} pushes (Sluice p50 ${duration(median(sluiceMs))}, peer p50 ${duration(median(peerMs))})`);
  }
  const metrics = await (await fetch(`${sluice.url}/metrics`)).text();
  const accepted = Number(/^sluice_webhooks_total\{host="github",event="push",result="accepted"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  const syncs = Number(new RegExp(`^sluice_sync_total\\{repo="${name}",result="succeeded"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);

  const bench = 'webhook push';
  const p = (v: number[], q: number) => percentile(v, q);
  const rows: Row[] = [
    { bench, metric: `POST → ${OBJECTS} objects applied, p50 (${PUSHES} pushes)`, sluice: duration(p(sluiceMs, 50)), peer: duration(p(peerMs, 50)), ratio: ratio(p(sluiceMs, 50), p(peerMs, 50)), goal: '', verdict: 'info' },
    { bench, metric: `POST → ${OBJECTS} objects applied, p99`, sluice: duration(p(sluiceMs, 99)), peer: duration(p(peerMs, 99)), ratio: ratio(p(sluiceMs, 99), p(peerMs, 99)), goal: `≤ ${duration(GOAL_P99_MS)}`, verdict: atMost(p(sluiceMs, 99), GOAL_P99_MS) },
    { bench, metric: 'webhook answered (202), p50 / p99', sluice: `${duration(p(answered, 50))} / ${duration(p(answered, 99))}`, peer: '', ratio: '', goal: '', verdict: 'info' },
  ];
  const sorted = (v: number[]) => [...v].sort((a, b) => a - b).map((x) => Math.round(x)).join(' ');
  return {
    rows,
    notes: [
      `webhook push: ${OBJECTS} ConfigMaps changed per push, ${PUSHES} pushes after ${WARM_UP} warm-up pushes, order alternating; Sluice as \`sluice serve\` (namespace ${nsSluice}, poll once a year), peer \`git pull --ff-only\` + \`kubectl apply --server-side --field-manager=${FIELD_MANAGER}\` (namespace ${nsPeer}). Applied = all ${OBJECTS} objects at the new revision on a watch, timestamped on arrival.`,
      `webhook push: Sluice ms, sorted: ${sorted(sluiceMs)}. Mean ${duration(sluiceMs.reduce((a, b) => a + b, 0) / sluiceMs.length)}, max ${duration(Math.max(...sluiceMs))}.`,
      `webhook push: peer ms, sorted: ${sorted(peerMs)}. Mean ${duration(peerMs.reduce((a, b) => a + b, 0) / peerMs.length)}, max ${duration(Math.max(...peerMs))}.`,
      `webhook push: Sluice counted ${accepted} accepted push webhooks and ${syncs} succeeded syncs (1 at start-up); watch restarts: Sluice ${sluiceWatch.restarts()}, peer ${peerWatch.restarts()}.`,
    ],
  };
}
