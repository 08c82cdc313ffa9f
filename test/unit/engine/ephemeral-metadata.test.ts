// Ephemeral pod metadata in the simulated cluster (pods modelled): canaryMetadata/stableMetadata
// and previewMetadata/activeMetadata land on the ReplicaSet's template and its live pods, move
// with the role on promotion (same pods, no restart), and only injected keys are ever removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodTemplateMetadata, ReplicaSet, Rollout } from '../../../src/engine/types.ts';
import { decide } from '../../../src/engine/decide.ts';
import { abort, promote } from '../../../src/engine/lifecycle.ts';
import { marshalPodMetadata, parseExistingPodMetadata, syncEphemeralPodMetadata } from '../../../src/engine/ephemeral-metadata.ts';
import { advance, newSim, runToRest, tick, withPods, type Sim } from './cluster-sim.ts';
import { bgRollout, patch, selectorOf, setImage, T0 } from './blue-green-sim.ts';

const HASH = 'rollouts-pod-template-hash';
const ANNOTATION = 'rollout.argoproj.io/ephemeral-metadata';

const CANARY: PodTemplateMetadata = { labels: { role: 'canary', track: 'new' }, annotations: { 'example.com/note': 'canary pod' } };
const STABLE: PodTemplateMetadata = { labels: { role: 'stable' } };

function canary(meta: { canaryMetadata?: PodTemplateMetadata; stableMetadata?: PodTemplateMetadata }, steps: unknown[] = [{ setWeight: 50 }, { pause: {} }]): Rollout {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'ro-uid', generation: 1 },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' }, annotations: { 'owned.by/template': 'yes' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      strategy: { canary: { canaryService: 'web-canary', stableService: 'web-stable', steps: steps as never, ...meta } },
    },
  };
}

function setCanaryImage(sim: Sim, image: string): void {
  (sim.rollout.spec.template?.spec as { containers: Array<{ image: string }> }).containers[0]!.image = image;
  sim.rollout.metadata.generation = (sim.rollout.metadata.generation ?? 0) + 1;
}

function promoteIn(sim: Sim): void {
  const r = promote(sim.rollout, {});
  assert.ok(r.ok);
  patch(sim, { ...(r.patch.status ? { status: r.patch.status } : {}), ...(r.patch.spec ? { spec: r.patch.spec } : {}) });
}

const rsByHash = (sim: Sim, hash: string | undefined): ReplicaSet => {
  const rs = sim.observed.replicaSets.find((r) => r.metadata.labels?.[HASH] === hash);
  assert.ok(rs, `a ReplicaSet with hash ${hash}`);
  return rs;
};
const podsOf = (sim: Sim, hash: string | undefined): Pod[] => (sim.observed.pods ?? []).filter((p) => p.metadata.labels?.[HASH] === hash);
const names = (pods: Pod[]) => pods.map((p) => p.metadata.name).sort();
/** A pod's (or template's) labels and annotations, without the hash label. */
const metaOf = (m: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined) => {
  const labels = { ...(m?.labels ?? {}) };
  delete labels[HASH];
  return { labels, annotations: m?.annotations ?? {} };
};

test('the annotation is Go\'s json.Marshal of PodTemplateMetadata; unreadable ones count as none', () => {
  assert.equal(marshalPodMetadata({ annotations: { b: '<&>', a: '1' }, labels: { z: 'z', role: 'canary' } }), '{"labels":{"role":"canary","z":"z"},"annotations":{"a":"1","b":"\\u003c\\u0026\\u003e"}}');
  assert.equal(marshalPodMetadata({ labels: {} }), '{}');
  const rs = (v: string) => ({ metadata: { name: 'x', annotations: { [ANNOTATION]: v } }, spec: {} }) as ReplicaSet;
  assert.deepEqual(parseExistingPodMetadata(rs('{"labels":{"role":"canary"}}')), { labels: { role: 'canary' } });
  assert.equal(parseExistingPodMetadata(rs('not json')), undefined);
  assert.equal(parseExistingPodMetadata(rs('{"labels":{"n":1}}')), undefined);
});

test('SyncEphemeralPodMetadata removes only keys it injected before, leaves the rest', () => {
  const current = { labels: { app: 'web', role: 'canary', track: 'new', mine: 'x' }, annotations: { note: 'c', other: 'o' } };
  const s = syncEphemeralPodMetadata(current, { labels: { role: 'canary', track: 'new' }, annotations: { note: 'c', gone: 'g' } }, { labels: { role: 'stable' } });
  assert.deepEqual(s, { modified: true, labels: { role: 'stable', track: null }, annotations: { note: null } });
  assert.deepEqual(syncEphemeralPodMetadata(current, { labels: { role: 'canary' } }, { labels: { role: 'canary' } }), { modified: false, labels: {}, annotations: {} });
});

test('canary: first deploy gets stableMetadata; the canary\'s pods canaryMetadata; after promotion the same pods carry stableMetadata', () => {
  const sim = withPods(newSim(canary({ canaryMetadata: CANARY, stableMetadata: STABLE }), T0, ['web-canary', 'web-stable']));
  runToRest(sim);
  const v1 = sim.rollout.status?.stableRS;
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  const rs1 = rsByHash(sim, v1);
  assert.deepEqual(metaOf(rs1.spec.template?.metadata), { labels: { app: 'web', role: 'stable' }, annotations: { 'owned.by/template': 'yes' } });
  assert.equal(rs1.metadata.annotations?.[ANNOTATION], '{"labels":{"role":"stable"}}');
  assert.equal(rs1.metadata.labels?.role, undefined, 'the ReplicaSet\'s own labels stay as they were');
  assert.equal(podsOf(sim, v1).length, 4);
  for (const p of podsOf(sim, v1)) assert.equal(p.metadata.labels?.role, 'stable');

  setCanaryImage(sim, 'nginx:1.26');
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Paused');
  const v2 = sim.rollout.status?.currentPodHash;
  const rs2 = rsByHash(sim, v2);
  assert.deepEqual(metaOf(rs2.spec.template?.metadata), { labels: { app: 'web', role: 'canary', track: 'new' }, annotations: { 'owned.by/template': 'yes', 'example.com/note': 'canary pod' } });
  assert.equal(rs2.metadata.annotations?.[ANNOTATION], '{"labels":{"role":"canary","track":"new"},"annotations":{"example.com/note":"canary pod"}}');
  const canaryPods = names(podsOf(sim, v2));
  assert.equal(canaryPods.length, 2);
  for (const p of podsOf(sim, v2)) assert.deepEqual(metaOf(p.metadata), metaOf(rs2.spec.template?.metadata));
  for (const p of podsOf(sim, v1)) assert.equal(p.metadata.labels?.role, 'stable');

  promoteIn(sim);
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Healthy');
  assert.equal(sim.rollout.status?.stableRS, v2);
  assert.deepEqual(metaOf(rs2.spec.template?.metadata), { labels: { app: 'web', role: 'stable' }, annotations: { 'owned.by/template': 'yes' } });
  assert.equal(rs2.metadata.annotations?.[ANNOTATION], '{"labels":{"role":"stable"}}');
  const after = podsOf(sim, v2);
  assert.equal(after.length, 4);
  for (const name of canaryPods) assert.ok(after.some((p) => p.metadata.name === name), `canary pod ${name} kept (labelled in place, not replaced)`);
  for (const p of after) assert.deepEqual(metaOf(p.metadata), { labels: { app: 'web', role: 'stable' }, annotations: { 'owned.by/template': 'yes' } }, p.metadata.name);
  // The old stable is no longer stable: its template loses the injected keys (its pods are gone).
  assert.deepEqual(metaOf(rs1.spec.template?.metadata), { labels: { app: 'web' }, annotations: { 'owned.by/template': 'yes' } });
  assert.equal(rs1.metadata.annotations?.[ANNOTATION], undefined);
  assert.equal(decide(sim.rollout, sim.observed, sim.now).actions.length, 0, 'at rest');
});

test('canary: the first reconcile that sees the promotion updates the ReplicaSet before its pods, and only the pods that differ', () => {
  const sim = withPods(newSim(canary({ canaryMetadata: CANARY, stableMetadata: STABLE }), T0, ['web-canary', 'web-stable']));
  runToRest(sim);
  setCanaryImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash as string;
  promoteIn(sim);
  // Reconcile until the status records v2 as stable; the metadata follows from the next one on.
  for (let i = 0; sim.rollout.status?.stableRS !== v2; i++) {
    assert.ok(i < 10, 'promoted');
    tick(sim);
  }
  const pods = podsOf(sim, v2);
  assert.ok(pods.length >= 2);
  for (const p of pods) assert.equal(p.metadata.labels?.role, 'canary', 'nothing moved yet');
  // One pod already looks as it will: it needs no patch.
  const [done, ...rest] = pods;
  done!.metadata.labels = { app: 'web', [HASH]: v2, role: 'stable' };
  done!.metadata.annotations = { 'owned.by/template': 'yes' };
  const actions = decide(sim.rollout, sim.observed, sim.now).actions.filter((a) => a.kind === 'updateReplicaSetPodTemplate' || a.kind === 'patchPodMetadata');
  assert.deepEqual(actions[0], {
    kind: 'updateReplicaSetPodTemplate',
    name: `web-${v2}`,
    annotations: { [ANNOTATION]: '{"labels":{"role":"stable"}}' },
    templateLabels: { role: 'stable', track: null },
    templateAnnotations: { 'example.com/note': null },
  });
  assert.deepEqual(
    actions.slice(1).filter((a) => a.kind === 'patchPodMetadata' && a.name.startsWith(`web-${v2}`)),
    rest.map((p) => ({ kind: 'patchPodMetadata', name: p.metadata.name, labels: { role: 'stable', track: null }, annotations: { 'example.com/note': null } })),
  );
});

test('canary abort: the canary keeps canaryMetadata while it scales down; the stable keeps stableMetadata', () => {
  const sim = withPods(newSim(canary({ canaryMetadata: CANARY, stableMetadata: STABLE }), T0, ['web-canary', 'web-stable']));
  runToRest(sim);
  const v1 = sim.rollout.status?.stableRS;
  setCanaryImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash;
  patch(sim, { status: abort().ok ? { abort: true } : {} });
  runToRest(sim);
  assert.equal(sim.rollout.status?.phase, 'Degraded');
  assert.equal(rsByHash(sim, v2).metadata.annotations?.[ANNOTATION], marshalPodMetadata(CANARY));
  for (const p of podsOf(sim, v1)) assert.equal(p.metadata.labels?.role, 'stable');
});

test('only one of the two configured: the other role gets nothing, and loses what it had', () => {
  const sim = withPods(newSim(canary({ stableMetadata: STABLE }), T0, ['web-canary', 'web-stable']));
  runToRest(sim);
  setCanaryImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash;
  assert.equal(rsByHash(sim, v2).metadata.annotations?.[ANNOTATION], undefined, 'no canaryMetadata: nothing injected into the canary');
  for (const p of podsOf(sim, v2)) assert.equal(p.metadata.labels?.role, undefined);
});

test('changing the metadata in the spec re-labels the pods in place; removing it altogether cleans up (deviation: Argo leaves it)', () => {
  const sim = withPods(newSim(canary({ stableMetadata: { labels: { role: 'stable', tier: 'gold' } } }), T0, ['web-canary', 'web-stable']));
  runToRest(sim);
  const v1 = sim.rollout.status?.stableRS;
  const before = names(podsOf(sim, v1));
  sim.rollout.spec.strategy!.canary!.stableMetadata = { labels: { role: 'primary' } };
  runToRest(sim);
  assert.equal(sim.rollout.status?.stableRS, v1, 'metadata is not part of the template: no new revision');
  assert.deepEqual(names(podsOf(sim, v1)), before);
  for (const p of podsOf(sim, v1)) assert.deepEqual(metaOf(p.metadata).labels, { app: 'web', role: 'primary' });

  delete sim.rollout.spec.strategy!.canary!.stableMetadata;
  runToRest(sim);
  const rs1 = rsByHash(sim, v1);
  assert.equal(rs1.metadata.annotations?.[ANNOTATION], undefined);
  assert.deepEqual(metaOf(rs1.spec.template?.metadata).labels, { app: 'web' });
  for (const p of podsOf(sim, v1)) assert.deepEqual(metaOf(p.metadata).labels, { app: 'web' });
  assert.deepEqual(names(podsOf(sim, v1)), before);
});

test('blue-green: the preview\'s pods get previewMetadata, the active\'s activeMetadata; after promotion the same pods carry activeMetadata', () => {
  const sim = withPods(newSim(bgRollout({ autoPromotionEnabled: false, scaleDownDelaySeconds: 5, previewMetadata: { labels: { role: 'preview' } }, activeMetadata: { labels: { role: 'active' }, annotations: { live: 'true' } } }), T0, ['web-active', 'web-preview']));
  runToRest(sim);
  const v1 = sim.rollout.status?.stableRS;
  for (const p of podsOf(sim, v1)) assert.deepEqual([p.metadata.labels?.role, p.metadata.annotations?.live], ['active', 'true']);

  setImage(sim, 'nginx:1.26');
  runToRest(sim);
  const v2 = sim.rollout.status?.currentPodHash;
  assert.equal(sim.rollout.status?.message, 'BlueGreenPause');
  assert.equal(selectorOf(sim, 'web-preview'), v2);
  const preview = names(podsOf(sim, v2));
  assert.equal(preview.length, 3);
  for (const p of podsOf(sim, v2)) assert.deepEqual([p.metadata.labels?.role, p.metadata.annotations?.live], ['preview', undefined]);
  for (const p of podsOf(sim, v1)) assert.equal(p.metadata.labels?.role, 'active');

  promoteIn(sim);
  runToRest(sim);
  assert.equal(sim.rollout.status?.stableRS, v2);
  assert.equal(selectorOf(sim, 'web-active'), v2);
  assert.deepEqual(names(podsOf(sim, v2)), preview, 'the same pods');
  for (const p of podsOf(sim, v2)) assert.deepEqual([p.metadata.labels?.role, p.metadata.annotations?.live], ['active', 'true']);
  assert.equal(rsByHash(sim, v1).metadata.annotations?.[ANNOTATION], undefined, 'the old active is no longer active');
  advance(sim, 5_001);
  runToRest(sim);
  assert.equal(podsOf(sim, v1).length, 0);
});
