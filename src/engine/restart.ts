// spec.restartAt: evict every pod created before it, stable ReplicaSet first, at most
// maxUnavailable at a time and only while the ReplicaSet is otherwise fully available; then record
// status.restartedAt (after Argo rollout/restart.go RolloutPodRestarter).
import type { Pod, ReplicaSet } from './types.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { requeueAfter } from './reconcile-context.ts';
import { maxUnavailable, rsAvailable, rsReplicas } from './replica-math.ts';
import { POD_TEMPLATE_HASH_LABEL, podTemplateHashOf } from './pod-template-hash.ts';
import { parseTime } from './time.ts';

function podsOf(rs: ReplicaSet, pods: Pod[]): Pod[] {
  const hash = podTemplateHashOf(rs);
  return pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.controller && o.name === rs.metadata.name) || (hash !== '' && p.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === hash));
}

export function reconcileRestart(ctx: ReconcileContext, pods: Pod[] | undefined): void {
  const restartAtStr = ctx.rollout.spec.restartAt;
  const restartAt = parseTime(restartAtStr);
  if (restartAtStr === undefined || restartAt === undefined) return;
  const now = ctx.now.getTime();
  if (restartAt > now) {
    requeueAfter(ctx, restartAt - now);
    return;
  }
  const restartedAt = parseTime(ctx.rollout.status?.restartedAt);
  if (restartedAt !== undefined && restartedAt >= restartAt) return;

  const ordered = [ctx.stableRS, ctx.newRS, ...ctx.otherRSs].filter((rs, i, all): rs is ReplicaSet => !!rs && all.indexOf(rs) === i);
  const budgetTotal = Math.max(1, maxUnavailable(ctx.rollout));
  for (const rs of ordered) {
    const rsPods = podsOf(rs, pods ?? []);
    const stale = rsPods.filter((p) => !p.metadata.deletionTimestamp && (parseTime(p.metadata.creationTimestamp) ?? 0) < restartAt);
    if (stale.length === 0) continue;
    // Wait until the ReplicaSet has recovered from earlier evictions before taking more pods.
    const unavailable = Math.max(rsReplicas(rs) - rsAvailable(rs), rsPods.filter((p) => p.metadata.deletionTimestamp || p.available === false).length);
    const budget = budgetTotal - unavailable;
    if (budget <= 0) return;
    stale.sort((a, b) => (a.metadata.creationTimestamp < b.metadata.creationTimestamp ? -1 : a.metadata.creationTimestamp > b.metadata.creationTimestamp ? 1 : a.metadata.name < b.metadata.name ? -1 : 1));
    for (const p of stale.slice(0, budget)) ctx.actions.push({ kind: 'evictPod', name: p.metadata.name });
    return; // one ReplicaSet at a time
  }
  if (pods === undefined) return; // cannot tell whether the restart is done without pods
  ctx.newStatus.restartedAt = restartAtStr;
}
