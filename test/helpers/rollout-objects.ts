// Rollouts and their ReplicaSets as a controller would have left them, written straight to the API
// server (no controller runs): the Rollout object, then its status through the status subresource,
// ReplicaSets owned by it with the revision annotation and pod-template-hash label, and AnalysisRuns
// owned by it with Argo's labels and a status written through the status subresource.
import type { KubeClient } from '../../src/kube/kube-client.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { ReplicaSet, Rollout, RolloutStatus } from '../../src/engine/types.ts';
import type { AnalysisRunStatus, Metric } from '../../src/engine/analysis/types.ts';

export const ROLLOUT_API = 'argoproj.io/v1alpha1';

export interface RolloutSetup {
  replicas?: number;
  paused?: boolean;
  image?: string;
  /** Extra labels on the pod template (besides app=<name>). */
  templateLabels?: Record<string, string>;
  steps?: Array<Record<string, unknown>>;
  status?: RolloutStatus;
}

export const rolloutRef = (namespace: string, name: string) => ({ apiVersion: ROLLOUT_API, kind: 'Rollout', namespace, name });

export function podTemplate(app: string, image: string, extraLabels: Record<string, string> = {}) {
  return { metadata: { labels: { app, ...extraLabels } }, spec: { containers: [{ name: 'app', image }] } };
}

/** Creates the Rollout and, when given, writes its status; resolves with the live object. */
export async function createRollout(client: KubeClient, namespace: string, name: string, setup: RolloutSetup = {}): Promise<Rollout & KubeObject> {
  const spec: Record<string, unknown> = {
    replicas: setup.replicas ?? 2,
    selector: { matchLabels: { app: name } },
    template: podTemplate(name, setup.image ?? 'nginx:1.25', setup.templateLabels),
    strategy: { canary: { steps: setup.steps ?? [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: '30s' } }] } },
  };
  if (setup.paused) spec.paused = true;
  let live = await client.create({ apiVersion: ROLLOUT_API, kind: 'Rollout', metadata: { name, namespace }, spec });
  if (setup.status) live = await client.patchStatus(rolloutRef(namespace, name), { status: setup.status });
  return live as Rollout & KubeObject;
}

/** A ReplicaSet controlled by the Rollout, for revision `revision`, with the template given. */
export async function createReplicaSet(
  client: KubeClient,
  rollout: Rollout & KubeObject,
  opts: { hash: string; revision: number; image: string; replicas?: number; templateLabels?: Record<string, string> },
): Promise<ReplicaSet & KubeObject> {
  const app = rollout.metadata.name;
  const labels = { app, ...(opts.templateLabels ?? {}), 'rollouts-pod-template-hash': opts.hash };
  return (await client.create({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${app}-${opts.hash}`,
      namespace: rollout.metadata.namespace,
      labels,
      annotations: { 'rollout.argoproj.io/revision': String(opts.revision) },
      ownerReferences: [{ apiVersion: ROLLOUT_API, kind: 'Rollout', name: app, uid: rollout.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas: opts.replicas ?? 0,
      selector: { matchLabels: { app, 'rollouts-pod-template-hash': opts.hash } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: opts.image }] } },
    },
  })) as ReplicaSet & KubeObject;
}

/** An AnalysisRun the Rollout owns, for revision `revision`, created by a `type` step (labels as Argo sets them); `status` goes through the status subresource. */
export async function createAnalysisRun(
  client: KubeClient,
  rollout: Rollout & KubeObject,
  opts: { name: string; revision: number; type: 'Step' | 'Background' | 'PrePromotion' | 'PostPromotion'; stepIndex?: number; metrics: Metric[]; status?: AnalysisRunStatus },
): Promise<KubeObject> {
  const labels: Record<string, string> = { 'rollout-type': opts.type };
  if (opts.stepIndex !== undefined) labels['step-index'] = String(opts.stepIndex);
  const namespace = rollout.metadata.namespace ?? '';
  let live = await client.create({
    apiVersion: ROLLOUT_API,
    kind: 'AnalysisRun',
    metadata: {
      name: opts.name,
      namespace,
      labels,
      annotations: { 'rollout.argoproj.io/revision': String(opts.revision) },
      ownerReferences: [{ apiVersion: ROLLOUT_API, kind: 'Rollout', name: rollout.metadata.name, uid: rollout.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: { metrics: opts.metrics },
  });
  if (opts.status) live = await client.patchStatus({ apiVersion: ROLLOUT_API, kind: 'AnalysisRun', namespace, name: opts.name }, { status: opts.status });
  return live;
}

/** A status at a paused canary step: step 1 of 4 (pause {}), revision 2 canary over a revision 1 stable. */
export function pausedAtStep(now = new Date()): RolloutStatus {
  return {
    currentPodHash: 'bbbb2',
    stableRS: 'aaaa1',
    currentStepIndex: 1,
    pauseConditions: [{ reason: 'CanaryPauseStep', startTime: `${now.toISOString().slice(0, 19)}Z` }],
    controllerPause: true,
    replicas: 3,
    updatedReplicas: 1,
    readyReplicas: 3,
    availableReplicas: 3,
    phase: 'Paused',
    message: 'CanaryPauseStep',
  };
}

/** A finished update: all steps done, the current pods are stable. */
export function healthy(replicas = 2): RolloutStatus {
  return {
    currentPodHash: 'aaaa1',
    stableRS: 'aaaa1',
    currentStepIndex: 4,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    phase: 'Healthy',
  };
}

/** An aborted update, as the controller reports it. */
export function aborted(): RolloutStatus {
  const now = `${new Date().toISOString().slice(0, 19)}Z`;
  return {
    ...healthy(),
    currentPodHash: 'bbbb2',
    currentStepIndex: 0,
    abort: true,
    abortedAt: now,
    phase: 'Degraded',
    message: 'RolloutAborted: Rollout aborted update to revision 2',
    conditions: [
      { type: 'Progressing', status: 'False', reason: 'RolloutAborted', message: 'Rollout aborted update to revision 2', lastUpdateTime: now, lastTransitionTime: now },
    ],
  };
}
