// ReplicaSets of a Rollout: names, labels, annotations, revisions and history cleanup
// (Argo rollout/sync.go createDesiredReplicaSet and reconcileRevisionHistoryLimit,
// utils/annotations/annotations.go).
import type { ReplicaSet, Rollout } from './types.ts';
import { POD_TEMPLATE_HASH_LABEL, podTemplateHashOf } from './pod-template-hash.ts';
import { rsAvailable, rsReplicas, specReplicas } from './replica-math.ts';

export const REVISION_ANNOTATION = 'rollout.argoproj.io/revision';
export const DESIRED_REPLICAS_ANNOTATION = 'rollout.argoproj.io/desired-replicas';
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** Rollout annotations never copied onto its ReplicaSets (annotations.go annotationsToSkip). */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'rollout.argoproj.io/revision-history',
  DESIRED_REPLICAS_ANNOTATION,
  'rollout.argoproj.io/workload-generation',
]);

/** The revision number in an object's `rollout.argoproj.io/revision` annotation (0 when absent). */
export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number {
  const v = obj.metadata.annotations?.[REVISION_ANNOTATION];
  const n = v === undefined ? 0 : Number.parseInt(v, 10);
  return Number.isNaN(n) ? 0 : n;
}

export function maxRevision(replicaSets: ReplicaSet[]): number {
  return replicaSets.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** `<rollout>-<hash>`. */
export function replicaSetName(rollout: Rollout, hash: string): string {
  return `${rollout.metadata.name}-${hash}`;
}

/** The Rollout's annotations that belong on its ReplicaSets (copyRolloutAnnotationsToReplicaSet). */
export function copiedAnnotations(rollout: Rollout): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rollout.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) out[k] = v;
  return out;
}

/**
 * The ReplicaSet for the Rollout's current template: hash label on the RS, its selector and its
 * pod template; revision and desired-replicas annotations; a controller owner reference to the
 * Rollout. It is created at 0 replicas and scaled afterwards, as Argo does.
 */
export function buildReplicaSet(rollout: Rollout, hash: string, revision: number): ReplicaSet {
  const template = JSON.parse(JSON.stringify(rollout.spec.template ?? {})) as NonNullable<Rollout['spec']['template']>;
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  template.metadata = { ...(template.metadata ?? {}), labels };
  const selector = JSON.parse(JSON.stringify(rollout.spec.selector ?? {})) as NonNullable<Rollout['spec']['selector']>;
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const rs: ReplicaSet = {
    metadata: {
      name: replicaSetName(rollout, hash),
      labels: { ...labels },
      annotations: {
        ...copiedAnnotations(rollout),
        [REVISION_ANNOTATION]: String(revision),
        [DESIRED_REPLICAS_ANNOTATION]: String(rollout.spec.replicas ?? 1),
      },
      ownerReferences: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          name: rollout.metadata.name,
          uid: rollout.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { replicas: 0, selector, template },
  };
  if (rollout.metadata.namespace) rs.metadata.namespace = rollout.metadata.namespace;
  if (rollout.spec.minReadySeconds) rs.spec.minReadySeconds = rollout.spec.minReadySeconds;
  return rs;
}

/**
 * The annotation changes that bring an existing new ReplicaSet in line (SetNewReplicaSetAnnotations):
 * copied Rollout annotations, and a revision raised to `newRevision` when it is lower
 * (a rollback to an older ReplicaSet makes it the newest revision).
 */
export function newReplicaSetAnnotationUpdates(rollout: Rollout, rs: ReplicaSet, newRevision: number): Record<string, string> {
  const current = rs.metadata.annotations ?? {};
  const updates: Record<string, string> = {};
  for (const [k, v] of Object.entries(copiedAnnotations(rollout))) if (current[k] !== v) updates[k] = v;
  if (revisionOf(rs) < newRevision) updates[REVISION_ANNOTATION] = String(newRevision);
  if (current[DESIRED_REPLICAS_ANNOTATION] === undefined) updates[DESIRED_REPLICAS_ANNOTATION] = String(rollout.spec.replicas ?? 1);
  return updates;
}

/**
 * annotations.IsSaturated: the ReplicaSet runs all of spec.replicas, knows it should
 * (desired-replicas annotation), and every pod is available.
 */
export function isSaturated(rollout: Rollout, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = Number.parseInt(rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] ?? '', 10);
  const replicas = specReplicas(rollout);
  return rsReplicas(rs) === replicas && desired === replicas && rsAvailable(rs) === replicas;
}

/** ReplicasAnnotationsNeedUpdate: desired-replicas differs from spec.replicas. */
export function replicasAnnotationNeedsUpdate(rs: ReplicaSet, rolloutReplicas: number): boolean {
  return rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== String(rolloutReplicas);
}

function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/**
 * reconcileRevisionHistoryLimit: of the old ReplicaSets (neither new nor stable), the oldest
 * beyond `revisionHistoryLimit` are deleted, unless they still have pods.
 */
export function replicaSetsToDelete(rollout: Rollout, otherRSs: ReplicaSet[]): ReplicaSet[] {
  const limit = rollout.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  const cleanable = otherRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(byCreation);
  const diff = cleanable.length - limit;
  const out: ReplicaSet[] = [];
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i];
    if (!rs) break;
    if ((rs.status?.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0) continue;
    out.push(rs);
  }
  return out;
}

/** GetReplicaSetByTemplateHash: the ReplicaSet labelled with `hash` (none for an empty hash). */
export function replicaSetByHash(replicaSets: readonly ReplicaSet[], hash: string | undefined): ReplicaSet | undefined {
  if (!hash) return undefined;
  return replicaSets.find((rs) => podTemplateHashOf(rs) === hash);
}

/** GetStableRS: the ReplicaSet whose hash is status.stableRS. */
export function findStableReplicaSet(stableHash: string | undefined, newRS: ReplicaSet | undefined, replicaSets: ReplicaSet[]): ReplicaSet | undefined {
  if (!stableHash) return undefined;
  if (newRS && podTemplateHashOf(newRS) === stableHash) return newRS;
  return replicaSets.find((rs) => podTemplateHashOf(rs) === stableHash);
}
