// The object shapes the Kubernetes adapter speaks in are the cluster port's; re-exported here
// with the helpers that format them.
import type { KubeObject, ObjectRef } from '../ports/cluster.ts';

export type { KubeObject, ObjectRef, ListQuery } from '../ports/cluster.ts';

export function refOf(obj: KubeObject): ObjectRef {
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
