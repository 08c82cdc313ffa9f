// Status write-back for one repository: collects file changes, commits each batch to the status
// branch, and never drops one. A push rejected because someone else pushed is fetched, re-applied
// and pushed again, up to maxPushAttempts; when that or the network fails, the files stay pending
// (newer content for a path replaces older) and the batch is retried after a growing delay.
import type { Logger } from 'pino';
import type { StatusBranch } from './status-branch.ts';
import { createBatchTimer, realTimers, type Timers } from './batch-timer.ts';

/** A file's content, null to remove it, or a function giving either when the commit is built. */
export type FileContent = string | null | (() => string | null);

export interface WritebackMetrics {
  /** One per batch: a commit pushed, nothing to commit, or given up (files kept pending). */
  commit(repo: string, result: 'pushed' | 'unchanged' | 'failed'): void;
  /** One per push attempt: accepted, rejected (the branch moved), or failed. */
  pushAttempt(repo: string, result: 'accepted' | 'rejected' | 'error'): void;
  pending(repo: string, files: number): void;
}

export interface StatusWriterOptions {
  repo: string;
  branch: StatusBranch;
  batchWindowMs: number;
  maxPushAttempts: number;
  log: Logger;
  metrics?: WritebackMetrics | undefined;
  timers?: Timers | undefined;
  /** Content equality for "unchanged" (e.g. ignoring a timestamp); default byte equality. */
  same?: ((old: string, next: string) => boolean) | undefined;
  message?: ((changed: string[]) => string) | undefined;
  /** Delay before retrying a failed batch; doubles per failure up to maxRetryDelayMs. */
  retryDelayMs?: number | undefined;
  maxRetryDelayMs?: number | undefined;
}

export type FlushResult =
  | { outcome: 'idle' }
  | { outcome: 'unchanged'; attempts: number }
  | { outcome: 'pushed'; commit: string; changed: string[]; attempts: number }
  | { outcome: 'failed'; attempts: number; error: string };

export interface StatusWriter {
  /** Queues `path` to hold `content` in the next commit. */
  set(path: string, content: FileContent): void;
  /** Commits what is pending now, after any commit in progress. */
  flush(): Promise<FlushResult>;
  /** Paths waiting for a commit. */
  readonly pending: string[];
  /** Stops the timers and makes a last attempt at committing what is pending. */
  stop(): Promise<void>;
}

// A batch waits for a quiet `batchWindowMs`, but at most this many windows after its first change.
const MAX_WAIT_WINDOWS = 4;

export function createStatusWriter(opts: StatusWriterOptions): StatusWriter {
  const timers = opts.timers ?? realTimers;
  const { repo, log } = opts;
  const pending = new Map<string, FileContent>();
  const retryDelay = opts.retryDelayMs ?? Math.max(1000, opts.batchWindowMs);
  const maxRetryDelay = opts.maxRetryDelayMs ?? 60_000;
  let failures = 0;
  let backoffUntil = 0;
  let stopped = false;
  let chain: Promise<unknown> = Promise.resolve();

  const timer = createBatchTimer({ windowMs: opts.batchWindowMs, maxWaitMs: opts.batchWindowMs * MAX_WAIT_WINDOWS, timers, onFire: () => void flush() });
  const gauge = () => opts.metrics?.pending(repo, pending.size);

  const resolve = (content: FileContent): string | null => (typeof content === 'function' ? content() : content);

  // One batch: up to maxPushAttempts commits, each rebuilt on the tip it finds.
  const commitBatch = async (batch: Map<string, FileContent>): Promise<FlushResult> => {
    let attempts = 0;
    let lastRejection = '';
    while (attempts < opts.maxPushAttempts) {
      attempts++;
      let outcome;
      try {
        // Contents are read per attempt, so a retry commits the newest state.
        const files = new Map<string, string | null>();
        for (const [path, content] of batch) files.set(path, resolve(content));
        outcome = await opts.branch.commitFiles(files, { same: opts.same, message: opts.message });
      } catch (err) {
        opts.metrics?.pushAttempt(repo, 'error');
        return { outcome: 'failed', attempts, error: (err as Error).message };
      }
      if (outcome.kind === 'unchanged') return { outcome: 'unchanged', attempts };
      if (outcome.kind === 'pushed') {
        opts.metrics?.pushAttempt(repo, 'accepted');
        if (outcome.created) log.info({ repo }, 'status branch created');
        return { outcome: 'pushed', commit: outcome.commit, changed: outcome.changed, attempts };
      }
      opts.metrics?.pushAttempt(repo, 'rejected');
      lastRejection = outcome.reason;
      log.info({ repo, attempt: attempts, reason: outcome.reason }, 'status push rejected (the branch moved); fetching and re-applying');
    }
    return { outcome: 'failed', attempts, error: `push rejected ${attempts} time(s): ${lastRejection}` };
  };

  const flushOnce = async (): Promise<FlushResult> => {
    if (pending.size === 0) return { outcome: 'idle' };
    const batch = new Map(pending);
    pending.clear();
    const result = await commitBatch(batch);
    if (result.outcome === 'failed') {
      // Back in the queue, unless a newer change for the same path arrived meanwhile.
      for (const [path, content] of batch) if (!pending.has(path)) pending.set(path, content);
      failures++;
      const delay = Math.min(maxRetryDelay, retryDelay * 2 ** Math.min(failures - 1, 16));
      backoffUntil = timers.now() + delay;
      opts.metrics?.commit(repo, 'failed');
      log.error({ repo, attempts: result.attempts, err: result.error, pending: pending.size, retryInMs: stopped ? undefined : delay }, 'status commit failed; the files stay pending');
      if (!stopped) timer.fireIn(delay);
    } else {
      failures = 0;
      backoffUntil = 0;
      opts.metrics?.commit(repo, result.outcome === 'pushed' ? 'pushed' : 'unchanged');
      if (result.outcome === 'pushed') log.info({ repo, commit: result.commit, files: result.changed, attempts: result.attempts }, 'status committed');
      else log.debug({ repo, files: batch.size }, 'status unchanged; nothing to commit');
    }
    gauge();
    return result;
  };

  const flush = (): Promise<FlushResult> => {
    const next = chain.then(flushOnce);
    chain = next.catch(() => undefined);
    return next;
  };

  return {
    set(path, content) {
      if (stopped) return;
      pending.set(path, content);
      gauge();
      // While backing off after a failure, new changes wait for the retry already scheduled.
      if (timers.now() >= backoffUntil) timer.touch();
    },
    flush,
    get pending() {
      return [...pending.keys()];
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      timer.cancel();
      await flush();
    },
  };
}
