// Points Services at ReplicaSets by the pod-template-hash selector (Argo rollout/service.go
// switchServiceSelector; reconcileStableAndCanaryService and ensureSVCTargets for the canary).
import type { ReplicaSet, Service } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { recordEvent } from './reconcile-context.ts';
import { POD_TEMPLATE_HASH_LABEL, podTemplateHashOf } from './pod-template-hash.ts';
import { rsAvailable, rsReplicas } from './replica-math.ts';

export const MANAGED_BY_ROLLOUTS_ANNOTATION = 'argo-rollouts.argoproj.io/managed-by-rollouts';

/** replicasetutil.IsReplicaSetAvailable: scaled up and every pod available. */
function isReplicaSetAvailable(rs: ReplicaSet): boolean {
  return rsReplicas(rs) !== 0 && rsAvailable(rs) !== 0 && rsReplicas(rs) <= rsAvailable(rs);
}

/** GetRolloutSelectorLabel: the pod-template hash a Service selects ('' when it selects none). */
export function serviceSelectorHash(svc: Service | undefined): string {
  return svc?.spec.selector?.[POD_TEMPLATE_HASH_LABEL] ?? '';
}

/**
 * switchServiceSelector: point the Service at `hash` (and mark it managed by this Rollout). A no-op
 * when it already selects `hash` and is managed; the change is written into `services` so later
 * reads in this reconcile see it, as Argo's lister copy does.
 */
export function switchServiceSelector(ctx: ReconcileContext, services: Record<string, Service | undefined>, name: string, hash: string): void {
  const svc = services[name];
  if (!svc || !hash) return;
  const current = serviceSelectorHash(svc);
  const managed = svc.metadata.annotations?.[MANAGED_BY_ROLLOUTS_ANNOTATION] !== undefined;
  if (current === hash && managed) return;
  ctx.actions.push({ kind: 'setServiceSelector', service: name, podTemplateHash: hash, rollout: ctx.rollout.metadata.name });
  recordEvent(ctx, 'Normal', 'SwitchService', `Switched selector for service '${name}' from '${current}' to '${hash}'`);
  services[name] = {
    metadata: { ...svc.metadata, annotations: { ...(svc.metadata.annotations ?? {}), [MANAGED_BY_ROLLOUTS_ANNOTATION]: ctx.rollout.metadata.name } },
    spec: { selector: { ...(svc.spec.selector ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } },
  };
}

function ensureServiceTarget(ctx: ReconcileContext, name: string | undefined, rs: ReplicaSet | undefined, services: Record<string, Service | undefined>): void {
  if (!name || !rs) return;
  const svc = services[name];
  if (!svc) return; // validation already reported a missing Service
  const desired = podTemplateHashOf(rs);
  if (serviceSelectorHash(svc) === desired) return;
  // A Service not yet managed by us is only taken over once the ReplicaSet is fully available,
  // so adoption never points traffic at nothing (argo-rollouts#1777).
  if (svc.metadata.annotations?.[MANAGED_BY_ROLLOUTS_ANNOTATION] === undefined && !isReplicaSetAvailable(rs)) return;
  switchServiceSelector(ctx, services, name, desired);
}

export function reconcileStableAndCanaryService(ctx: ReconcileContext, services: Record<string, Service | undefined>): void {
  const canary = ctx.rollout.spec.strategy?.canary;
  if (!canary) return;
  ensureServiceTarget(ctx, canary.stableService, ctx.stableRS, services);
  ensureServiceTarget(ctx, canary.canaryService, ctx.newRS, services);
}
