// Benchmark: steady state with 2,000 Healthy Rollouts. Sluice (startService) runs as a child process
// so that its RSS is its own (the bench process also holds the node simulator, the observer and the
// test bed's clients); RSS is VmRSS from /proc/PID/status, CPU is utime+stime from /proc/PID/stat.
// Baseline: Sluice with its caches synced on the empty namespace, after two full GCs. Then 2,000
// canary Rollouts with replicas 0 (no pods: the engine takes 0 replicas as Healthy, as Argo does),
// each with its canary and stable Service, are created; once all are Healthy and writes have
// drained: GC, RSS again, and CPU over a window at rest.
// Peer: a child process holding bare client-node informers (makeInformer) over the same kinds with
// the same label selectors, started at the same moment on the same empty namespace: what any
// controller must hold. The ratio says how much Sluice adds on top.
// Knobs for trial runs: BENCH_HEALTHY_ROLLOUTS (default 2000), BENCH_REST_SECONDS (default 45).
import type { BenchContext } from './lib/context.ts';
import { atMost, ratio, type BenchResult, type Row } from './lib/table.ts';
import { bytes, duration, now } from './lib/timing.ts';
import { startMeasuredChild, type MeasuredChild } from './lib/measured-child.ts';
import { startRolloutObserver } from './lib/rollout-observer.ts';
import { benchRollout, benchServices, createAll, loadAverage, pollUntil, reconcileMetrics, roName, sleep } from './lib/rollout-bench.ts';
import { installCrds } from '../test/helpers/crds.ts';
import { KubeClient } from '../src/kube/kube-client.ts';

const ROLLOUTS = Number(process.env.BENCH_HEALTHY_ROLLOUTS ?? 2000);
const REST_SECONDS = Number(process.env.BENCH_REST_SECONDS ?? 45);
const STEPS = [{ setWeight: 50 }, { pause: { duration: 5 } }, { setWeight: 100 }];
const CONCURRENCY = 16;
const GOAL_BYTES_PER_ROLLOUT = 100 * 1024;
const CREATE_TIMEOUT_MS = 180_000;
const HEALTHY_TIMEOUT_MS = 240_000;
const QUIET_MS = 5000;
const SETTLE_TIMEOUT_MS = 120_000;

interface Memory {
  rssBytes: number;
  heapUsed: number;
  external: number;
}

async function memoryAfterGc(child: MeasuredChild): Promise<Memory> {
  await child.gc();
  const [{ rssBytes }, usage] = await Promise.all([child.proc(), child.usage()]);
  return { rssBytes, heapUsed: usage.mem.heapUsed, external: usage.mem.external + usage.mem.arrayBuffers };
}

export async function healthy2000(ctx: BenchContext): Promise<BenchResult> {
  const bench = `healthy-${ROLLOUTS}`;
  await installCrds(ctx.kubeConfig);
  const client = new KubeClient(ctx.kubeConfig, { fieldManager: 'bench', maxSockets: CONCURRENCY * 2 });
  ctx.defer(() => client.close());
  const ns = await ctx.newNamespace('healthy');
  const names = Array.from({ length: ROLLOUTS }, (_, i) => roName(i));

  const observer = await startRolloutObserver({ kubeconfigPath: ctx.bed.kubeconfigPath, namespace: ns });
  ctx.defer(() => observer.stop());
  const [sluice, peer] = await Promise.all([
    startMeasuredChild({ mode: 'sluice', kubeconfigPath: ctx.bed.kubeconfigPath, namespace: ns }),
    startMeasuredChild({ mode: 'informers', kubeconfigPath: ctx.bed.kubeconfigPath, namespace: ns }),
  ]);
  ctx.defer(() => sluice.stop());
  ctx.defer(() => peer.stop());
  await sleep(3000); // first requests, JIT warm-up
  const [sluiceBase, peerBase] = [await memoryAfterGc(sluice), await memoryAfterGc(peer)];
  const load0 = await loadAverage();

  ctx.log(`${bench}: creating ${ROLLOUTS * 2} Services and ${ROLLOUTS} Rollouts (replicas 0)`);
  const tCreate = now();
  const cpuCreate0 = await sluice.proc();
  await createAll(client, names.flatMap((n) => benchServices(ns, n)), CONCURRENCY, Date.now() + CREATE_TIMEOUT_MS);
  await createAll(client, names.map((n) => benchRollout(ns, n, { replicas: 0, image: 'registry.invalid/bench/app:1', steps: STEPS })), CONCURRENCY, Date.now() + CREATE_TIMEOUT_MS);
  const createMs = now() - tCreate;
  let healthy = 0;
  await pollUntil(async () => (healthy = (await observer.states()).filter((s) => s.phase === 'Healthy' && s.og === String(s.gen)).length) === ROLLOUTS, HEALTHY_TIMEOUT_MS, 2000);
  const healthyMs = now() - tCreate;
  const deployCpu = (await sluice.proc()).cpuSeconds - cpuCreate0.cpuSeconds;
  ctx.log(`${bench}: ${healthy}/${ROLLOUTS} Healthy after ${duration(healthyMs)}`);
  await observer.stop(); // its watch is bench-side load; nothing more to observe
  // Healthy is not idle: the last reconciles (a second status write per Rollout, Events) may still be
  // queued. At rest means no API request from Sluice for QUIET_MS.
  const tSettle = now();
  await sluice.requests(); // reset
  let quietMs = 0;
  let settleRequests = 0;
  while (quietMs < QUIET_MS && now() - tSettle < SETTLE_TIMEOUT_MS) {
    await sleep(1000);
    const n = Object.values(await sluice.requests()).reduce((a, b) => a + b, 0);
    settleRequests += n;
    quietMs = n === 0 ? quietMs + 1000 : 0;
  }
  const settledMs = now() - tSettle;
  const settled = quietMs >= QUIET_MS;
  ctx.log(`${bench}: ${settled ? `idle ${duration(settledMs)} after the last Healthy` : `still busy after ${duration(settledMs)}; measuring anyway`} (${settleRequests} requests meanwhile)`);

  const [sluiceFull, peerFull] = [await memoryAfterGc(sluice), await memoryAfterGc(peer)];

  // At rest: no object changes; whatever CPU is used is the controllers' own timers and watches.
  ctx.log(`${bench}: at rest for ${REST_SECONDS} s`);
  await sluice.requests(); // reset
  const m0 = await reconcileMetrics(sluice.url);
  const [s0, p0] = [await sluice.proc(), await peer.proc()];
  await sleep(REST_SECONDS * 1000);
  const [s1, p1] = [await sluice.proc(), await peer.proc()];
  const restRequests = await sluice.requests();
  const restReconciles = (await reconcileMetrics(sluice.url)).reconciles - m0.reconciles;

  const per = (full: Memory, base: Memory, key: keyof Memory) => (full[key] - base[key]) / ROLLOUTS;
  const sluiceRss = per(sluiceFull, sluiceBase, 'rssBytes');
  const peerRss = per(peerFull, peerBase, 'rssBytes');
  const sluiceHeap = per(sluiceFull, sluiceBase, 'heapUsed');
  const peerHeap = per(peerFull, peerBase, 'heapUsed');
  const perMinute = (a: { cpuSeconds: number }, b: { cpuSeconds: number }) => ((b.cpuSeconds - a.cpuSeconds) / REST_SECONDS) * 60;
  const sluiceCpu = perMinute(s0, s1);
  const peerCpu = perMinute(p0, p1);
  const restTotal = Object.values(restRequests).reduce((a, b) => a + b, 0);
  const rows: Row[] = [
    { bench, metric: `RSS growth per Healthy Rollout (${ROLLOUTS}, after GC)`, sluice: bytes(sluiceRss), peer: `${bytes(peerRss)} (client-node informers)`, ratio: ratio(sluiceRss, peerRss), goal: `≤ ${bytes(GOAL_BYTES_PER_ROLLOUT)}`, verdict: healthy === ROLLOUTS ? atMost(sluiceRss, GOAL_BYTES_PER_ROLLOUT) : 'MISS' },
    { bench, metric: 'JS heap growth per Rollout (after GC)', sluice: bytes(sluiceHeap), peer: `${bytes(peerHeap)} (client-node informers)`, ratio: ratio(sluiceHeap, peerHeap), goal: '', verdict: 'info' },
    { bench, metric: `CPU at rest per minute (${REST_SECONDS} s window)`, sluice: `${(sluiceCpu * 1000).toFixed(0)} ms`, peer: `${(peerCpu * 1000).toFixed(0)} ms (client-node informers)`, ratio: ratio(sluiceCpu, peerCpu), goal: '', verdict: 'info' },
    { bench, metric: 'Rollouts Healthy (replicas 0)', sluice: `${healthy}/${ROLLOUTS} in ${duration(healthyMs)}`, peer: '', ratio: '', goal: `${ROLLOUTS}`, verdict: healthy === ROLLOUTS ? 'PASS' : 'MISS' },
  ];
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const notes = [
    `${bench}: ${ROLLOUTS} canary Rollouts, replicas 0 (no pods), each with a headless canary and a stable Service, so Sluice's caches hold ${ROLLOUTS} Rollouts, ${ROLLOUTS} ReplicaSets and ${ROLLOUTS * 2} Services; created in ${duration(createMs)} (${CONCURRENCY} at a time), all Healthy after ${duration(healthyMs)}, Sluice CPU for that first deploy ${deployCpu.toFixed(1)} s. Load average at start ${load0}, at the end ${await loadAverage()}.`,
    `${bench}: Sluice (child process, startService, log level warn to a null sink) RSS after GC ${mib(sluiceBase.rssBytes)} → ${mib(sluiceFull.rssBytes)}, heap used ${mib(sluiceBase.heapUsed)} → ${mib(sluiceFull.heapUsed)}, external+array buffers ${mib(sluiceBase.external)} → ${mib(sluiceFull.external)}; RSS after the rest window (no GC) ${mib(s1.rssBytes)}.`,
    `${bench}: peer (child process with four client-node makeInformer caches: Rollouts, ReplicaSets and pods labelled rollouts-pod-template-hash, Services) RSS after GC ${mib(peerBase.rssBytes)} → ${mib(peerFull.rssBytes)}, heap used ${mib(peerBase.heapUsed)} → ${mib(peerFull.heapUsed)}. Its typed list calls turn built-in kinds into model classes, as any client-node controller's would.`,
    `${bench}: after the last Rollout turned Healthy, Sluice ${settled ? `went quiet (no API request for ${QUIET_MS / 1000} s) after ${duration(settledMs)}` : `was still sending requests after ${duration(settledMs)} (the bound), so the memory and at-rest figures were taken while it was busy`}, sending ${settleRequests} more requests meanwhile.`,
    `${bench}: at rest Sluice ran ${restReconciles} reconciles and sent ${restTotal} API requests in ${REST_SECONDS} s${restTotal ? ` (${Object.entries(restRequests).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}; CPU ${(s1.cpuSeconds - s0.cpuSeconds).toFixed(2)} s, peer ${(p1.cpuSeconds - p0.cpuSeconds).toFixed(2)} s (/proc, 10 ms ticks). Not in the window: the informers' full resync every 15 minutes (kubernetes.resyncSeconds), which re-reconciles every Rollout.`,
  ];
  return { rows, notes };
}
