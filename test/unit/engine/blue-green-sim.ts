// Blue-green Rollouts in the simulated cluster: a Rollout with active and preview Services, a
// deployed starting point, template changes, lifecycle patches applied as the API server would.
import assert from 'node:assert/strict';
import type { BlueGreenStrategy, Rollout } from '../../../src/engine/types.ts';
import { newSim, runToRest, type Sim } from './cluster-sim.ts';

export const T0 = new Date('2025-01-01T00:00:00Z');

export function bgRollout(bg: Partial<BlueGreenStrategy> = {}, replicas = 3): Rollout {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'ro-uid', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      strategy: { blueGreen: { activeService: 'web-active', previewService: 'web-preview', ...bg } },
    },
  };
}

export function deployed(r: Rollout): Sim {
  const sim = newSim(r, T0, ['web-active', 'web-preview']);
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  sim.events.length = 0;
  return sim;
}

export function setImage(sim: Sim, image: string): void {
  const c = (sim.rollout.spec.template?.spec as { containers: Array<{ image: string }> }).containers[0];
  if (c) c.image = image;
  sim.rollout.metadata.generation = (sim.rollout.metadata.generation ?? 0) + 1;
}

/** Applies a lifecycle patch as the API server would (merge patch; null removes). */
export function patch(sim: Sim, p: { spec?: object; status?: object }): void {
  const merge = (base: object | undefined, change: object): Record<string, unknown> => {
    const next: Record<string, unknown> = { ...(base ?? {}) };
    for (const [k, v] of Object.entries(change)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    return next;
  };
  if (p.status) sim.rollout = { ...sim.rollout, status: merge(sim.rollout.status, p.status) };
  if (p.spec) sim.rollout = { ...sim.rollout, spec: merge(sim.rollout.spec, p.spec) as Rollout['spec'] };
  sim.rollout.metadata.generation = (sim.rollout.metadata.generation ?? 0) + (p.spec ? 1 : 0);
}

export const selectorOf = (sim: Sim, svc: string): string | undefined => sim.observed.services[svc]?.spec.selector?.['rollouts-pod-template-hash'];
/** spec.replicas per revision. */
export const sizes = (sim: Sim): Record<string, number> =>
  Object.fromEntries(sim.observed.replicaSets.map((rs) => [rs.metadata.annotations?.['rollout.argoproj.io/revision'] ?? '?', rs.spec.replicas ?? 0]));
