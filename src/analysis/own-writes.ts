// Our own status writes reach the watch cache a little later. Until then the cache holds an older
// AnalysisRun, and reconciling from it would take the measurement we just recorded a second time.
// This remembers the object each write returned and serves it instead of anything older.
import type { KubeObject } from '../ports/cluster.ts';

const NUMERIC = /^\d+$/;

export interface OwnWrites {
  /** The cached object, or what we wrote when the cache has not caught up with it yet. */
  current(key: string, cached: KubeObject): KubeObject;
  /** `read` is the object the reconcile started from; `written` what the API server returned. */
  wrote(key: string, read: KubeObject, written: KubeObject): void;
  forget(key: string): void;
  /** True when `obj` is exactly what our last write of `key` returned (its watch echo). */
  isEcho(key: string, obj: KubeObject): boolean;
}

export function createOwnWrites(): OwnWrites {
  const written = new Map<string, { readVersion: string; object: KubeObject }>();
  const isStale = (cachedVersion: string, w: { readVersion: string; object: KubeObject }): boolean => {
    const ours = w.object.metadata?.resourceVersion ?? '';
    // etcd-backed API servers hand out increasing integers: anything below ours is older, which also
    // covers a write by someone else (e.g. `terminate: true`) that landed before ours. Resource
    // versions are opaque by contract, so otherwise only the version we read from counts as stale.
    if (NUMERIC.test(cachedVersion) && NUMERIC.test(ours)) return BigInt(cachedVersion) < BigInt(ours);
    return cachedVersion === w.readVersion;
  };
  return {
    current(key, cached) {
      const w = written.get(key);
      if (!w) return cached;
      if (isStale(cached.metadata?.resourceVersion ?? '', w)) return w.object;
      written.delete(key);
      return cached;
    },
    wrote(key, read, object) {
      written.set(key, { readVersion: read.metadata?.resourceVersion ?? '', object });
    },
    forget(key) {
      written.delete(key);
    },
    isEcho(key, obj) {
      const version = obj.metadata?.resourceVersion;
      return version !== undefined && version !== '' && written.get(key)?.object.metadata?.resourceVersion === version;
    },
  };
}
