// A tiny in-memory cluster for engine tests: applies the engine's actions to the observed state
// and plays the ReplicaSet controller and kubelet (pods of a scaled ReplicaSet become available).
import type { Action, Decision, Observed, Rollout, ReplicaSet } from '../../../src/engine/types.ts';
import { decide } from '../../../src/engine/decide.ts';
import { formatTime } from '../../../src/engine/time.ts';
import type { AnalysisPhase, AnalysisRun } from '../../../src/engine/analysis/types.ts';

export interface Sim {
  rollout: Rollout;
  observed: Observed;
  now: Date;
  events: string[];
  /** When false, scaled-up pods stay unavailable until `settle` is called with true. */
  podsBecomeAvailable: boolean;
  /** Counter for pod names (with pods modelled, see `withPods`). */
  podSeq?: number;
  /** How many updateReplicaSetPodTemplate actions were applied. */
  rsUpdates?: number;
}

export function newSim(rollout: Rollout, now: Date, services: string[] = []): Sim {
  const svc: Observed['services'] = {};
  for (const name of services) svc[name] = { metadata: { name }, spec: { selector: { app: 'web' } } };
  return { rollout, observed: { replicaSets: [], services: svc }, now, events: [], podsBecomeAvailable: true };
}

export function apply(sim: Sim, actions: Action[]): void {
  for (const a of actions) {
    switch (a.kind) {
      case 'createReplicaSet': {
        const rs = JSON.parse(JSON.stringify(a.replicaSet)) as ReplicaSet;
        rs.metadata.creationTimestamp = formatTime(sim.now);
        rs.metadata.uid = `uid-${rs.metadata.name}`;
        rs.status = { replicas: 0, readyReplicas: 0, availableReplicas: 0 };
        sim.observed.replicaSets.push(rs);
        break;
      }
      case 'scaleReplicaSet': {
        const rs = find(sim, a.name);
        rs.spec.replicas = a.replicas;
        mergeAnnotations(rs, a.annotations ?? {});
        break;
      }
      case 'patchReplicaSetAnnotations':
        mergeAnnotations(find(sim, a.name), a.annotations);
        break;
      case 'updateReplicaSetPodTemplate': {
        // As the API server applies the shell's merge patch (and JSON patch for the affinity).
        const rs = find(sim, a.name);
        mergeAnnotations(rs, a.annotations ?? {});
        const template = (rs.spec.template ??= {});
        const meta = (template.metadata ??= {});
        if (a.templateLabels) meta.labels = mergeMap(meta.labels, a.templateLabels);
        if (a.templateAnnotations) meta.annotations = mergeMap(meta.annotations, a.templateAnnotations);
        if (a.affinity !== undefined) {
          const spec = (template.spec ??= {});
          if (a.affinity === null) delete spec.affinity;
          else spec.affinity = JSON.parse(JSON.stringify(a.affinity));
        }
        sim.rsUpdates = (sim.rsUpdates ?? 0) + 1;
        break;
      }
      case 'patchPodMetadata': {
        const pod = sim.observed.pods?.find((p) => p.metadata.name === a.name);
        if (!pod) break; // gone already: the shell ignores the 404
        if (a.labels) pod.metadata.labels = mergeMap(pod.metadata.labels, a.labels);
        if (a.annotations) pod.metadata.annotations = mergeMap(pod.metadata.annotations, a.annotations);
        break;
      }
      case 'deleteReplicaSet':
        sim.observed.replicaSets = sim.observed.replicaSets.filter((rs) => rs.metadata.name !== a.name);
        break;
      case 'setServiceSelector': {
        const svc = sim.observed.services[a.service];
        if (!svc) throw new Error(`no service ${a.service}`);
        svc.spec.selector = { ...(svc.spec.selector ?? {}), 'rollouts-pod-template-hash': a.podTemplateHash };
        svc.metadata.annotations = { ...(svc.metadata.annotations ?? {}), 'argo-rollouts.argoproj.io/managed-by-rollouts': a.rollout };
        break;
      }
      case 'patchRolloutAnnotations':
        sim.rollout.metadata.annotations = { ...(sim.rollout.metadata.annotations ?? {}), ...a.annotations };
        break;
      case 'evictPod':
        break;
      case 'createAnalysisRun': {
        const runs = (sim.observed.analysisRuns ??= []);
        if (runs.some((r) => r.metadata?.name === a.analysisRun.metadata?.name)) throw new Error(`AnalysisRun ${a.analysisRun.metadata?.name} exists`);
        const run = JSON.parse(JSON.stringify(a.analysisRun)) as AnalysisRun;
        run.metadata = { ...run.metadata, creationTimestamp: formatTime(sim.now) };
        runs.push(run);
        break;
      }
      case 'terminateAnalysisRun': {
        // The analysis controller's answer to terminate: a run not yet completed ends Successful.
        const run = findRun(sim, a.name);
        run.spec.terminate = true;
        if (!['Successful', 'Failed', 'Error', 'Inconclusive'].includes(run.status?.phase ?? '')) run.status = { ...run.status, phase: 'Successful', message: 'Run Terminated' };
        break;
      }
      case 'deleteAnalysisRun':
        sim.observed.analysisRuns = (sim.observed.analysisRuns ?? []).filter((r) => r.metadata?.name !== a.name);
        break;
      case 'recordEvent':
        sim.events.push(`${a.reason}: ${a.message}`);
        break;
    }
  }
}

export function findRun(sim: Sim, name: string): AnalysisRun {
  const run = (sim.observed.analysisRuns ?? []).find((r) => r.metadata?.name === name);
  if (!run) throw new Error(`no AnalysisRun ${name}`);
  return run;
}

/** Plays the analysis controller: the run reaches `phase` (with `message`). */
export function setRunPhase(sim: Sim, name: string, phase: AnalysisPhase, message?: string): void {
  const run = findRun(sim, name);
  run.status = { ...run.status, phase, ...(message ? { message } : {}) };
}

function find(sim: Sim, name: string): ReplicaSet {
  const rs = sim.observed.replicaSets.find((r) => r.metadata.name === name);
  if (!rs) throw new Error(`no ReplicaSet ${name}`);
  return rs;
}

function mergeMap(base: Record<string, string> | undefined, change: Record<string, string | null>): Record<string, string> {
  const next: Record<string, string> = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

function mergeAnnotations(rs: ReplicaSet, ann: Record<string, string | null>): void {
  const next: Record<string, string> = { ...(rs.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(ann)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  rs.metadata.annotations = next;
}

/** The ReplicaSet controller and kubelet: pods follow spec.replicas; new ones become available. */
export function settle(sim: Sim, available = sim.podsBecomeAvailable): void {
  for (const rs of sim.observed.replicaSets) {
    const want = rs.spec.replicas ?? 1;
    const s = rs.status ?? {};
    const avail = available ? want : Math.min(s.availableReplicas ?? 0, want);
    rs.status = { replicas: want, readyReplicas: avail, availableReplicas: avail, fullyLabeledReplicas: want };
    if (sim.observed.pods) settlePods(sim, rs, want);
  }
  // Pods of deleted ReplicaSets go with them (garbage collection).
  if (sim.observed.pods) {
    const names = new Set(sim.observed.replicaSets.map((rs) => rs.metadata.name));
    sim.observed.pods = sim.observed.pods.filter((p) => names.has(p.metadata.ownerReferences?.[0]?.name ?? ''));
  }
}

/**
 * With pods modelled (`withPods`): a ReplicaSet's pods are created from its template as it is at
 * that moment (labels and annotations copied, as the ReplicaSet controller does), the newest
 * removed first on a scale-down; a pod keeps its name for life.
 */
function settlePods(sim: Sim, rs: ReplicaSet, want: number): void {
  const pods = sim.observed.pods ?? [];
  const owned = pods.filter((p) => p.metadata.ownerReferences?.[0]?.name === rs.metadata.name);
  for (let n = owned.length; n < want; n++) {
    sim.podSeq = (sim.podSeq ?? 0) + 1;
    const meta = rs.spec.template?.metadata ?? {};
    pods.push({
      metadata: {
        name: `${rs.metadata.name}-p${sim.podSeq}`,
        creationTimestamp: formatTime(sim.now),
        labels: { ...(meta.labels ?? {}) },
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid ?? '', controller: true }],
      },
      available: true,
    });
  }
  const extra = owned.slice(want);
  sim.observed.pods = pods.filter((p) => !extra.includes(p));
}

/** Turns on pod modelling: the engine then observes the pods (needed for ephemeral metadata). */
export function withPods(sim: Sim): Sim {
  sim.observed.pods ??= [];
  for (const rs of sim.observed.replicaSets) settlePods(sim, rs, rs.status?.replicas ?? 0);
  return sim;
}

/** One reconcile: decide, apply, write status. */
export function step(sim: Sim): Decision {
  const d = decide(sim.rollout, sim.observed, sim.now);
  apply(sim, d.actions);
  sim.rollout = { ...sim.rollout, status: d.status };
  return d;
}

export function advance(sim: Sim, ms: number): void {
  sim.now = new Date(sim.now.getTime() + ms);
}

/** Reconcile (and let pods settle) until the decision makes no more changes; returns the decisions. */
export function runToRest(sim: Sim, max = 50): Decision[] {
  const out: Decision[] = [];
  for (let i = 0; i < max; i++) {
    const before = JSON.stringify(sim.rollout.status);
    const d = step(sim);
    out.push(d);
    settle(sim);
    if (d.actions.length === 0 && JSON.stringify(d.status) === before) return out;
  }
  throw new Error(`no rest after ${max} reconciles: ${JSON.stringify(sim.rollout.status, null, 1)}`);
}

/** One reconcile, then the pods settle. */
export function tick(sim: Sim): Decision {
  const d = step(sim);
  settle(sim);
  return d;
}
