// The shapes the Kubernetes adapter speaks in: any object with apiVersion/kind/metadata, and
// references to one object or a set of them.
import type { KubernetesObject } from '@kubernetes/client-node';

export type KubeObject = KubernetesObject & { [key: string]: unknown };

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
}

export function refOf(obj: KubernetesObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    name: obj.metadata?.name ?? '',
    namespace: obj.metadata?.namespace,
  };
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
