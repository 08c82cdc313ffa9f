// How sync names objects: group (not version), kind, namespace, name. A manifest that moves from
// apps/v1beta1 to apps/v1 is the same object, so it is neither pruned nor duplicated.
import type { KubeObject, ObjectRef } from '../ports/cluster.ts';

export const REPO_LABEL = 'sluice.dev/repo';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const APPLIED_HASH_ANNOTATION = 'sluice.dev/applied-hash';

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

export function objectKey(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function refOfObject(obj: KubeObject): ObjectRef {
  return { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace };
}

/** `Deployment apps/web` style, as people read it in logs and diffs. */
export function describeObject(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
