// Ephemeral pod metadata and anti-affinity end to end: a real Sluice process labels the real pods
// the real ReplicaSet controller made (ready through the node simulator) in place, moves the labels
// with the role on promotion without recreating a pod, and injects / removes the anti-affinity
// term in the new ReplicaSet's pod template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rolloutEnv, canaryRollout, bgRollout, isHealthy, type RolloutEnv } from '../helpers/rollout-env.ts';
import { promote } from '../../src/engine/lifecycle.ts';
import type { JsonObject, PodTemplateMetadata, ReplicaSet, Rollout } from '../../src/engine/types.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import { waitFor } from '../helpers/wait-for.ts';

const HASH = 'rollouts-pod-template-hash';
const ANNOTATION = 'rollout.argoproj.io/ephemeral-metadata';
const ref = (env: RolloutEnv) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: env.ns, name: 'web' });

interface LivePod {
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  affinity?: JsonObject;
}

/** The live pods of one revision (by hash), not being deleted. */
async function podsOf(env: RolloutEnv, hash: string): Promise<LivePod[]> {
  const { items } = await env.client.list<KubeObject & { spec?: { affinity?: JsonObject } }>({ apiVersion: 'v1', kind: 'Pod', namespace: env.ns, labelSelector: `${HASH}=${hash}` });
  return items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map((p) => ({ name: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '', labels: p.metadata?.labels ?? {}, annotations: p.metadata?.annotations ?? {}, ...(p.spec?.affinity ? { affinity: p.spec.affinity } : {}) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function rsOf(env: RolloutEnv, hash: string): Promise<ReplicaSet> {
  const rs = (await env.replicaSets('web')).find((r) => r.metadata.labels?.[HASH] === hash);
  assert.ok(rs, `ReplicaSet of ${hash}`);
  return rs;
}

/** Waits until every live pod of `hash` (and there are `count`) carries the labels and annotations in `want` and none of `gone`. */
async function waitForPods(env: RolloutEnv, hash: string, count: number, want: PodTemplateMetadata, gone: { labels?: string[]; annotations?: string[] } = {}): Promise<LivePod[]> {
  let pods: LivePod[] = [];
  const fits = (p: LivePod) =>
    Object.entries(want.labels ?? {}).every(([k, v]) => p.labels[k] === v) &&
    Object.entries(want.annotations ?? {}).every(([k, v]) => p.annotations[k] === v) &&
    (gone.labels ?? []).every((k) => !(k in p.labels)) &&
    (gone.annotations ?? []).every((k) => !(k in p.annotations));
  try {
    await waitFor(`pods of ${hash}`, async () => {
      pods = await podsOf(env, hash);
      return pods.length === count && pods.every(fits);
    }, 60_000, 200);
  } catch {
    assert.fail(`pods of ${hash}: want ${count} with ${JSON.stringify(want)} and without ${JSON.stringify(gone)}, have ${JSON.stringify(pods.map((p) => ({ name: p.name, labels: p.labels, annotations: p.annotations })))}`);
  }
  return pods;
}

async function operate(env: RolloutEnv, op: (ro: Rollout) => { ok: boolean; patch?: { spec?: unknown; status?: unknown }; error?: string }) {
  const result = op(await env.rollout('web'));
  assert.ok(result.ok, result.error);
  if (result.patch?.spec) await env.client.patch(ref(env), { spec: result.patch.spec });
  if (result.patch?.status) await env.client.patchStatus(ref(env), { status: result.patch.status });
}

async function setImage(env: RolloutEnv, image: string) {
  await env.client.patch(ref(env), { spec: { template: { spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } } } });
}

const CANARY: PodTemplateMetadata = { labels: { role: 'canary', track: 'new' }, annotations: { 'example.com/note': 'canary pod' } };
const STABLE: PodTemplateMetadata = { labels: { role: 'stable' } };

test('canaryMetadata/stableMetadata: the canary pods carry the canary labels; after promotion the same pods carry the stable ones', async (t) => {
  const env = await rolloutEnv(t, 'canary-meta');
  await env.services('web-canary', 'web-stable');
  const ro = canaryRollout(env.ns, { image: 'example/web:1', replicas: 4, steps: [{ setWeight: 50 }, { pause: {} }] });
  Object.assign((ro.spec as { strategy: { canary: object } }).strategy.canary, { canaryMetadata: CANARY, stableMetadata: STABLE });
  await env.client.apply(ro);
  const first = await env.waitForRollout('web', 'first deploy Healthy', isHealthy);
  const v1 = first.status?.stableRS as string;
  const stablePods = await waitForPods(env, v1, 4, STABLE, { labels: ['track'] });
  assert.equal((await rsOf(env, v1)).metadata.annotations?.[ANNOTATION], '{"labels":{"role":"stable"}}');

  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'paused at the pause step', (r) => r.status?.phase === 'Paused' && r.status?.currentPodHash !== v1);
  const v2 = paused.status?.currentPodHash as string;
  const canaryPods = await waitForPods(env, v2, 2, CANARY);
  const rs2 = await rsOf(env, v2);
  assert.equal(rs2.spec.template?.metadata?.labels?.role, 'canary');
  assert.equal(rs2.spec.template?.metadata?.annotations?.['example.com/note'], 'canary pod');
  assert.equal(rs2.metadata.annotations?.[ANNOTATION], '{"labels":{"role":"canary","track":"new"},"annotations":{"example.com/note":"canary pod"}}');
  assert.equal(rs2.metadata.labels?.role, undefined, 'the ReplicaSet\'s own labels are not touched');
  const stillStable = await waitForPods(env, v1, 2, STABLE);
  assert.ok(stillStable.every((p) => stablePods.some((s) => s.uid === p.uid)), 'stable pods are the ones from before');

  await operate(env, (r) => promote(r, {}));
  await env.waitForRollout('web', 'Healthy on v2', (r) => isHealthy(r) && r.status?.stableRS === v2);
  const promoted = await waitForPods(env, v2, 4, STABLE, { labels: ['track'], annotations: ['example.com/note'] });
  for (const p of canaryPods) {
    assert.ok(promoted.some((q) => q.name === p.name && q.uid === p.uid), `canary pod ${p.name} relabelled in place (same uid), not recreated`);
  }
  const rs2After = await rsOf(env, v2);
  assert.equal(rs2After.metadata.annotations?.[ANNOTATION], '{"labels":{"role":"stable"}}');
  assert.equal(rs2After.spec.template?.metadata?.labels?.role, 'stable');
  assert.equal(rs2After.spec.template?.metadata?.labels?.track, undefined);
  assert.equal(rs2After.spec.template?.metadata?.annotations?.['example.com/note'], undefined);
  await waitFor('the old stable ReplicaSet no longer records injected metadata', async () => (await rsOf(env, v1)).metadata.annotations?.[ANNOTATION] === undefined);
  assert.equal((await rsOf(env, v1)).spec.template?.metadata?.labels?.role, undefined);
});

test('previewMetadata/activeMetadata: the preview pods carry the preview labels; after the switch and promotion the same pods carry the active ones', async (t) => {
  const env = await rolloutEnv(t, 'bg-meta');
  await env.services('web-active', 'web-preview');
  const PREVIEW: PodTemplateMetadata = { labels: { role: 'preview' }, annotations: { 'example.com/preview': 'yes' } };
  const ACTIVE: PodTemplateMetadata = { labels: { role: 'active' } };
  await env.client.apply(bgRollout(env.ns, { autoPromotionEnabled: false, scaleDownDelaySeconds: 2, previewMetadata: PREVIEW, activeMetadata: ACTIVE }));
  const first = await env.waitForRollout('web', 'first deploy Healthy', isHealthy);
  const v1 = first.status?.stableRS as string;
  await waitForPods(env, v1, 2, ACTIVE);

  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'BlueGreenPause', (r) => r.status?.phase === 'Paused' && r.status?.currentPodHash !== v1);
  const v2 = paused.status?.currentPodHash as string;
  const previewPods = await waitForPods(env, v2, 2, PREVIEW);
  await waitForPods(env, v1, 2, ACTIVE, { annotations: ['example.com/preview'] });

  await operate(env, (r) => promote(r, {}));
  await env.waitForRollout('web', 'Healthy on v2', (r) => isHealthy(r) && r.status?.stableRS === v2);
  const active = await waitForPods(env, v2, 2, ACTIVE, { annotations: ['example.com/preview'] });
  assert.deepEqual(active.map((p) => [p.name, p.uid]), previewPods.map((p) => [p.name, p.uid]), 'the same pods, relabelled in place');
  assert.equal((await rsOf(env, v2)).metadata.annotations?.[ANNOTATION], '{"labels":{"role":"active"}}');
});

test('antiAffinity: the new ReplicaSet\'s pod template (and its pods) keep away from the stable hash; the term goes once the old ReplicaSet is gone', async (t) => {
  const env = await rolloutEnv(t, 'anti-affinity');
  await env.services('web-active', 'web-preview');
  await env.client.apply(bgRollout(env.ns, { autoPromotionEnabled: false, scaleDownDelaySeconds: 2, antiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } }));
  const first = await env.waitForRollout('web', 'first deploy Healthy', isHealthy);
  const v1 = first.status?.stableRS as string;
  assert.equal((await rsOf(env, v1)).spec.template?.spec?.affinity, undefined, 'nothing to keep away from on the first deploy');

  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'BlueGreenPause', (r) => r.status?.phase === 'Paused' && r.status?.currentPodHash !== v1);
  const v2 = paused.status?.currentPodHash as string;
  const term = { labelSelector: { matchExpressions: [{ key: HASH, operator: 'In', values: [v1] }] }, namespaces: [env.ns], topologyKey: 'kubernetes.io/hostname' };
  assert.deepEqual((await rsOf(env, v2)).spec.template?.spec?.affinity, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } });
  const pods = await podsOf(env, v2);
  assert.equal(pods.length, 2);
  for (const p of pods) assert.deepEqual(p.affinity, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }, `pod ${p.name} was created with the term`);

  await operate(env, (r) => promote(r, {}));
  await env.waitForRollout('web', 'Healthy on v2', (r) => isHealthy(r) && r.status?.stableRS === v2);
  await waitFor('the old ReplicaSet scaled down', async () => (await rsOf(env, v1)).spec.replicas === 0, 30_000);
  await waitFor('the term removed from the stable ReplicaSet\'s template', async () => (await rsOf(env, v2)).spec.template?.spec?.affinity === undefined, 30_000);
  const after = await podsOf(env, v2);
  assert.deepEqual(after.map((p) => p.uid), pods.map((p) => p.uid), 'no pod recreated by the template change');
});
