// The Rollout controller must not reconcile from caches that have not had their first list: a
// Rollout whose ReplicaSets are not yet in the cache looks like a first deploy, and the engine
// would promote its canary at once (seen after a restart under load).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createRolloutController } from '../../src/rollouts/rollout-controller.ts';
import type { Cluster, KubeObject } from '../../src/ports/cluster.ts';
import type { CacheEvent, ObjectCache } from '../../src/ports/object-cache.ts';

function cache(name: string, objects: KubeObject[], synced: boolean): ObjectCache & { synced: boolean; emit(ev: CacheEvent, o: KubeObject): void } {
  const handlers = new Map<CacheEvent, Array<(o: KubeObject) => void>>();
  return {
    name,
    synced,
    on(ev, h) {
      handlers.set(ev, [...(handlers.get(ev) ?? []), h]);
    },
    emit(ev, o) {
      for (const h of handlers.get(ev) ?? []) h(o);
    },
    get: (n, ns) => objects.find((o) => o.metadata?.name === n && (ns === undefined || o.metadata?.namespace === ns)),
    list: (ns) => objects.filter((o) => ns === undefined || o.metadata?.namespace === ns),
  };
}

test('no reconcile (and no write) until every cache has synced', async () => {
  const rollout: KubeObject = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'ns', uid: 'ro-uid', generation: 1, resourceVersion: '1' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } }, strategy: { canary: { steps: [{ setWeight: 50 }] } } },
  };
  const writes: string[] = [];
  const cluster = new Proxy({} as Cluster, {
    get: (_t, prop: string) => async (...args: unknown[]) => {
      writes.push(prop);
      return { ...(args[0] as object), metadata: { resourceVersion: '2' } };
    },
  });
  const caches = {
    rollouts: cache('Rollout', [rollout], true),
    replicaSets: cache('ReplicaSet', [], false),
    services: cache('Service', [], true),
    pods: cache('Pod', [], true),
  };
  const controller = createRolloutController({ cluster, caches, events: { record: async () => {} }, log: pino({ level: 'silent' }) });
  controller.start();
  caches.rollouts.emit('add', rollout);
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(writes.length, 0, `nothing written while the ReplicaSet cache is still listing (writes: ${writes.join(', ')})`);
  caches.replicaSets.synced = true;
  await new Promise((r) => setTimeout(r, 350));
  assert.ok(writes.includes('create'), `reconciled once synced (writes: ${writes.join(', ')})`);
  await controller.stop();
});
