// Kubernetes Events about the objects Sluice manages (what `kubectl describe` shows). Repeats of the
// same reason and message on the same object within the window bump `count` on one Event instead
// of creating a new one each time, as client-go's recorder does.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClient } from './kube-client.ts';
import type { EventSink } from '../ports/event-sink.ts';

export type { EventType, RecordedEvent } from '../ports/event-sink.ts';
export type EventRecorder = EventSink;

const AGGREGATION_WINDOW_MS = 10 * 60_000;

export function createEventRecorder(opts: { client: KubeClient; component?: string; log?: Logger; now?: () => Date }): EventRecorder {
  const component = opts.component ?? 'sluice';
  const now = opts.now ?? (() => new Date());
  const recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();

  return {
    async record(about, event) {
      const meta = about.metadata ?? {};
      const namespace = meta.namespace ?? 'default';
      const key = `${about.kind}/${namespace}/${meta.name}/${meta.uid}/${event.type}/${event.reason}/${event.message}`;
      const ts = now();
      try {
        const seen = recent.get(key);
        if (seen && ts.getTime() - seen.at < AGGREGATION_WINDOW_MS) {
          seen.count++;
          seen.at = ts.getTime();
          await opts.client.patch({ apiVersion: 'v1', kind: 'Event', namespace: seen.namespace, name: seen.name }, { count: seen.count, lastTimestamp: ts.toISOString() });
          return;
        }
        const name = `${meta.name}.${randomBytes(8).toString('hex')}`;
        await opts.client.create({
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: { apiVersion: about.apiVersion, kind: about.kind, name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component },
          reportingComponent: component,
          count: 1,
          firstTimestamp: ts.toISOString(),
          lastTimestamp: ts.toISOString(),
        });
        recent.set(key, { name, namespace, count: 1, at: ts.getTime() });
        if (recent.size > 5000) recent.delete(recent.keys().next().value as string);
      } catch (err) {
        opts.log?.warn({ err: (err as Error).message, reason: event.reason, object: `${about.kind}/${namespace}/${meta.name}` }, 'could not record event');
      }
    },
  };
}
