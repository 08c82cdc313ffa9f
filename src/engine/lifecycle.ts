// The patches behind `kubectl argo rollouts promote|abort|retry|pause|restart|undo|set image`
// (pkg/kubectl-argo-rollouts/cmd/*), as pure functions for the CLI and HTTP API. Each returns the
// JSON merge patches to send: `spec` to the Rollout, `status` to its status subresource (status first).
import type { JsonObject, PodTemplateSpec, ReplicaSet, Rollout } from './types.ts';
import { currentStepIndex } from './replica-math.ts';
import { POD_TEMPLATE_HASH_LABEL } from './pod-template-hash.ts';
import { maxRevision, revisionOf } from './replica-sets.ts';
import { formatTime } from './time.ts';
import { templateAsWritten } from './template-as-written.ts';

export interface LifecyclePatch {
  spec?: JsonObject;
  status?: JsonObject;
}
export type LifecycleResult = { ok: true; patch: LifecyclePatch } | { ok: false; error: string };

const ok = (patch: LifecyclePatch): LifecycleResult => ({ ok: true, patch });
const fail = (error: string): LifecycleResult => ({ ok: false, error });

/**
 * promote: clear the pause conditions and spec.paused; for a canary when nothing is paused (e.g.
 * at a running step), move to the next step; paused on an Inconclusive step analysis, clear and
 * move on. A blue-green Rollout only has its pause cleared (BlueGreenPause: switch now;
 * InconclusiveAnalysisRun: run the analysis again), as promote.go does. `full`:
 * status.promoteFull, skipping every remaining step, pause and analysis (a no-op when already
 * fully promoted).
 */
export function promote(rollout: Rollout, opts: { full?: boolean } = {}): LifecycleResult {
  const status = rollout.status ?? {};
  if (opts.full) {
    return ok(status.currentPodHash !== status.stableRS ? { status: { promoteFull: true } } : {});
  }
  const patch: LifecyclePatch = {};
  if (rollout.spec.paused) patch.spec = { paused: false };
  const paused = (status.pauseConditions?.length ?? 0) > 0;
  const inconclusiveStep = rollout.spec.strategy?.canary && status.canary?.currentStepAnalysisRunStatus?.status === 'Inconclusive';
  if (paused && inconclusiveStep && status.controllerPause) {
    // Paused on an Inconclusive step analysis: promoting means "treat it as passed", so the step
    // advances and the controller's pause is released (else a following pause step would stick).
    const steps = rollout.spec.strategy?.canary?.steps ?? [];
    let index = currentStepIndex(rollout);
    if (index !== undefined && index < steps.length) index++;
    patch.status = { pauseConditions: null, controllerPause: false, ...(index !== undefined ? { currentStepIndex: index } : {}) };
  } else if (paused) patch.status = { pauseConditions: null };
  else if (rollout.spec.strategy?.canary) {
    const steps = rollout.spec.strategy.canary.steps ?? [];
    let index = currentStepIndex(rollout);
    if (index !== undefined) {
      if (index < steps.length) index++;
      patch.status = { currentStepIndex: index };
    }
  }
  return ok(patch);
}

export function abort(): LifecycleResult {
  return ok({ status: { abort: true } });
}

export function retry(): LifecycleResult {
  return ok({ status: { abort: false } });
}

export function pause(): LifecycleResult {
  return ok({ spec: { paused: true } });
}

/** restart: spec.restartAt = now (+ `inSeconds`). */
export function restart(now: Date, inSeconds = 0): LifecycleResult {
  return ok({ spec: { restartAt: formatTime(new Date(now.getTime() + inSeconds * 1000)) } });
}

/**
 * undo: put an older ReplicaSet's template back (hash label removed). `toRevision` 0 or absent =
 * the revision before the current one.
 */
export function undo(rollout: Rollout, replicaSets: ReplicaSet[], toRevision = 0): LifecycleResult {
  const byRevision = [...replicaSets].sort((a, b) => revisionOf(b) - revisionOf(a));
  let target: ReplicaSet | undefined;
  if (toRevision === 0) {
    const current = revisionOf(rollout) || maxRevision(replicaSets);
    target = byRevision.find((rs) => revisionOf(rs) > 0 && revisionOf(rs) < current);
  } else target = byRevision.find((rs) => revisionOf(rs) === toRevision);
  if (!target) return fail(toRevision === 0 ? 'no rollout history found' : `unable to find specified revision ${toRevision} in history`);
  // DEVIATION: kubectl-argo-rollouts copies the template as is, injected ephemeral metadata and
  // anti-affinity term included, which then differs from every ReplicaSet's and deploys a new one.
  const template = JSON.parse(JSON.stringify(templateAsWritten(rollout, target) ?? {})) as PodTemplateSpec;
  if (template.metadata?.labels) {
    const labels = { ...template.metadata.labels };
    delete labels[POD_TEMPLATE_HASH_LABEL];
    template.metadata = { ...template.metadata, labels };
  }
  return ok({ spec: { template: template as unknown as JsonObject } });
}

/** set image: `container` is a container name or `*`; init and ephemeral containers count too. */
export function setImage(rollout: Rollout, container: string, image: string): LifecycleResult {
  const podSpec = JSON.parse(JSON.stringify(rollout.spec.template?.spec ?? {})) as JsonObject;
  const changed: JsonObject = {};
  let found = false;
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = podSpec[key];
    if (!Array.isArray(list)) continue;
    let touched = false;
    for (const c of list) {
      if (typeof c === 'object' && c !== null && !Array.isArray(c) && (container === '*' || c.name === container)) {
        c.image = image;
        found = true;
        touched = true;
      }
    }
    if (touched) changed[key] = list; // merge patch replaces lists whole
  }
  if (!found) return fail(`unable to find container named "${container}"`);
  return ok({ spec: { template: { spec: changed } } });
}
