// What each repository applied, kept in the cluster so prune deletes only objects Sluice applied
// from that repository, and a restarted Sluice knows its last applied commit. Two ConfigMaps per
// repository in the state namespace: `sluice-inventory-<repo>` lists the objects, and
// `sluice-state-<repo>` holds the last applied commit. Apart because a new commit usually changes
// objects, not which objects there are: rewriting a list of 1,000 entries (~140 KB) for every commit
// cost 20-40 ms of each sync and as many bytes in etcd, the small one costs ~5 ms.
import type { Cluster, ObjectRef } from '../ports/cluster.ts';
import { apiStatusOf } from '../ports/cluster.ts';
import { objectKey } from './object-identity.ts';

export interface InventoryEntry extends ObjectRef {
  uid?: string | undefined;
}

export interface Inventory {
  repo: string;
  url: string;
  lastAppliedCommit?: string | undefined;
  lastAppliedAt?: string | undefined;
  objects: InventoryEntry[];
}

const DATA_KEY = 'inventory.json';

export function inventoryConfigMapName(repo: string): string {
  return `sluice-inventory-${repo}`;
}

export function stateConfigMapName(repo: string): string {
  return `sluice-state-${repo}`;
}

type DataConfigMap = { data?: Record<string, string> };

export async function loadInventory(cluster: Cluster, namespace: string, repo: string): Promise<Inventory | undefined> {
  const configMap = (name: string) => cluster.get<DataConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
  const [list, state] = await Promise.all([configMap(inventoryConfigMapName(repo)), configMap(stateConfigMapName(repo))]);
  const raw = list?.data?.[DATA_KEY];
  if (!raw && !state?.data) return undefined;
  const parsed = (raw ? JSON.parse(raw) : {}) as Partial<Inventory>;
  return {
    repo,
    url: parsed.url ?? '',
    objects: parsed.objects ?? [],
    // Written before the state ConfigMap existed, the commit was part of the list.
    lastAppliedCommit: state?.data?.lastAppliedCommit ?? parsed.lastAppliedCommit,
    lastAppliedAt: state?.data?.lastAppliedAt ?? parsed.lastAppliedAt,
  };
}

/**
 * Writes what differs from `previous` (the inventory as loaded): the object list when the objects
 * or the URL changed, then the state when the commit did. The list goes first, so a commit is
 * never recorded as applied before the objects it applied are recorded for prune.
 */
export async function saveInventory(cluster: Cluster, namespace: string, next: Inventory, previous?: Inventory): Promise<void> {
  if (!previous || !sameObjects(previous, next)) {
    // Sorted by key (code units, each key built once): a stable order whatever the apply order was.
    const objects = next.objects
      .map((o) => ({ key: objectKey(o), o }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ o }) => o);
    const data = { [DATA_KEY]: JSON.stringify({ repo: next.repo, url: next.url, objects }) };
    await applyConfigMap(cluster, namespace, inventoryConfigMapName(next.repo), next.repo, data);
  }
  if (!previous || previous.lastAppliedCommit !== next.lastAppliedCommit || previous.lastAppliedAt !== next.lastAppliedAt) {
    const data: Record<string, string> = {};
    if (next.lastAppliedCommit) data.lastAppliedCommit = next.lastAppliedCommit;
    if (next.lastAppliedAt) data.lastAppliedAt = next.lastAppliedAt;
    await applyConfigMap(cluster, namespace, stateConfigMapName(next.repo), next.repo, data);
  }
}

/** Same URL and the same objects, in any order. */
function sameObjects(a: Inventory, b: Inventory): boolean {
  if (a.url !== b.url || a.objects.length !== b.objects.length) return false;
  const keys = new Set(a.objects.map(objectKey));
  return b.objects.every((o) => keys.has(objectKey(o)));
}

async function applyConfigMap(cluster: Cluster, namespace: string, name: string, repo: string, data: Record<string, string>): Promise<void> {
  const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/inventory': repo } }, data };
  try {
    await cluster.apply(body);
  } catch (err) {
    if (apiStatusOf(err) !== 404) throw err;
    // The state namespace does not exist yet: create it, then write again.
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await cluster.apply(body);
  }
}

/** Entries of `previous` that `current` no longer contains: what a prune would delete. Pure. */
export function removedEntries(previous: InventoryEntry[], currentKeys: Set<string>): InventoryEntry[] {
  return previous.filter((e) => !currentKeys.has(objectKey(e)));
}
