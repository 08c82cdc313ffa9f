// Kubernetes Events about the objects Sluice manages (src/kube/event-recorder.ts writes them).
import type { KubeObject } from './cluster.ts';

export type EventType = 'Normal' | 'Warning';

export interface RecordedEvent {
  type: EventType;
  reason: string;
  message: string;
}

export interface EventSink {
  /** Never throws: an event that cannot be written is logged, not fatal. */
  record(about: KubeObject, event: RecordedEvent): Promise<void>;
}
