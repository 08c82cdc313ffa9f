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

// The hash's input: JSON of the value with each object's keys in one fixed order, so the hash does
// not depend on the order keys were written in. The order is the one the first implementation got
// by sorting the keys and rebuilding each object (JavaScript puts integer-like keys such as "8080"
// first, in numeric order, then the rest as sorted): a different order would change the hash of
// objects already applied and re-apply them once. Written out directly, which is twice as fast.
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;
const isArrayIndex = (k: string) => ARRAY_INDEX.test(k) && Number(k) <= 4294967294;

function hashOrder(keys: string[]): string[] {
  const indices = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
  return indices.length ? [...indices, ...keys.filter((k) => !isArrayIndex(k)).sort()] : keys.sort();
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of hashOrder(Object.keys(record))) if (record[k] !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function contentHash(obj: KubeObject): string {
  return createHash('sha256').update(canonicalJson(obj)).digest('hex').slice(0, 16);
}

// Rendered manifests are plain JSON data (render-manifests.ts copies them out of the YAML tree).
function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // A `__proto__` key is data here (a ConfigMap may have one); assignment would set the prototype.
      if (k === '__proto__') Object.defineProperty(out, k, { value: copyPlain(v), enumerable: true, writable: true, configurable: true });
      else out[k] = copyPlain(v);
    }
    return out as T;
  }
  return value;
}

export function prepareObject(manifest: KubeObject, repo: string, source: { file: string; line: number }): DesiredObject {
  // A copy: the rendered manifest is kept (and reused by the next sync) unchanged.
  const object = copyPlain(manifest);
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

// The order Helm installs kinds in, which Argo CD (gitops-engine) applies a wave in: what others
// use (service accounts, secrets, config maps, storage, RBAC, services) before the workloads that
// use them, so a new Deployment does not start Pods whose ConfigMap is not there yet. Kinds not
// listed (custom resources such as Rollouts) come last.
const KIND_ORDER: readonly string[] = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'Ingress',
  'APIService',
];
const KIND_RANK = new Map(KIND_ORDER.map((kind, i) => [kind, i]));

/** Rank of a kind in the apply order (lower first); unlisted kinds share the last rank. */
export function kindRank(kind: string | undefined): number {
  return KIND_RANK.get(kind ?? '') ?? KIND_ORDER.length;
}
