// Keeps one comment per (pull request, marker), edited in place: the comment is found by the hidden
// marker on its first line (so a restart finds it again), created when missing, and edited only
// when the body changed. One write per comment is in flight at a time; bodies that arrive meanwhile
// collapse into the latest, which is written next (older ones resolve as 'superseded').
import { HostApiError, type GitHostClient } from './host-client.ts';

export type UpsertOutcome = 'created' | 'updated' | 'unchanged' | 'missing' | 'superseded';

export interface UpsertOptions {
  /** false: only edit an existing comment (e.g. after a restart, for a Rollout that is long done). */
  createIfMissing?: boolean;
}

export interface CommentUpserter {
  upsert(pullRequest: number, marker: string, body: string, options?: UpsertOptions): Promise<UpsertOutcome>;
}

interface Job {
  body: string;
  createIfMissing: boolean;
  resolve(outcome: UpsertOutcome): void;
  reject(err: unknown): void;
}

interface Slot {
  /** The comment as last read or written. */
  known?: { id: string; body: string };
  running: boolean;
  next?: Job;
}

/** True when the comment carries the marker on its first line (a quote of it starts with `>` and does not count). */
export const carriesMarker = (body: string, marker: string): boolean => body.trimStart().startsWith(marker);

export function createCommentUpserter(client: GitHostClient): CommentUpserter {
  const slots = new Map<string, Slot>();

  async function write(pullRequest: number, marker: string, slot: Slot, job: Job): Promise<UpsertOutcome> {
    if (!slot.known) {
      const found = (await client.listComments(pullRequest)).find((c) => carriesMarker(c.body, marker));
      if (found) slot.known = { id: found.id, body: found.body };
    }
    if (slot.known) {
      if (slot.known.body === job.body) return 'unchanged';
      try {
        await client.updateComment(pullRequest, slot.known.id, job.body);
        slot.known = { id: slot.known.id, body: job.body };
        return 'updated';
      } catch (err) {
        // Someone deleted it: write a new one below.
        if (!(err instanceof HostApiError && err.status === 404)) throw err;
        delete slot.known;
      }
    }
    if (!job.createIfMissing) return 'missing';
    const created = await client.createComment(pullRequest, job.body);
    slot.known = { id: created.id, body: job.body };
    return 'created';
  }

  async function drain(pullRequest: number, marker: string, slot: Slot): Promise<void> {
    slot.running = true;
    try {
      for (let job = slot.next; job; job = slot.next) {
        delete slot.next;
        try {
          job.resolve(await write(pullRequest, marker, slot, job));
        } catch (err) {
          job.reject(err);
        }
      }
    } finally {
      slot.running = false;
    }
  }

  return {
    upsert(pullRequest, marker, body, options = {}) {
      const key = `${pullRequest}\n${marker}`;
      let slot = slots.get(key);
      if (!slot) slots.set(key, (slot = { running: false }));
      const s = slot;
      return new Promise<UpsertOutcome>((resolve, reject) => {
        s.next?.resolve('superseded');
        s.next = { body, createIfMissing: options.createIfMissing ?? true, resolve, reject };
        if (!s.running) void drain(pullRequest, marker, s);
      });
    },
  };
}
