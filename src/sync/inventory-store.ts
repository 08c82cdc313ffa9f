// What each repository applied, kept in the cluster (a ConfigMap per repository in the state
// namespace) so prune deletes only objects Sluice applied from that repository, and a restarted
// Sluice knows its last applied commit.
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

export async function loadInventory(cluster: Cluster, namespace: string, repo: string): Promise<Inventory | undefined> {
  const cm = await cluster.get<{ data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: inventoryConfigMapName(repo) });
  const raw = cm?.data?.[DATA_KEY];
  if (!raw) return undefined;
  const parsed = JSON.parse(raw) as Inventory;
  return { ...parsed, objects: parsed.objects ?? [] };
}

export async function saveInventory(cluster: Cluster, namespace: string, inventory: Inventory): Promise<void> {
  // Sorted by key (code units, each key built once): a stable order whatever the apply order was.
  const objects = inventory.objects
    .map((o) => ({ key: objectKey(o), o }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ o }) => o);
  const body = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: inventoryConfigMapName(inventory.repo), namespace, labels: { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.dev/inventory': inventory.repo } },
    data: { [DATA_KEY]: JSON.stringify({ ...inventory, objects }) },
  };
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
