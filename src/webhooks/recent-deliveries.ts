// The delivery ids seen recently, so a redelivered webhook (same id: a host's retry or a manual
// "redeliver") acts once. Bounded in count and age: a Map keeps insertion order, so the oldest
// entries are at the front and expire or get evicted first. A redelivery does not refresh an id's
// age: the window starts at the first delivery.

export interface RecentDeliveriesOptions {
  /** Most ids kept; the oldest go first. Default 10,000. */
  max?: number;
  /** How long an id is remembered. Default 24 h. */
  ttlMs?: number;
  now?: () => number;
}

export class RecentDeliveries {
  private readonly seen = new Map<string, number>();
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: RecentDeliveriesOptions = {}) {
    this.max = opts.max ?? 10_000;
    this.ttlMs = opts.ttlMs ?? 24 * 60 * 60 * 1000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.seen.size;
  }

  /** True the first time `id` comes within the window (and remembers it), false for a repeat. */
  firstTime(id: string): boolean {
    const t = this.now();
    for (const [old, at] of this.seen) {
      if (t - at < this.ttlMs) break;
      this.seen.delete(old);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, t);
    if (this.seen.size > this.max) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return true;
  }
}
