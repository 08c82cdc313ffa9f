// The port through which sync and the controllers talk to Kubernetes. src/kube/kube-client.ts
// implements it; tests and other callers depend on this interface, not on the adapter.

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
    managedFields?: Array<{ manager?: string; operation?: string; [key: string]: unknown }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Omit for cluster-scoped kinds. */
  namespace?: string | undefined;
}

export interface ListQuery {
  apiVersion: string;
  kind: string;
  /** Omit to list across all namespaces (or for cluster-scoped kinds). */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
}

export interface ApiResource {
  /** Plural resource name, e.g. `rollouts`. */
  name: string;
  namespaced: boolean;
  kind: string;
}

export interface ApplyOptions {
  fieldManager?: string | undefined;
  /** Take ownership of fields other managers own (kubectl's --force-conflicts). Default true. */
  force?: boolean | undefined;
  dryRun?: boolean | undefined;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' | undefined;
  gracePeriodSeconds?: number | undefined;
  /** Only delete when the live object still has this uid (guards against deleting a re-created object). */
  uid?: string | undefined;
}

export type PatchType = 'merge' | 'json' | 'strategic';

export interface Cluster {
  /** Discovery; rejects with a 404 error when the cluster does not serve the kind. */
  resourceFor(apiVersion: string, kind: string): Promise<ApiResource>;
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(query: ListQuery): Promise<{ items: T[]; resourceVersion: string }>;
  create<T extends KubeObject = KubeObject>(obj: KubeObject, options?: { dryRun?: boolean }): Promise<T>;
  /** Server-side apply; `created` tells a creation (HTTP 201) from an update. */
  applyDetailed<T extends KubeObject = KubeObject>(obj: KubeObject, options?: ApplyOptions): Promise<{ object: T; created: boolean }>;
  apply<T extends KubeObject = KubeObject>(obj: KubeObject, options?: ApplyOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, options?: { type?: PatchType; subresource?: 'status' | 'scale' }): Promise<T>;
  patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, options?: { type?: PatchType }): Promise<T>;
  delete(ref: ObjectRef, options?: DeleteOptions): Promise<boolean>;
  /** Evicts a pod through the eviction subresource, so PodDisruptionBudgets apply. False if it is gone. */
  evictPod(namespace: string, name: string): Promise<boolean>;
}

/** The HTTP status of a failed API call, when the failure came from the API server. */
export function apiStatusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' ? status : undefined;
}
