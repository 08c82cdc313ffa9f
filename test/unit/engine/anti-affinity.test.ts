// antiAffinity (both strategies): the term injected into the new ReplicaSet's pod template against
// the stable ReplicaSet, its re-pointing and removal, template equality that ignores it, and
// Argo's validation rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AntiAffinity, JsonObject, ReplicaSet, Rollout } from '../../../src/engine/types.ts';
import { decide } from '../../../src/engine/decide.ts';
import { promote, undo } from '../../../src/engine/lifecycle.ts';
import {
  generateReplicaSetAffinity,
  injectedAntiAffinityRuleIsStale,
  injectedAntiAffinityRuleNeedsUpdate,
  removeInjectedAntiAffinityRule,
} from '../../../src/engine/anti-affinity.ts';
import { advance, newSim, runToRest, type Sim } from './cluster-sim.ts';
import { bgRollout, deployed, patch, selectorOf, setImage } from './blue-green-sim.ts';

const HASH = 'rollouts-pod-template-hash';
const T0 = new Date('2025-01-01T00:00:00Z');
const REQUIRED: AntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: {} };
const PREFERRED: AntiAffinity = { preferredDuringSchedulingIgnoredDuringExecution: { weight: 40 } };

/** The term Argo's CreateInjectedAntiAffinityRule makes against `stable`. */
const term = (stable: string) => ({
  labelSelector: { matchExpressions: [{ key: HASH, operator: 'In', values: [stable] }] },
  namespaces: ['default'],
  topologyKey: 'kubernetes.io/hostname',
});

function canary(antiAffinity: AntiAffinity | undefined, extra: { affinity?: JsonObject; steps?: unknown[] } = {}): Rollout {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'ro-uid', generation: 1 },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], ...(extra.affinity ? { affinity: extra.affinity } : {}) },
      },
      strategy: {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          steps: (extra.steps ?? [{ setWeight: 50 }, { pause: {} }]) as never,
          ...(antiAffinity ? { antiAffinity } : {}),
        },
      },
    },
  };
}

function setCanaryImage(sim: Sim, image: string): void {
  (sim.rollout.spec.template?.spec as { containers: Array<{ image: string }> }).containers[0]!.image = image;
  sim.rollout.metadata.generation = (sim.rollout.metadata.generation ?? 0) + 1;
}

const rsByHash = (sim: Sim, hash: string | undefined): ReplicaSet => {
  const rs = sim.observed.replicaSets.find((r) => r.metadata.labels?.[HASH] === hash);
  assert.ok(rs, `a ReplicaSet with hash ${hash}`);
  return rs;
};
const affinityOf = (rs: ReplicaSet) => rs.spec.template?.spec?.affinity;

/** `kubectl argo rollouts promote`, applied as the API server would. */
function promoteIn(sim: Sim): void {
  const r = promote(sim.rollout, {});
  assert.ok(r.ok);
  patch(sim, { ...(r.patch.status ? { status: r.patch.status } : {}), ...(r.patch.spec ? { spec: r.patch.spec } : {}) });
}

function deployedCanary(r: Rollout): Sim {
  const sim = newSim(r, T0, ['web-canary', 'web-stable']);
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  return sim;
}

test('GenerateReplicaSetAffinity: nothing while there is no stable or for the stable itself; the template\'s own rules kept, the term appended', () => {
  const own: JsonObject = {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } },
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' }] },
  };
  const ro = canary(REQUIRED, { affinity: own });
  assert.deepEqual(generateReplicaSetAffinity(ro, 'new'), own, 'first deploy: no stable yet');
  ro.status = { stableRS: 'old' };
  assert.deepEqual(generateReplicaSetAffinity(ro, 'old'), own, 'the stable ReplicaSet gets no term against itself');
  assert.deepEqual(generateReplicaSetAffinity(ro, 'new'), {
    nodeAffinity: own.nodeAffinity as JsonObject,
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' }, term('old')] },
  });
  assert.deepEqual(ro.spec.template?.spec?.affinity, own, 'the Rollout template is not modified');

  const pref = canary(PREFERRED);
  pref.status = { stableRS: 'old' };
  assert.deepEqual(generateReplicaSetAffinity(pref, 'new'), { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 40, podAffinityTerm: term('old') }] } });
  assert.equal(generateReplicaSetAffinity(canary(undefined), 'new'), undefined, 'no antiAffinity: no affinity');
});

test('RemoveInjectedAntiAffinityRule drops only the injected term, and empty structures with it', () => {
  const ro = canary(REQUIRED);
  ro.status = { stableRS: 'old' };
  const own = { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' };
  assert.deepEqual(removeInjectedAntiAffinityRule({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [own, term('old')] } }, ro), {
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [own] },
  });
  assert.equal(removeInjectedAntiAffinityRule({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('old')] } }, ro), undefined);
  const node = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } };
  assert.deepEqual(removeInjectedAntiAffinityRule({ nodeAffinity: node, podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('x')] } }, ro), { nodeAffinity: node });
  // Only the configured kind is looked at (Argo HasInjectedAntiAffinityRule).
  const prefAffinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('old')] } };
  assert.deepEqual(removeInjectedAntiAffinityRule(prefAffinity, canary(PREFERRED)), prefAffinity);
});

test('IfInjectedAntiAffinityRuleNeedsUpdate: a term pointing at a former stable; never on the stable ReplicaSet itself', () => {
  const ro = canary(REQUIRED);
  ro.status = { stableRS: 's2' };
  const pointsAt = (h: string) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(h)] } });
  assert.equal(injectedAntiAffinityRuleNeedsUpdate(pointsAt('s1'), ro, 'new'), true);
  assert.equal(injectedAntiAffinityRuleNeedsUpdate(pointsAt('s2'), ro, 'new'), false);
  assert.equal(injectedAntiAffinityRuleNeedsUpdate(pointsAt('s1'), ro, 's2'), false);
  assert.equal(injectedAntiAffinityRuleNeedsUpdate(undefined, ro, 'new'), false);
  // Once stable, the term is stale when its target has no pods left (or is gone).
  const target = { metadata: { name: 'web-s1', labels: { [HASH]: 's1' } }, spec: { replicas: 0 }, status: { replicas: 1 } } as ReplicaSet;
  assert.equal(injectedAntiAffinityRuleIsStale(pointsAt('s1'), ro, 's2', [target]), false, 'a pod still terminating');
  target.status = { replicas: 0 };
  assert.equal(injectedAntiAffinityRuleIsStale(pointsAt('s1'), ro, 's2', [target]), true);
  assert.equal(injectedAntiAffinityRuleIsStale(pointsAt('s1'), ro, 's2', []), true, 'target deleted');
  assert.equal(injectedAntiAffinityRuleIsStale(pointsAt('s1'), ro, 'new', []), false, 'not the stable ReplicaSet');
});

for (const [kind, aa] of [['required', REQUIRED], ['preferred', PREFERRED]] as const) {
  test(`canary antiAffinity (${kind}): the canary ReplicaSet carries the term against stable; removed once the old ReplicaSet is gone; the next update points at the new stable`, () => {
    const sim = deployedCanary(canary(aa));
    const v1 = sim.rollout.status?.stableRS;
    assert.equal(affinityOf(rsByHash(sim, v1)), undefined, 'the first deploy has no stable to keep away from');

    setCanaryImage(sim, 'nginx:1.26');
    runToRest(sim);
    assert.equal(sim.rollout.status?.phase, 'Paused');
    const v2 = sim.rollout.status?.currentPodHash;
    assert.notEqual(v2, v1);
    const injected = aa === REQUIRED
      ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(v1 as string)] } }
      : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 40, podAffinityTerm: term(v1 as string) }] } };
    assert.deepEqual(affinityOf(rsByHash(sim, v2)), injected, 'created with the term');
    assert.equal(affinityOf(rsByHash(sim, v1)), undefined, 'the stable ReplicaSet is left alone');

    promoteIn(sim);
    const decisions = runToRest(sim);
    assert.equal(sim.rollout.status?.phase, 'Healthy');
    assert.equal(sim.rollout.status?.stableRS, v2);
    assert.equal(rsByHash(sim, v1).spec.replicas, 0);
    assert.equal(affinityOf(rsByHash(sim, v2)), undefined, 'the term went once v1 had no pods');
    const removals = decisions.flatMap((d) => d.actions).filter((a) => a.kind === 'updateReplicaSetPodTemplate');
    assert.deepEqual(removals, [{ kind: 'updateReplicaSetPodTemplate', name: `web-${v2}`, affinity: null }], 'one template update, after the scale-down');

    setCanaryImage(sim, 'nginx:1.27');
    runToRest(sim);
    const v3 = sim.rollout.status?.currentPodHash;
    const expr = (affinityOf(rsByHash(sim, v3)) as { podAntiAffinity: Record<string, Array<Record<string, unknown>>> }).podAntiAffinity;
    const first = Object.values(expr)[0]?.[0];
    assert.deepEqual((first?.podAffinityTerm ?? first) as object, term(v2 as string), 'v3 keeps away from v2, the stable now');
  });
}

test('the removal keeps the template\'s own affinity exactly', () => {
  const own: JsonObject = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' } }] } };
  const sim = deployedCanary(canary(PREFERRED, { affinity: own, steps: [{ setWeight: 50 }] }));
  const v1 = sim.rollout.status?.stableRS;
  assert.deepEqual(affinityOf(rsByHash(sim, v1)), own);
  setCanaryImage(sim, 'nginx:1.26');
  const ds = runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash;
  const created = ds.flatMap((d) => d.actions).find((a) => a.kind === 'createReplicaSet');
  assert.deepEqual(created?.kind === 'createReplicaSet' ? created.replicaSet.spec.template?.spec?.affinity : undefined, {
    podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [...((own.podAntiAffinity as JsonObject).preferredDuringSchedulingIgnoredDuringExecution as JsonObject[]), { weight: 40, podAffinityTerm: term(v1 as string) }] },
  });
  assert.equal(sim.rollout.status?.stableRS, v2, 'no pause step: promoted');
  assert.deepEqual(affinityOf(rsByHash(sim, v2)), own, 'back to the template\'s own rules');
});

test('undo to an older ReplicaSet: its template gets the term against the current stable (GenerateReplicaSetAffinity on the revision sync)', () => {
  const sim = deployedCanary(canary(REQUIRED, { steps: [{ setWeight: 50 }] }));
  const v1 = sim.rollout.status?.stableRS as string;
  setCanaryImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.stableRS as string;
  assert.notEqual(v2, v1);
  assert.equal(affinityOf(rsByHash(sim, v2)), undefined);
  const back = undo(sim.rollout, sim.observed.replicaSets, 0);
  assert.ok(back.ok);
  patch(sim, { spec: back.patch.spec ?? {} });
  const d = decide(sim.rollout, sim.observed, sim.now);
  assert.equal(d.actions.some((a) => a.kind === 'createReplicaSet'), false, 'v1 is reused, not redeployed');
  assert.deepEqual(d.actions.find((a) => a.kind === 'updateReplicaSetPodTemplate'), {
    kind: 'updateReplicaSetPodTemplate',
    name: `web-${v1}`,
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(v2)] } },
  });
  runToRest(sim);
  assert.equal(sim.rollout.status?.stableRS, v1);
  assert.equal(affinityOf(rsByHash(sim, v1)), undefined, 'stable again, v2 gone: the term is removed');
});

test('a new ReplicaSet whose term points at a former stable is re-pointed (no other change needed)', () => {
  const sim = deployedCanary(canary(REQUIRED));
  setCanaryImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash as string;
  const stable = sim.rollout.status?.stableRS as string;
  // As if the stable had changed under the canary (another controller, a restored status).
  const rs = rsByHash(sim, v2);
  rs.spec.template!.spec!.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('gone')] } };
  const d = decide(sim.rollout, sim.observed, sim.now);
  assert.deepEqual(d.actions.filter((a) => a.kind === 'updateReplicaSetPodTemplate'), [
    { kind: 'updateReplicaSetPodTemplate', name: `web-${v2}`, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(stable)] } } },
  ]);
});

test('template equality ignores the injected term and ephemeral metadata: an adopted ReplicaSet with another hash label is still the new one', () => {
  const ro = canary(REQUIRED);
  ro.metadata.annotations = { 'rollout.argoproj.io/revision': '2' };
  ro.status = { stableRS: 'v1hash', currentPodHash: 'argohash', currentStepHash: 'x', currentStepIndex: 1 };
  const live: ReplicaSet = {
    metadata: {
      name: 'web-argohash',
      namespace: 'default',
      creationTimestamp: '2024-12-01T00:00:00Z',
      labels: { app: 'web', [HASH]: 'argohash' },
      annotations: { 'rollout.argoproj.io/revision': '2', 'rollout.argoproj.io/desired-replicas': '4', 'rollout.argoproj.io/ephemeral-metadata': '{"labels":{"role":"canary"}}' },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: 'ro-uid', controller: true }],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web', [HASH]: 'argohash' } },
      template: {
        metadata: { labels: { app: 'web', role: 'canary', [HASH]: 'argohash' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('v1hash')] } } },
      },
    },
    status: { replicas: 2, availableReplicas: 2, readyReplicas: 2 },
  };
  const d = decide(ro, { replicaSets: [live], services: { 'web-canary': { metadata: { name: 'web-canary' }, spec: {} }, 'web-stable': { metadata: { name: 'web-stable' }, spec: {} } } }, T0);
  assert.equal(d.actions.some((a) => a.kind === 'createReplicaSet'), false, JSON.stringify(d.actions));
  assert.equal(d.status.currentPodHash, 'argohash');
});

test('undo strips what was injected: the older ReplicaSet\'s template comes back as the Rollout wrote it', () => {
  const ro = canary(REQUIRED);
  const rs: ReplicaSet = {
    metadata: { name: 'web-old', labels: { [HASH]: 'old' }, annotations: { 'rollout.argoproj.io/revision': '1', 'rollout.argoproj.io/ephemeral-metadata': '{"labels":{"role":"stable"},"annotations":{"note":"s"}}' } },
    spec: {
      template: {
        metadata: { labels: { app: 'web', role: 'stable', [HASH]: 'old' }, annotations: { note: 's', keep: 'me' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.24' }], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('older')] } } },
      },
    },
  };
  ro.metadata.annotations = { 'rollout.argoproj.io/revision': '2' };
  const r = undo(ro, [rs], 0);
  assert.ok(r.ok);
  assert.deepEqual(r.patch.spec?.template, { metadata: { labels: { app: 'web' }, annotations: { keep: 'me' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.24' }] } });
});

test('blue-green antiAffinity: the preview ReplicaSet keeps away from the active one; removed after the old one is scaled down', () => {
  const sim = deployed(bgRollout({ antiAffinity: REQUIRED, autoPromotionEnabled: false, scaleDownDelaySeconds: 5 }));
  const v1 = sim.rollout.status?.stableRS as string;
  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash as string;
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause');
  assert.equal(selectorOf(sim, 'web-preview'), v2);
  assert.deepEqual(affinityOf(rsByHash(sim, v2)), { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(v1)] } });

  promoteIn(sim);
  runToRest(sim);
  assert.equal(sim.rollout.status?.stableRS, v2);
  assert.equal(selectorOf(sim, 'web-active'), v2);
  assert.equal(rsByHash(sim, v1).spec.replicas, 3, 'the old active waits out scaleDownDelaySeconds');
  assert.ok(affinityOf(rsByHash(sim, v2)), 'the term stays while v1 still has pods');
  advance(sim, 5_001);
  runToRest(sim);
  assert.equal(rsByHash(sim, v1).spec.replicas, 0);
  assert.equal(affinityOf(rsByHash(sim, v2)), undefined);
});

function invalidMessage(r: Rollout): string | undefined {
  const d = decide(r, { replicaSets: [], services: { 'web-canary': { metadata: { name: 'web-canary' }, spec: {} }, 'web-stable': { metadata: { name: 'web-stable' }, spec: {} }, 'web-active': { metadata: { name: 'web-active' }, spec: {} }, 'web-preview': { metadata: { name: 'web-preview' }, spec: {} } } }, T0);
  return d.status.conditions?.find((c) => c.type === 'InvalidSpec')?.message;
}

test('validation (Argo ValidateRolloutStrategyAntiAffinity): exactly one kind; weight 1-100; both strategies', () => {
  const both = { ...REQUIRED, ...PREFERRED };
  assert.equal(
    invalidMessage(canary(both)),
    'The Rollout "web" is invalid: spec.strategy.canary.antiAffinity: Invalid value: "antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: true antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: true": AntiAffinity must have exactly one strategy listed',
  );
  assert.equal(
    invalidMessage(canary({})),
    'The Rollout "web" is invalid: spec.strategy.canary.antiAffinity: Invalid value: "antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: false antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: false": AntiAffinity must have exactly one strategy listed',
  );
  assert.equal(invalidMessage(canary({ preferredDuringSchedulingIgnoredDuringExecution: { weight: 101 } })), 'The Rollout "web" is invalid: spec.strategy.canary.antiAffinity.weight: Invalid value: 101: AntiAffinity weight must be between 1-100');
  assert.equal(invalidMessage(canary({ preferredDuringSchedulingIgnoredDuringExecution: {} as { weight: number } })), 'The Rollout "web" is invalid: spec.strategy.canary.antiAffinity.weight: Invalid value: 0: AntiAffinity weight must be between 1-100');
  assert.equal(invalidMessage(canary({ preferredDuringSchedulingIgnoredDuringExecution: { weight: 1 } })), undefined);
  assert.equal(invalidMessage(canary({ preferredDuringSchedulingIgnoredDuringExecution: { weight: 100 } })), undefined);
  assert.equal(invalidMessage(bgRollout({ antiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: { weight: 0 } } })), 'The Rollout "web" is invalid: spec.strategy.blueGreen.antiAffinity.weight: Invalid value: 0: AntiAffinity weight must be between 1-100');
  assert.equal(invalidMessage(bgRollout({ antiAffinity: REQUIRED, activeMetadata: { labels: { role: 'active' } }, previewMetadata: { labels: { role: 'preview' } } })), undefined, 'no longer "Unsupported value"');
});
