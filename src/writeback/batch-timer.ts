// When to commit a batch of status changes: a debounce with a ceiling. Each change pushes the
// commit back to `windowMs` after it, so a burst (20 Rollouts stepping at once) becomes one
// commit; but never later than `maxWaitMs` after the first change of the batch, so a steady
// stream of changes still reaches Git.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface BatchTimer {
  /** A change arrived: fire `windowMs` from now, or at the batch's ceiling if that is sooner. */
  touch(): void;
  /** Fire `ms` from now unless already due sooner (retries after a failed commit). */
  fireIn(ms: number): void;
  cancel(): void;
  readonly armed: boolean;
}

export function createBatchTimer(opts: { windowMs: number; maxWaitMs: number; onFire: () => void; timers?: Timers }): BatchTimer {
  const timers = opts.timers ?? realTimers;
  let handle: unknown;
  let dueAt = 0;
  let firstAt: number | undefined;

  const arm = (at: number) => {
    if (handle !== undefined) timers.clearTimeout(handle);
    dueAt = at;
    handle = timers.setTimeout(() => {
      handle = undefined;
      firstAt = undefined;
      opts.onFire();
    }, Math.max(0, at - timers.now()));
  };

  return {
    touch() {
      const now = timers.now();
      firstAt ??= now;
      arm(Math.min(now + opts.windowMs, firstAt + opts.maxWaitMs));
    },
    fireIn(ms) {
      const at = timers.now() + ms;
      if (handle === undefined || at < dueAt) arm(at);
    },
    cancel() {
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
      firstAt = undefined;
    },
    get armed() {
      return handle !== undefined;
    },
  };
}
