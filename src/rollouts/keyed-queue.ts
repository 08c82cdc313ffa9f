// A work queue keyed by object (`namespace/name`), as client-go's workqueue: one worker per key at
// a time, a key added while queued is not queued twice, a key added while being processed runs once
// more afterwards, failures retry with per-key exponential backoff, and `addAfter` keeps one timer
// per key (the earliest) so pause expiry needs no polling.
export interface KeyedQueueOptions {
  /** Keys processed at once across the queue. */
  workers: number;
  process: (key: string) => Promise<void>;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class KeyedQueue {
  private readonly opts: Required<Omit<KeyedQueueOptions, 'onError'>> & Pick<KeyedQueueOptions, 'onError'>;
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(opts: KeyedQueueOptions) {
    this.opts = { baseBackoffMs: 200, maxBackoffMs: 60_000, ...opts };
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.pump();
  }

  /** Adds the key after `ms`; an earlier pending timer for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  get length(): number {
    return this.pending.length + this.active.size;
  }

  /** Resolves when nothing is queued or running (delayed keys don't count). */
  whenIdle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops timers and intake; resolves when the keys in flight are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.pending.length = 0;
    this.queued.clear();
    await this.whenIdle();
  }

  private pump(): void {
    while (this.active.size < this.opts.workers && this.pending.length) {
      const key = this.pending.shift() as string;
      this.queued.delete(key);
      this.active.add(key);
      void this.run(key);
    }
    if (this.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(key: string): Promise<void> {
    try {
      await this.opts.process(key);
      this.failures.delete(key);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const wait = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (n - 1));
      this.opts.onError?.(key, err, wait);
      this.addAfter(key, wait);
    } finally {
      this.active.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
