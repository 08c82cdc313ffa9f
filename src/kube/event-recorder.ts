// Kubernetes Events about the objects Sluice manages (what `kubectl describe` shows). Repeats of the
// same reason and message on the same object within the window bump `count` on one Event instead
// of creating a new one each time, as client-go's recorder does.
//
// Events are written in the background, one at a time, in the order they were recorded, as client-go's
// broadcaster writes them from its own goroutine. A controller records a dozen per Rollout update;
// sent as they came (canary-500: ~100 a second, half of all requests) they competed with the writes
// that move Rollouts forward; one writer leaves most of them until the API server has time (in trial
// runs, a burst of pause ends got its status patches through faster than with four writers). A repeat
// recorded while the same event still waits to be sent is folded into it (one write, count raised),
// and the backlog is bounded: past `maxQueued` an event is dropped and logged, as client-go drops
// past 1,000.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClient } from './kube-client.ts';
import type { EventSink, RecordedEvent } from '../ports/event-sink.ts';
import type { KubeObject } from './kube-object.ts';

export type { EventType, RecordedEvent } from '../ports/event-sink.ts';
export type EventRecorder = EventSink;

const AGGREGATION_WINDOW_MS = 10 * 60_000;
/** Events written at once. */
export const EVENT_WRITERS = 1;
/** Events waiting to be written before new ones are dropped. */
export const MAX_QUEUED_EVENTS = 10_000;

interface Job {
  about: KubeObject;
  event: RecordedEvent;
  key: string;
  namespace: string;
  first: Date;
  last: Date;
  count: number;
  started: boolean;
  done: () => void;
  promise: Promise<void>;
}

export function createEventRecorder(opts: {
  client: KubeClient;
  component?: string;
  log?: Logger;
  now?: () => Date;
  /** Events written at once (default EVENT_WRITERS). */
  writers?: number;
  /** Backlog bound (default MAX_QUEUED_EVENTS). */
  maxQueued?: number;
}): EventRecorder {
  const component = opts.component ?? 'sluice';
  const now = opts.now ?? (() => new Date());
  const writers = Math.max(1, opts.writers ?? EVENT_WRITERS);
  const maxQueued = opts.maxQueued ?? MAX_QUEUED_EVENTS;
  const recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();
  const queue: Job[] = [];
  let head = 0;
  /** Not yet started, by aggregation key: a repeat joins it. */
  const waiting = new Map<string, Job>();
  /** Being written, by aggregation key: a repeat of it is written after it. */
  const writing = new Map<string, Promise<void>>();
  let active = 0;
  let dropped = 0;

  const write = async (job: Job): Promise<void> => {
    const meta = job.about.metadata ?? {};
    const seen = recent.get(job.key);
    if (seen && job.last.getTime() - seen.at < AGGREGATION_WINDOW_MS) {
      seen.count += job.count;
      seen.at = job.last.getTime();
      await opts.client.patch({ apiVersion: 'v1', kind: 'Event', namespace: seen.namespace, name: seen.name }, { count: seen.count, lastTimestamp: job.last.toISOString() });
      return;
    }
    const name = `${meta.name}.${randomBytes(8).toString('hex')}`;
    await opts.client.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: job.namespace },
      involvedObject: { apiVersion: job.about.apiVersion, kind: job.about.kind, name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
      type: job.event.type,
      reason: job.event.reason,
      message: job.event.message,
      source: { component },
      reportingComponent: component,
      count: job.count,
      firstTimestamp: job.first.toISOString(),
      lastTimestamp: job.last.toISOString(),
    } as KubeObject);
    recent.set(job.key, { name, namespace: job.namespace, count: job.count, at: job.last.getTime() });
    if (recent.size > 5000) recent.delete(recent.keys().next().value as string);
  };

  const run = async (job: Job): Promise<void> => {
    const before = writing.get(job.key);
    const mine = (async () => {
      if (before) await before;
      try {
        await write(job);
      } catch (err) {
        opts.log?.warn({ err: (err as Error).message, reason: job.event.reason, object: `${job.about.kind}/${job.namespace}/${job.about.metadata?.name}` }, 'could not record event');
      }
    })();
    writing.set(job.key, mine);
    await mine;
    if (writing.get(job.key) === mine) writing.delete(job.key);
    job.done();
  };

  const pump = () => {
    while (active < writers && head < queue.length) {
      const job = queue[head++] as Job;
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      job.started = true;
      if (waiting.get(job.key) === job) waiting.delete(job.key);
      active++;
      void run(job).finally(() => {
        active--;
        pump();
      });
    }
  };

  return {
    record(about, event) {
      const meta = about.metadata ?? {};
      const namespace = meta.namespace ?? 'default';
      const key = `${about.kind}/${namespace}/${meta.name}/${meta.uid}/${event.type}/${event.reason}/${event.message}`;
      const ts = now();
      const pending = waiting.get(key);
      if (pending && !pending.started) {
        pending.count++;
        pending.last = ts;
        return pending.promise;
      }
      if (queue.length - head >= maxQueued) {
        dropped++;
        // One line per thousand dropped: a flood of warnings would make matters worse.
        if (dropped % 1000 === 1) opts.log?.warn({ dropped, queued: queue.length - head, reason: event.reason, object: `${about.kind}/${namespace}/${meta.name}` }, 'event backlog full; dropping events');
        return Promise.resolve();
      }
      let done: () => void = () => {};
      const promise = new Promise<void>((r) => (done = r));
      const job: Job = { about, event, key, namespace, first: ts, last: ts, count: 1, started: false, done, promise };
      waiting.set(key, job);
      queue.push(job);
      pump();
      return promise;
    },
  };
}
