// Timing helpers for the benchmarks: monotonic wall clock, medians, and bounded repetition.
import { performance } from 'node:perf_hooks';

export function now(): number {
  return performance.now();
}

/** Runs `fn` once and returns its result with the elapsed wall time in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

export function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function seconds(ms: number, digits = 2): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}

/** `1.23 s` or `45 ms`, whichever reads better. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 1000 ? seconds(ms) : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

export function list(values: number[]): string {
  return values.map((v) => duration(v)).join(', ');
}

export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
