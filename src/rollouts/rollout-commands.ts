// The kubectl-argo-rollouts verbs as one use case for the CLI and the HTTP API: read the Rollout,
// let src/engine/lifecycle.ts compute the patch, send it (status to the status subresource first,
// then spec), and read Rollouts with their ReplicaSets, pods and AnalysisRuns for `get` and `list`.
import type { Cluster, ObjectRef } from '../ports/cluster.ts';
import { apiStatusOf } from '../ports/cluster.ts';
import type { PodTemplateSpec, ReplicaSet, Rollout } from '../engine/types.ts';
import * as lifecycle from '../engine/lifecycle.ts';
import type { LifecyclePatch, LifecycleResult } from '../engine/lifecycle.ts';
import { formatLabelSelector } from '../engine/labels.ts';
import { POD_TEMPLATE_HASH_LABEL, podTemplateEqualIgnoreHash } from '../engine/pod-template-hash.ts';
import { revisionOf } from '../engine/replica-sets.ts';
import { formatGoDuration } from '../engine/time.ts';
import { InvalidOperation, RolloutNotFound } from '../ports/rollout-commands.ts';
import type { AnalysisRunObject, CommandResult, PodObject, RolloutCommands, RolloutDetails, RolloutSummary } from '../ports/rollout-commands.ts';
import { describeRollout, replicaSetViews, summarizeRollout } from './rollout-view.ts';

const ROLLOUTS_API = 'argoproj.io/v1alpha1';
/** Patches computed from what was read are sent with its resourceVersion; a conflict means re-read and recompute. */
const MAX_ATTEMPTS = 5;

interface Outcome {
  patch: LifecyclePatch;
  /** spec.template is a whole template to put in place (undo), not a merge of changed fields. */
  replaceTemplate?: boolean;
  message: string;
}

type LiveRollout = Rollout & { metadata: Rollout['metadata'] & { resourceVersion?: string } };

export function createRolloutCommands(cluster: Cluster, now: () => Date): RolloutCommands {
  const rolloutRef = (namespace: string, name: string): ObjectRef => ({ apiVersion: ROLLOUTS_API, kind: 'Rollout', namespace, name });

  async function read(namespace: string, name: string): Promise<LiveRollout> {
    const found = await cluster.get(rolloutRef(namespace, name));
    if (!found) throw new RolloutNotFound(namespace, name);
    return found as unknown as LiveRollout;
  }

  const accept = (verb: string, name: string, result: LifecycleResult): LifecyclePatch => {
    if (!result.ok) throw new InvalidOperation(`cannot ${verb} rollout "${name}": ${result.error}`);
    return result.patch;
  };

  /**
   * Sends the patches. Those that depend on what was read (a step index, a container list, a
   * template) carry its resourceVersion, so a concurrent change fails with 409 instead of being
   * overwritten; constant patches (abort, pause, …) need no such guard.
   */
  async function send(live: LiveRollout, { patch, replaceTemplate }: Outcome): Promise<LiveRollout> {
    const ref = rolloutRef(live.metadata.namespace ?? '', live.metadata.name);
    let current = live;
    if (patch.status) {
      const guarded = 'currentStepIndex' in patch.status;
      const body = guarded ? { metadata: { resourceVersion: current.metadata.resourceVersion }, status: patch.status } : { status: patch.status };
      current = (await cluster.patchStatus(ref, body)) as unknown as LiveRollout;
    }
    if (patch.spec) {
      const guard = { resourceVersion: current.metadata.resourceVersion };
      if (replaceTemplate) {
        // A whole template (undo) must replace the old one: a merge patch would keep labels and
        // fields the older template lacks. kubectl-argo-rollouts sends the same JSON patch.
        const ops = [
          { op: 'replace', path: '/metadata/resourceVersion', value: guard.resourceVersion },
          { op: 'replace', path: '/spec/template', value: patch.spec.template },
        ];
        current = (await cluster.patch(ref, ops, { type: 'json' })) as unknown as LiveRollout;
      } else {
        const body = patch.spec.template ? { metadata: guard, spec: patch.spec } : { spec: patch.spec };
        current = (await cluster.patch(ref, body)) as unknown as LiveRollout;
      }
    }
    return current;
  }

  async function mutate(namespace: string, name: string, compute: (live: LiveRollout) => Promise<Outcome> | Outcome): Promise<CommandResult> {
    for (let attempt = 1; ; attempt++) {
      const live = await read(namespace, name);
      const outcome = await compute(live);
      try {
        return { rollout: await send(live, outcome), message: outcome.message };
      } catch (err) {
        const status = apiStatusOf(err);
        if (status === 409 && attempt < MAX_ATTEMPTS) continue;
        if (status === 404) throw new RolloutNotFound(namespace, name);
        if (status === 409) throw new InvalidOperation(`rollout "${name}" kept changing while it was being patched; try again`);
        throw err;
      }
    }
  }

  async function replicaSetsOf(rollout: Rollout): Promise<ReplicaSet[]> {
    const { items } = await cluster.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: rollout.metadata.namespace, labelSelector: selectorQuery(rollout) });
    return (items as unknown as ReplicaSet[]).filter((rs) => controllerUid(rs) === rollout.metadata.uid);
  }

  async function podsOf(rollout: Rollout, replicaSets: ReplicaSet[]): Promise<PodObject[]> {
    const { items } = await cluster.list({ apiVersion: 'v1', kind: 'Pod', namespace: rollout.metadata.namespace, labelSelector: selectorQuery(rollout) });
    const owners = new Set(replicaSets.map((rs) => rs.metadata.uid));
    return (items as unknown as PodObject[]).filter((p) => owners.has(controllerUid(p)));
  }

  async function analysisRunsOf(rollout: Rollout): Promise<AnalysisRunObject[] | undefined> {
    try {
      const { items } = await cluster.list({ apiVersion: ROLLOUTS_API, kind: 'AnalysisRun', namespace: rollout.metadata.namespace });
      return (items as unknown as AnalysisRunObject[]).filter((ar) => (ar.metadata.ownerReferences ?? []).some((o) => o.uid === rollout.metadata.uid));
    } catch (err) {
      // A cluster without the AnalysisRun CRD simply has none.
      if (apiStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  return {
    promote(namespace, name, options = {}) {
      return mutate(namespace, name, (live) => ({
        patch: accept('promote', name, lifecycle.promote(live, { full: options.full === true })),
        message: options.full ? `rollout '${name}' fully promoted` : `rollout '${name}' promoted`,
      }));
    },
    abort(namespace, name) {
      return mutate(namespace, name, () => ({ patch: accept('abort', name, lifecycle.abort()), message: `rollout '${name}' aborted` }));
    },
    retry(namespace, name) {
      return mutate(namespace, name, () => ({ patch: accept('retry', name, lifecycle.retry()), message: `rollout '${name}' retried` }));
    },
    pause(namespace, name) {
      return mutate(namespace, name, () => ({ patch: accept('pause', name, lifecycle.pause()), message: `rollout '${name}' paused` }));
    },
    restart(namespace, name, options = {}) {
      const inSeconds = options.inSeconds ?? 0;
      return mutate(namespace, name, () => ({
        patch: accept('restart', name, lifecycle.restart(now(), inSeconds)),
        message: `rollout '${name}' restarts in ${formatGoDuration(inSeconds)}`,
      }));
    },
    setImage(namespace, name, container, image) {
      return mutate(namespace, name, (live) => ({
        patch: accept('set the image of', name, lifecycle.setImage(live, container, image)),
        message: `rollout "${name}" image updated`,
      }));
    },
    undo(namespace, name, options = {}) {
      return mutate(namespace, name, async (live) => {
        const replicaSets = await replicaSetsOf(live);
        const patch = accept('undo', name, lifecycle.undo(live, replicaSets, options.toRevision ?? 0));
        const template = patch.spec?.template as PodTemplateSpec | undefined;
        const target = replicaSets.find((rs) => podTemplateEqualIgnoreHash(rs.spec.template, template));
        if (podTemplateEqualIgnoreHash(live.spec.template, template)) {
          return { patch: {}, message: `skipped rollback (current template already matches revision ${target ? revisionOf(target) : options.toRevision ?? 0})` };
        }
        return { patch, replaceTemplate: true, message: `rollout '${name}' undo` };
      });
    },
    async get(namespace, name): Promise<RolloutDetails> {
      const rollout = await read(namespace, name);
      const [replicaSets, analysisRuns] = await Promise.all([replicaSetsOf(rollout), analysisRunsOf(rollout)]);
      const pods = await podsOf(rollout, replicaSets);
      const details: RolloutDetails = { rollout, replicaSets, pods, view: describeRollout(rollout, replicaSets, pods, analysisRuns ?? []) };
      if (analysisRuns) details.analysisRuns = analysisRuns;
      return details;
    },
    async list(namespace): Promise<RolloutSummary[]> {
      const [rollouts, replicaSets] = await Promise.all([
        cluster.list({ apiVersion: ROLLOUTS_API, kind: 'Rollout', namespace }),
        // Only ReplicaSets a Rollout controller made carry the hash label; one list serves every Rollout.
        cluster.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, labelSelector: POD_TEMPLATE_HASH_LABEL }),
      ]);
      const byOwner = new Map<string, ReplicaSet[]>();
      for (const rs of replicaSets.items as unknown as ReplicaSet[]) {
        const uid = controllerUid(rs);
        if (uid) byOwner.set(uid, [...(byOwner.get(uid) ?? []), rs]);
      }
      return (rollouts.items as unknown as Rollout[])
        .map((ro) => summarizeRollout(ro, replicaSetViews(ro, byOwner.get(ro.metadata.uid ?? '') ?? [], [])))
        .sort((a, b) => (a.namespace !== b.namespace ? (a.namespace < b.namespace ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
  };
}

function controllerUid(obj: { metadata: { ownerReferences?: Array<{ uid: string; controller?: boolean }> } }): string | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.controller === true)?.uid;
}

/** The Rollout's selector as a list query; undefined (everything, filtered by owner) without one. */
function selectorQuery(rollout: Rollout): string | undefined {
  const query = formatLabelSelector(rollout.spec.selector);
  return query === '' || query === '<none>' ? undefined : query;
}
