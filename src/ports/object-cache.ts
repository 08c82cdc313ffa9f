// A watched, cached view of one kind, as controllers consume it (src/kube/informer.ts provides
// it). Controllers read from the cache and react to its events; they never list the API server.
import type { KubeObject } from './cluster.ts';

export type CacheEvent = 'add' | 'update' | 'delete' | 'resync';

export interface ObjectCache<T extends KubeObject = KubeObject> {
  readonly name: string;
  readonly synced: boolean;
  on(event: CacheEvent, handler: (obj: T) => void): void;
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): T[];
}
