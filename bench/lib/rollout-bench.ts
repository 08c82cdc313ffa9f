// Shared pieces of the Rollout-controller benchmarks: manifests, a bounded-concurrency pool,
// percentiles, and what /proc says about a process (RSS, CPU), so a child process can be measured
// from outside without its cooperation.
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { KubeClient } from '../../src/kube/kube-client.ts';

export const ROLLOUT = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' } as const;

/** A canary Rollout named `name` whose pods carry `app: name`, with its own canary/stable Services. */
export function benchRollout(ns: string, name: string, opts: { replicas: number; image: string; steps: unknown[] }): KubeObject {
  return {
    ...ROLLOUT,
    metadata: { name, namespace: ns },
    spec: {
      replicas: opts.replicas,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: opts.image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
      },
      strategy: { canary: { canaryService: `${name}-canary`, stableService: `${name}-stable`, steps: opts.steps } },
    },
  };
}

// One Service pair per Rollout: a shared pair would have every Rollout rewriting the same selector.
// Headless, because the local control plane's service range is a /24.
export function benchServices(ns: string, name: string): KubeObject[] {
  return ['canary', 'stable'].map((role) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${name}-${role}`, namespace: ns },
    spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
  }));
}

/** The merge patch `sluice set image` would send: the whole containers list (merge patches replace lists). */
export function imagePatch(image: string): unknown {
  return { spec: { template: { spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } } } };
}

export const roName = (i: number) => `ro-${String(i).padStart(4, '0')}`;

/**
 * Runs `fn` over `items` with at most `concurrency` in flight; the first failure stops new work and
 * is rethrown once the in-flight calls settle. Stops starting work after `deadline` (epoch ms).
 */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>, deadline = Infinity): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      if (Date.now() > deadline) {
        failure ??= new Error(`pool: deadline passed with ${items.length - next} of ${items.length} items not started`);
        return;
      }
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** Creates each object, tolerating 409 (left by an interrupted earlier attempt). */
export async function createAll(client: KubeClient, objects: KubeObject[], concurrency: number, deadline: number): Promise<void> {
  await pool(objects, concurrency, async (obj) => {
    try {
      await client.create(obj);
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
    }
  }, deadline);
}

/** Sluice's reconcile counter and summed reconcile wall time, from its /metrics (loopback). */
export async function reconcileMetrics(url: string): Promise<{ reconciles: number; seconds: number }> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text()).catch(() => '');
  const sum = (prefix: string) => text.split('\n').filter((l) => l.startsWith(prefix)).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { reconciles: sum('sluice_rollout_reconcile_total'), seconds: sum('sluice_rollout_reconcile_duration_seconds_sum') };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** VmRSS (bytes) and utime+stime (seconds, all threads) of a live process, from /proc. */
export async function procStats(pid: number): Promise<{ rssBytes: number; cpuSeconds: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3; utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: rssKb * 1024, cpuSeconds: ticks / ticksPerSecond() };
}

/** The machine's 1-minute load average, for the notes: other work on 2 cores skews every number. */
export async function loadAverage(): Promise<string> {
  try {
    return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; resolves to whether it did. */
export async function pollUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return await check();
}
