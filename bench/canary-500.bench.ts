// Benchmark: 500 concurrent canaries with 5-second timed pauses. Sluice (startService, in its own
// process: see lib/measured-child.ts) controls a fresh namespace of 500 Rollouts with one canary and
// one stable Service each; once all are Healthy, every Rollout gets a new image at once. A watch in
// a worker thread timestamps each status change on arrival; a Rollout's step-advance lag is
//   (arrival of the status with currentStepIndex past the pause) − (pause startTime + 5 s).
// startTime has one-second precision, and that recorded value + 5 s is exactly when the engine (and
// Argo) consider the pause over (`now > startTime + duration`), so it is the right reference; the
// pause as really lived is up to 1 s shorter than 5 s for that reason, which the notes show.
// Peer (lower bound): Sluice stopped, a minimal inline watch → timer → status-patch loop on the same
// 500 Rollouts, with pauses replayed in the order Sluice's began and at least as densely (the
// schedule compressed to at most 10 s), measured the same way.
// Knobs for trial runs: BENCH_CANARY_ROLLOUTS (default 500).
import { Watch } from '@kubernetes/client-node';
import type { BenchContext } from './lib/context.ts';
import { atMost, ratio, type BenchResult, type Row } from './lib/table.ts';
import { duration, now } from './lib/timing.ts';
import { startMeasuredChild } from './lib/measured-child.ts';
import { startRolloutObserver, type RolloutEvent, type RolloutState } from './lib/rollout-observer.ts';
import { ROLLOUT, benchRollout, benchServices, createAll, imagePatch, loadAverage, percentile, pollUntil, pool, reconcileMetrics, roName, sleep } from './lib/rollout-bench.ts';
import { installCrds } from '../test/helpers/crds.ts';
import { formatTime } from '../src/engine/time.ts';
import { KubeClient } from '../src/kube/kube-client.ts';

const ROLLOUTS = Number(process.env.BENCH_CANARY_ROLLOUTS ?? 500);
const PAUSE_SECONDS = 5;
const STEPS = [{ setWeight: 50 }, { pause: { duration: PAUSE_SECONDS } }, { setWeight: 100 }];
const PAUSE_INDEX = 1;
const CONCURRENCY = 16;
const GOAL_P99_MS = 1000;
const FIRST_DEPLOY_TIMEOUT_MS = 120_000;
const UPDATE_TIMEOUT_MS = 120_000;
const PEER_TIMEOUT_MS = 40_000;
// The whole benchmark should stay near 4 minutes; the peer is skipped rather than overrun.
const PEER_START_BUDGET_MS = 230_000;
const PEER_REPLAY_SPAN_MS = 10_000;
// Sluice writes Events in the background, one at a time: after the last Rollout is Healthy, wait
// (at most this long) until it has sent nothing for EVENT_QUIET_MS, and count what it sent meanwhile.
const EVENT_DRAIN_TIMEOUT_MS = 90_000;
const EVENT_QUIET_MS = 3000;

/** Cumulative bucket counts (le → count) of one histogram in a Prometheus text exposition. */
function histogram(text: string, name: string, labels = ''): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le === undefined) continue;
    out.set(le === '+Inf' ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** Bucket bound under which fraction q of the observations (after − before) fell: "≤ 250 ms". */
function bucketQuantile(after: Map<number, number>, before: Map<number, number>, q: number): string {
  const les = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return 'n/a';
  for (const le of les) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le === Infinity ? `> ${duration(1000 * (les[les.length - 2] ?? 0))}` : `≤ ${duration(le * 1000)}`;
  }
  return 'n/a';
}

async function metricsText(url: string): Promise<string> {
  return await fetch(`${url}/metrics`).then((r) => r.text()).catch(() => '');
}

interface Lag {
  name: string;
  lagMs: number;
  /** When the observer first saw the pause (arrival). */
  pauseSeenAt: number;
  /** Pause as observed: advance arrival − pause arrival. */
  observedPauseMs: number;
}

/** Per Rollout: the first status in the pause step with a startTime, then the first past it. */
function stepLags(events: RolloutEvent[]): { lags: Lag[]; imprecise: number } {
  const byName = new Map<string, RolloutEvent[]>();
  for (const e of events) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  const lags: Lag[] = [];
  let imprecise = 0;
  for (const [name, list] of byName) {
    const paused = list.findIndex((e) => e.idx === PAUSE_INDEX && e.pause !== undefined);
    const start = list[paused];
    if (!start?.pause) continue;
    const advanced = list.slice(paused + 1).find((e) => (e.idx ?? 0) > PAUSE_INDEX);
    if (!advanced) continue;
    if (advanced.relisted) {
      imprecise++;
      continue;
    }
    lags.push({ name, lagMs: advanced.t - (Date.parse(start.pause) + PAUSE_SECONDS * 1000), pauseSeenAt: start.t, observedPauseMs: advanced.t - start.t });
  }
  return { lags, imprecise };
}

const healthyAt = (gen: number, steps: number) => (s: RolloutState) => s.phase === 'Healthy' && s.og === String(gen) && s.gen === gen && (gen === 1 || s.idx === steps);

export async function canary500(ctx: BenchContext): Promise<BenchResult> {
  const bench = `canary-${ROLLOUTS}`;
  const t0 = now();
  const notes: string[] = [];
  await installCrds(ctx.kubeConfig);
  const client = new KubeClient(ctx.kubeConfig, { fieldManager: 'bench', maxSockets: CONCURRENCY * 2 });
  ctx.defer(() => client.close());
  const ns = await ctx.newNamespace('canary');
  const ref = (name: string) => ({ ...ROLLOUT, namespace: ns, name });
  const names = Array.from({ length: ROLLOUTS }, (_, i) => roName(i));

  const observer = await startRolloutObserver({ kubeconfigPath: ctx.bed.kubeconfigPath, namespace: ns });
  ctx.defer(() => observer.stop());
  const sluice = await startMeasuredChild({ mode: 'sluice', kubeconfigPath: ctx.bed.kubeconfigPath, namespace: ns });
  ctx.defer(() => sluice.stop());
  const load0 = await loadAverage();

  // First deploy (skips the steps): Services before Rollouts, so no Rollout sees its Services missing.
  ctx.log(`${bench}: creating ${ROLLOUTS * 2} Services and ${ROLLOUTS} Rollouts`);
  const deployCpu0 = await sluice.proc();
  const tCreate = now();
  await createAll(client, names.flatMap((n) => benchServices(ns, n)), CONCURRENCY, Date.now() + FIRST_DEPLOY_TIMEOUT_MS);
  await createAll(client, names.map((n) => benchRollout(ns, n, { replicas: 1, image: 'registry.invalid/bench/app:1', steps: STEPS })), CONCURRENCY, Date.now() + FIRST_DEPLOY_TIMEOUT_MS);
  const createMs = now() - tCreate;
  let firstHealthy = 0;
  await pollUntil(async () => (firstHealthy = (await observer.states()).filter(healthyAt(1, STEPS.length)).length) === ROLLOUTS, FIRST_DEPLOY_TIMEOUT_MS);
  const firstDeployMs = now() - tCreate;
  const deployCpu = (await sluice.proc()).cpuSeconds - deployCpu0.cpuSeconds;
  ctx.log(`${bench}: first deploy: ${firstHealthy}/${ROLLOUTS} Healthy in ${duration(firstDeployMs)}`);
  if (firstHealthy === 0) throw new Error(`${bench}: no Rollout became Healthy on first deploy in ${FIRST_DEPLOY_TIMEOUT_MS / 1000}s`);
  await sleep(2000); // let the last status writes and pod updates drain before measuring

  // The update: every Rollout gets a new image, with bounded concurrency.
  await sluice.requests(); // reset the counters
  const metrics0 = await reconcileMetrics(sluice.url);
  const text0 = await metricsText(sluice.url);
  const cpu0 = await sluice.proc();
  await observer.record(true);
  const tPatch = now();
  const wallPatch = Date.now();
  ctx.log(`${bench}: new image on all ${ROLLOUTS} Rollouts`);
  await pool(names, CONCURRENCY, async (n) => void (await client.patch(ref(n), imagePatch('registry.invalid/bench/app:2'))), Date.now() + UPDATE_TIMEOUT_MS);
  const patchMs = now() - tPatch;
  let healthy = 0;
  await pollUntil(async () => (healthy = (await observer.states()).filter(healthyAt(2, STEPS.length)).length) === ROLLOUTS, UPDATE_TIMEOUT_MS);
  const updateMs = now() - tPatch;
  const cpu1 = await sluice.proc();
  const usage = await sluice.usage();
  const requests = await sluice.requests();
  const metrics1 = await reconcileMetrics(sluice.url);
  const text1 = await metricsText(sluice.url);
  const events = await observer.drain();
  await observer.record(false);
  const restartsSluice = await observer.restarts();
  ctx.log(`${bench}: update: ${healthy}/${ROLLOUTS} Healthy in ${duration(updateMs)}`);
  // The Events still being written after the last Rollout turned Healthy (and anything else sent then).
  const tDrain = now();
  let quietSince = now();
  const afterHealthy: Record<string, number> = {};
  while (now() - tDrain < EVENT_DRAIN_TIMEOUT_MS && now() - quietSince < EVENT_QUIET_MS) {
    await sleep(500);
    const more = await sluice.requests();
    if (Object.keys(more).length) quietSince = now();
    for (const [k, v] of Object.entries(more)) afterHealthy[k] = (afterHealthy[k] ?? 0) + v;
  }
  const drainMs = quietSince - tDrain;
  await sluice.stop();

  const { lags, imprecise } = stepLags(events);
  const lagMs = lags.map((l) => l.lagMs);
  const firstPause = Math.min(...lags.map((l) => l.pauseSeenAt));
  const lastPause = Math.max(...lags.map((l) => l.pauseSeenAt));

  // Peer: the smallest controller that could do the step advance, on the same API server and
  // Rollouts: watch, a timer at startTime + 5 s (+1 ms: the pause is over strictly after), one status
  // patch. Pauses are replayed in the order Sluice's began, at least as densely.
  let peerLags: number[] = [];
  let peerNote = '';
  if (now() - t0 > PEER_START_BUDGET_MS || lags.length === 0) {
    peerNote = lags.length === 0 ? 'peer skipped: Sluice produced no pause to replay' : `peer skipped: ${duration(now() - t0)} already spent (budget ${duration(PEER_START_BUDGET_MS)})`;
  } else {
    ctx.log(`${bench}: peer: minimal watch → patch loop on the same ${lags.length} Rollouts`);
    const loop = await minimalLoop(ctx, client, ns);
    ctx.defer(() => loop.stop());
    await observer.drain();
    await observer.record(true);
    // Same order and spacing, compressed to at most PEER_REPLAY_SPAN_MS: never sparser than Sluice's.
    const scale = Math.min(1, PEER_REPLAY_SPAN_MS / Math.max(1, lastPause - firstPause));
    const schedule = [...lags].sort((a, b) => a.pauseSeenAt - b.pauseSeenAt).map((l) => ({ name: l.name, offset: (l.pauseSeenAt - firstPause) * scale }));
    const start = Date.now();
    const inflight = new Set<Promise<void>>();
    for (const { name, offset } of schedule) {
      const wait = start + offset - Date.now();
      if (wait > 0) await sleep(wait);
      if (inflight.size >= CONCURRENCY * 2) await Promise.race(inflight);
      const p: Promise<void> = client
        .patchStatus(ref(name), { status: { currentStepIndex: PAUSE_INDEX, pauseConditions: [{ reason: 'CanaryPauseStep', startTime: formatTime(new Date()) }] } })
        .then(() => undefined, (err: Error) => ctx.log(`${bench}: peer pause ${name}: ${err.message}`))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    // Done when the observer has seen every replayed pause end (or the loop's patches failed).
    const peerEvents: RolloutEvent[] = [];
    await pollUntil(async () => {
      peerEvents.push(...(await observer.drain()));
      const seen = stepLags(peerEvents);
      return seen.lags.length + seen.imprecise + loop.failed() >= schedule.length;
    }, PEER_TIMEOUT_MS, 500);
    await observer.record(false);
    await loop.stop();
    peerLags = stepLags(peerEvents).lags.map((l) => l.lagMs);
    peerNote = `peer: ${peerLags.length}/${schedule.length} advanced; pauses replayed over ${duration(Math.min(PEER_REPLAY_SPAN_MS, lastPause - firstPause))} (Sluice's: ${duration(lastPause - firstPause)}); its own patches: ${loop.patched()} (${loop.failed()} failed)`;
  }

  const p50 = percentile(lagMs, 50);
  const p99 = percentile(lagMs, 99);
  const max = Math.max(...lagMs);
  const pp50 = percentile(peerLags, 50);
  const pp99 = percentile(peerLags, 99);
  const pmax = peerLags.length ? Math.max(...peerLags) : Number.NaN;
  const peer = (v: number) => (peerLags.length ? `${duration(v)} (watch→patch loop)` : 'n/a');
  const cpuS = cpu1.cpuSeconds - cpu0.cpuSeconds;
  const requestTotal = Object.values(requests).reduce((a, b) => a + b, 0);
  const reconciles = metrics1.reconciles - metrics0.reconciles;
  const observedPause = lags.map((l) => l.observedPauseMs);
  const rows: Row[] = [
    { bench, metric: `step-advance lag p50 (${lags.length} canaries, ${PAUSE_SECONDS} s pause)`, sluice: duration(p50), peer: peer(pp50), ratio: peerLags.length ? ratio(p50, pp50) : '', goal: '', verdict: 'info' },
    { bench, metric: 'step-advance lag p99', sluice: duration(p99), peer: peer(pp99), ratio: peerLags.length ? ratio(p99, pp99) : '', goal: `≤ ${duration(GOAL_P99_MS)}`, verdict: lags.length === ROLLOUTS ? atMost(p99, GOAL_P99_MS) : 'MISS' },
    { bench, metric: 'step-advance lag max', sluice: duration(max), peer: peer(pmax), ratio: peerLags.length ? ratio(max, pmax) : '', goal: '', verdict: 'info' },
    { bench, metric: 'Rollouts Healthy after the update (replicas 1)', sluice: `${healthy}/${ROLLOUTS} in ${duration(updateMs)}`, peer: '', ratio: '', goal: `${ROLLOUTS}`, verdict: healthy === ROLLOUTS ? 'PASS' : 'MISS' },
    { bench, metric: 'Sluice CPU, update → all Healthy', sluice: `${cpuS.toFixed(1)} s in ${duration(updateMs)} wall`, peer: '', ratio: '', goal: '', verdict: 'info' },
  ];
  const top = Object.entries(requests).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const lateTotal = Object.values(afterHealthy).reduce((a, b) => a + b, 0);
  const lateTop = Object.entries(afterHealthy).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const h = (name: string, labels = '') => [histogram(text1, name, labels), histogram(text0, name, labels)] as const;
  const [dueAfter, dueBefore] = h('sluice_rollout_queue_wait_seconds', 'lane="due"');
  const [evAfter, evBefore] = h('sluice_rollout_queue_wait_seconds', 'lane="event"');
  const [spAfter, spBefore] = h('sluice_rollout_status_patch_duration_seconds');
  const dueCount = (dueAfter.get(Infinity) ?? 0) - (dueBefore.get(Infinity) ?? 0);
  const evCount = (evAfter.get(Infinity) ?? 0) - (evBefore.get(Infinity) ?? 0);
  const spCount = (spAfter.get(Infinity) ?? 0) - (spBefore.get(Infinity) ?? 0);
  notes.push(
    `${bench}: ${ROLLOUTS} Rollouts with replicas 1 (to keep the pod count sane on 2 cores: up to ${ROLLOUTS * 2} pods mid-canary, made ready by the test bed's node simulator), steps ${JSON.stringify(STEPS)}, one headless canary and stable Service each; Sluice = startService in a child process (log level warn to a null sink), measured through /proc; observer = a watch in a worker thread of the bench process. Load average at start ${load0}, at the end ${await loadAverage()}.`,
    `${bench}: first deploy: ${ROLLOUTS * 3} objects created in ${duration(createMs)} (${CONCURRENCY} at a time), ${firstHealthy}/${ROLLOUTS} Healthy after ${duration(firstDeployMs)}, Sluice CPU ${deployCpu.toFixed(1)} s.`,
    `${bench}: update: ${ROLLOUTS} image patches sent in ${duration(patchMs)}; pauses began over ${duration(lastPause - firstPause)} (first ${duration(firstPause - wallPatch)} after the first patch); all Healthy after ${duration(updateMs)}. Lag measured for ${lags.length}/${ROLLOUTS} (${imprecise} only seen through a re-list, left out; observer watch restarts: ${restartsSluice}). Reference = recorded startTime + ${PAUSE_SECONDS} s, which is when the engine and Argo deem the pause over; startTime has 1 s precision, so the pause from when it was observed to begin until the advance lasted p50 ${duration(percentile(observedPause, 50))}, min ${duration(Math.min(...observedPause))}, max ${duration(Math.max(...observedPause))}.`,
    `${bench}: Sluice during the update: ${cpuS.toFixed(1)} s CPU (/proc utime+stime), ${reconciles} reconciles (${(metrics1.seconds - metrics0.seconds).toFixed(1)} s of reconcile wall time summed over all workers: 10, plus up to 40 for wake-ups only), ${requestTotal} API requests (${(requestTotal / ROLLOUTS).toFixed(1)} per Rollout): ${top}; RSS at the end ${(usage.mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(usage.mem.heapUsed / 2 ** 20).toFixed(0)} MiB. After the last Rollout was Healthy it sent ${lateTotal} more requests over ${duration(drainMs)} (${lateTop || 'none'}; Events are written in the background, one at a time), so ${requestTotal + lateTotal} in all (${((requestTotal + lateTotal) / ROLLOUTS).toFixed(1)} per Rollout).`,
    `${bench}: Sluice's own histograms over the update (bucket bounds): queue wait of wake-ups (a pause's end, from the moment it came to the reconcile's start) p50 ${bucketQuantile(dueAfter, dueBefore, 0.5)}, p99 ${bucketQuantile(dueAfter, dueBefore, 0.99)} (${dueCount}); of event-driven keys p50 ${bucketQuantile(evAfter, evBefore, 0.5)}, p99 ${bucketQuantile(evAfter, evBefore, 0.99)} (${evCount}); status patch p50 ${bucketQuantile(spAfter, spBefore, 0.5)}, p99 ${bucketQuantile(spAfter, spBefore, 0.99)} (${spCount}).`,
    `${bench}: ${peerNote}. The peer does only the step advance (no ReplicaSet, Service or Event work), so it is a lower bound for any controller on this API server and machine. Argo Rollouts (no Argo controller runs here): it requeues a Rollout paused at a timed step for the moment the pause expires (checkEnqueueRolloutDuringWait → enqueueRolloutAfter(startTime + duration − now)) and completes the step once startTime + duration is before now, so its lag is its workqueue wait plus one reconcile (10 rollout workers by default).`,
  );
  if (lags.length < ROLLOUTS) notes.push(`${bench}: only ${lags.length} of ${ROLLOUTS} Rollouts were seen to pause and advance within ${duration(UPDATE_TIMEOUT_MS)}; the lag percentiles cover those only, and p99 is marked MISS.`);
  return { rows, notes };
}

/** The peer: watch Rollouts; at each CanaryPauseStep's startTime + 5 s + 1 ms, patch the step forward. */
async function minimalLoop(ctx: BenchContext, client: KubeClient, ns: string): Promise<{ stop(): Promise<void>; patched(): number; failed(): number }> {
  const watch = new Watch(ctx.kubeConfig);
  const scheduled = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let patched = 0;
  let failed = 0;
  let stopped = false;
  const list = await client.list({ ...ROLLOUT, namespace: ns });
  const abort = await watch.watch(
    `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts`,
    { resourceVersion: list.resourceVersion, timeoutSeconds: 300 },
    (type: string, ro: { metadata?: { name?: string }; status?: { currentStepIndex?: number; pauseConditions?: Array<{ reason: string; startTime: string }> } }) => {
      if (stopped || (type !== 'ADDED' && type !== 'MODIFIED')) return;
      const name = ro.metadata?.name ?? '';
      const start = ro.status?.pauseConditions?.find((c) => c.reason === 'CanaryPauseStep')?.startTime;
      const idx = ro.status?.currentStepIndex;
      if (!start || idx === undefined || scheduled.has(`${name}@${start}`)) return;
      scheduled.add(`${name}@${start}`);
      const timer = setTimeout(() => {
        timers.delete(timer);
        client.patchStatus({ ...ROLLOUT, namespace: ns, name }, { status: { currentStepIndex: idx + 1, pauseConditions: null } }).then(
          () => void patched++,
          () => void failed++,
        );
      }, Math.max(0, Date.parse(start) + PAUSE_SECONDS * 1000 + 1 - Date.now()));
      timers.add(timer);
    },
    () => undefined,
  );
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      abort.abort();
    },
    patched: () => patched,
    failed: () => failed,
  };
}
