// A work queue keyed by object (`namespace/name`), as client-go's workqueue: one worker per key at
// a time, a key added while queued is not queued twice, a key added while being processed runs once
// more afterwards, failures retry with per-key exponential backoff, and `addAfter` keeps one timer
// per key (the earliest) so pause expiry needs no polling. A key whose `addAfter` time has come is
// served before keys added by events: its deadline (a pause's end) has already passed, while
// event-driven work is level-triggered and loses nothing by waiting behind it. With `dueWorkers`,
// such keys also have workers of their own, so they never wait for event-driven work to finish.
// Event-driven keys are served in the order their current stretch of work began, not in the order
// of their latest event: a key keeps its ticket (the time it was first added) while it keeps being
// added within `ticketIdleMs`. Under a backlog, plain FIFO moves every key one step per round, so
// hundreds of Rollouts updated together reach each step (and their pauses' ends) together; with
// tickets, a Rollout mid-update goes before the ones updated after it.
import { MinHeap } from './min-heap.ts';

export interface KeyedQueueOptions {
  /** Keys processed at once across the queue. */
  workers: number;
  /**
   * Extra keys that may run at once beyond `workers`, only for keys whose `addAfter` time came
   * (default 0). A deadline then never waits for a worker to come free behind event-driven work.
   */
  dueWorkers?: number;
  /** How long a key keeps its ticket after it was last added or finished (default 60 s). */
  ticketIdleMs?: number;
  /**
   * How long a key may keep one ticket however busy it stays (default 5 min): a key that is added
   * again and again (a Rollout whose status never settles) then queues behind the others instead
   * of going first for ever.
   */
  ticketMaxAgeMs?: number;
  process: (key: string) => Promise<void>;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  /**
   * Called as a key starts: how long it waited since it was first asked for (an `addAfter` key:
   * since its wake-up time, so a late timer counts), and its lane.
   */
  onStart?: (key: string, waitedMs: number, lane: 'due' | 'event') => void;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class KeyedQueue {
  private readonly opts: Required<Omit<KeyedQueueOptions, 'onError' | 'onStart'>> & Pick<KeyedQueueOptions, 'onError' | 'onStart'>;
  /** Event-driven keys by ticket (entries of keys no longer queued, or queued anew, are skipped). */
  private readonly pending = new MinHeap<{ ticket: number; seq: number; key: string }>((a, b) => a.ticket < b.ticket || (a.ticket === b.ticket && a.seq < b.seq));
  private seq = 0;
  /** Each key's ticket (arrival number) and when it was last added or finished. */
  private readonly tickets = new Map<string, { ticket: number; seen: number; since: number }>();
  /** The pending entry that stands for each queued event-driven key. */
  private readonly pendingEntry = new Map<string, number>();
  /** Keys whose wake-up time came; served before `pending`. */
  private readonly due: string[] = [];
  private readonly queued = new Set<string>();
  private readonly queuedDue = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly dirtyDue = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  /** When each waiting key was first asked for since it last started (for onStart). */
  private readonly askedAt = new Map<string, number>();
  /** When each waiting key's earliest `addAfter` time came. */
  private readonly dueAt = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(opts: KeyedQueueOptions) {
    this.opts = { baseBackoffMs: 200, maxBackoffMs: 60_000, dueWorkers: 0, ticketIdleMs: 60_000, ticketMaxAgeMs: 300_000, ...opts };
  }

  add(key: string): void {
    this.enqueue(key, false);
  }

  /** Adds the key after `ms`, ahead of event-driven keys; an earlier pending timer for the key wins. */
  addAfter(key: string, ms: number): void {
    this.schedule(key, ms, true);
  }

  get length(): number {
    return this.queued.size + this.active.size;
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
    this.pending.clear();
    this.pendingEntry.clear();
    this.tickets.clear();
    this.due.length = 0;
    this.queued.clear();
    this.queuedDue.clear();
    this.askedAt.clear();
    this.dueAt.clear();
    await this.whenIdle();
  }

  private enqueue(key: string, isDue: boolean, at = Date.now()): void {
    if (this.stopped) return;
    const asked = this.askedAt.get(key);
    if (asked === undefined || at < asked) this.askedAt.set(key, at);
    if (isDue) {
      const due = this.dueAt.get(key);
      if (due === undefined || at < due) this.dueAt.set(key, at);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      if (isDue) this.dirtyDue.add(key);
      return;
    }
    if (this.queued.has(key)) {
      // Waiting among event-driven keys: its time came, so it moves ahead (the entry left in
      // `pending` is skipped, or serves a later add, when its turn comes).
      if (isDue && !this.queuedDue.has(key)) {
        this.queuedDue.add(key);
        this.due.push(key);
        this.pump();
      }
      return;
    }
    this.queued.add(key);
    if (isDue) {
      this.queuedDue.add(key);
      this.due.push(key);
    } else {
      this.pushPending(key, at);
    }
    this.pump();
  }

  private schedule(key: string, ms: number, isDue: boolean): void {
    if (this.stopped) return;
    if (ms <= 0) return this.enqueue(key, isDue);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.enqueue(key, isDue, isDue ? at : Date.now());
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  private pump(): void {
    for (;;) {
      let key: string | undefined;
      if (this.due.length > 0 && this.active.size < this.opts.workers + this.opts.dueWorkers) key = this.due.shift();
      else if (this.pending.length > 0 && this.active.size < this.opts.workers) {
        const entry = this.pending.pop()!;
        if (this.pendingEntry.get(entry.key) !== entry.seq) continue; // stale: taken or queued anew
        this.pendingEntry.delete(entry.key);
        key = entry.key;
      }
      if (key === undefined) break;
      if (!this.queued.has(key)) continue; // already taken from the other lane
      const lane = this.queuedDue.has(key) ? 'due' : 'event';
      this.queued.delete(key);
      this.queuedDue.delete(key);
      this.active.add(key);
      const since = (lane === 'due' ? this.dueAt.get(key) : undefined) ?? this.askedAt.get(key);
      this.askedAt.delete(key);
      this.dueAt.delete(key);
      if (this.opts.onStart) this.opts.onStart(key, since === undefined ? 0 : Math.max(0, Date.now() - since), lane);
      void this.run(key);
    }
    if (this.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private pushPending(key: string, at: number): void {
    const seq = this.seq++;
    const t = this.tickets.get(key);
    // A ticket is an arrival number: the order in which keys began their current stretch of work.
    const keep = t !== undefined && at - t.seen <= this.opts.ticketIdleMs && at - t.since <= this.opts.ticketMaxAgeMs;
    const ticket = keep ? t.ticket : seq;
    this.tickets.set(key, { ticket, seen: at, since: keep ? t.since : at });
    this.pendingEntry.set(key, seq);
    this.pending.push({ ticket, seq, key });
  }

  // Tickets of keys quiet for longer than ticketIdleMs are worthless; drop them now and then.
  private lastSweep = 0;
  private forgetIdleTickets(): void {
    const now = Date.now();
    if (now - this.lastSweep < this.opts.ticketIdleMs) return;
    this.lastSweep = now;
    for (const [key, t] of this.tickets) if (now - t.seen > this.opts.ticketIdleMs && !this.queued.has(key) && !this.active.has(key)) this.tickets.delete(key);
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
      // A retry is not a deadline, nor a continuation: it waits behind the keys already waiting.
      this.tickets.delete(key);
      this.schedule(key, wait, false);
    } finally {
      this.active.delete(key);
      const t = this.tickets.get(key);
      if (t) t.seen = Date.now();
      this.forgetIdleTickets();
      const wasDue = this.dirtyDue.delete(key);
      if (this.dirty.delete(key)) this.enqueue(key, wasDue);
      this.pump();
    }
  }
}
