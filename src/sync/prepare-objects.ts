// Turns accepted manifests into the exact objects Sluice applies: labelled with the repository that
// owns them and annotated with a hash of the desired content, so an unchanged object is recognised
// without a write and a field removed from Git still counts as a change.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../ports/cluster.ts';
import { APPLIED_HASH_ANNOTATION, MANAGED_BY_LABEL, REPO_LABEL, objectKey, refOfObject } from './object-identity.ts';

export interface DesiredObject {
  key: string;
  object: KubeObject;
  source: { file: string; line: number };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

export function contentHash(obj: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(canonical(obj))).digest('hex').slice(0, 16);
}

export function prepareObject(manifest: KubeObject, repo: string, source: { file: string; line: number }): DesiredObject {
  const object = structuredClone(manifest) as KubeObject;
  const metadata = (object.metadata ??= {});
  metadata.labels = { ...metadata.labels, [MANAGED_BY_LABEL]: 'sluice', [REPO_LABEL]: repo };
  const hash = contentHash(object);
  metadata.annotations = { ...metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash };
  return { key: objectKey(refOfObject(object)), object, source };
}

/** Apply order: CRDs and Namespaces first (other objects may need them), then the rest. */
export function stageOf(obj: KubeObject): 0 | 1 {
  const kind = obj.kind;
  return kind === 'CustomResourceDefinition' || kind === 'Namespace' ? 0 : 1;
}
