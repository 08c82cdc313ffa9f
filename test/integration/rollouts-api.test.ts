// The Rollouts HTTP API through buildApp().inject() with the real use case on the test bed:
// bearer auth, 404/409/400 as JSON, and each verb's effect on the Rollout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { buildApp } from '../../src/server/build-app.ts';
import { createReadiness } from '../../src/server/readiness.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createRolloutCommands } from '../../src/rollouts/rollout-commands.ts';
import type { Cluster } from '../../src/ports/cluster.ts';
import type { Rollout } from '../../src/engine/types.ts';
import { aborted, createAnalysisRun, createReplicaSet, createRollout, healthy, pausedAtStep, rolloutRef } from '../helpers/rollout-objects.ts';

const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig);
const TOKEN = 'rollouts-api-test-token';
before(() => installCrds(cluster.kubeConfig));
after(() => client.close());

function app(t: { after(fn: () => unknown): void }, options: { apiToken?: string | undefined; kube?: Cluster } = {}): FastifyInstance {
  const { apiToken, kube } = { apiToken: TOKEN, kube: client, ...options };
  const logger = createLogger({ level: 'silent', format: 'json', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const instance = buildApp({ logger, metrics: createMetricsRegistry(), readiness: createReadiness(), apiToken, rolloutCommands: createRolloutCommands(kube, () => new Date()) });
  t.after(() => instance.close());
  return instance;
}

const auth = { authorization: `Bearer ${TOKEN}` };
const read = async (ns: string, name: string) => (await client.get(rolloutRef(ns, name))) as unknown as Rollout;

test('writes need the bearer token: 401 without or with a wrong one, 403 when no token is configured', async (t) => {
  const ns = await cluster.newNamespace(t, 'api-auth');
  await createRollout(client, ns, 'web', { status: pausedAtStep() });
  const api = app(t);
  const url = `/api/v1/namespaces/${ns}/rollouts/web/promote`;
  const none = await api.inject({ method: 'POST', url });
  assert.equal(none.statusCode, 401);
  assert.deepEqual(none.json(), { error: 'UNAUTHORIZED', message: 'a valid bearer token is required', statusCode: 401 });
  assert.equal((await api.inject({ method: 'POST', url, headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  // Auth comes before the body is looked at.
  assert.equal((await api.inject({ method: 'POST', url, payload: { full: 'very' } })).statusCode, 401);
  assert.equal((await app(t, { apiToken: undefined }).inject({ method: 'POST', url, headers: auth })).statusCode, 403);
  assert.equal((await read(ns, 'web')).status?.pauseConditions?.length, 1, 'nothing changed');
});

test('an unknown rollout is a JSON 404 for reads and writes', async (t) => {
  const ns = await cluster.newNamespace(t, 'api-404');
  const api = app(t);
  const get = await api.inject({ method: 'GET', url: `/api/v1/namespaces/${ns}/rollouts/nope` });
  assert.equal(get.statusCode, 404);
  assert.deepEqual(get.json(), { error: 'NOT_FOUND', message: `rollout "nope" not found in namespace "${ns}"`, statusCode: 404 });
  for (const verb of ['promote', 'abort', 'retry', 'pause', 'undo', 'restart']) {
    const res = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/nope/${verb}`, headers: auth });
    assert.equal(res.statusCode, 404, verb);
  }
  const setImage = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/nope/set-image`, headers: auth, payload: { container: 'app', image: 'x:2' } });
  assert.equal(setImage.statusCode, 404);
});

test('promote answers 200 and clears the pause; ?full=true and {"full":true} promote fully', async (t) => {
  const ns = await cluster.newNamespace(t, 'api-promote');
  await createRollout(client, ns, 'web', { paused: true, status: pausedAtStep() });
  await createRollout(client, ns, 'api', { status: pausedAtStep() });
  const api = app(t);
  const res = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/promote`, headers: auth });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().message, "rollout 'web' promoted");
  assert.equal(res.json().rollout.status.pauseConditions, undefined);
  const live = await read(ns, 'web');
  assert.deepEqual([live.spec.paused, live.status?.pauseConditions], [false, undefined]);

  const full = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/promote?full=true`, headers: auth });
  assert.deepEqual([full.statusCode, full.json().message], [200, "rollout 'web' fully promoted"]);
  assert.equal((await read(ns, 'web')).status?.promoteFull, true);
  const fullBody = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/api/promote`, headers: auth, payload: { full: true } });
  assert.equal(fullBody.statusCode, 200);
  assert.equal((await read(ns, 'api')).status?.promoteFull, true);
});

test('abort, retry, pause and restart answer 200 with the patched Rollout', async (t) => {
  const ns = await cluster.newNamespace(t, 'api-verbs');
  await createRollout(client, ns, 'web', { status: pausedAtStep() });
  const api = app(t);
  const post = (verb: string, payload?: object) => api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/${verb}`, headers: auth, ...(payload ? { payload } : {}) });
  assert.equal((await post('abort')).json().rollout.status.abort, true);
  assert.equal((await post('retry')).json().rollout.status.abort, false);
  assert.equal((await post('pause')).json().rollout.spec.paused, true);
  const restart = await post('restart', { inSeconds: 60 });
  assert.equal(restart.statusCode, 200);
  assert.equal(restart.json().message, "rollout 'web' restarts in 1m");
  assert.ok(Date.parse(restart.json().rollout.spec.restartAt) > Date.now() + 50_000);
});

test('undo to a revision that does not exist, or set-image of an unknown container, is 409', async (t) => {
  const ns = await cluster.newNamespace(t, 'api-409');
  const ro = await createRollout(client, ns, 'web', { image: 'nginx:1.26' });
  await createReplicaSet(client, ro, { hash: 'aaaa1', revision: 1, image: 'nginx:1.25' });
  const api = app(t);
  const undo = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/undo`, headers: auth, payload: { toRevision: 4 } });
  assert.equal(undo.statusCode, 409);
  assert.deepEqual(undo.json(), { error: 'CONFLICT', message: 'cannot undo rollout "web": unable to find specified revision 4 in history', statusCode: 409 });
  const setImage = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/set-image`, headers: auth, payload: { container: 'sidecar', image: 'envoy:1' } });
  assert.equal(setImage.statusCode, 409);

  const ok = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/undo`, headers: auth, payload: { toRevision: 1 } });
  assert.deepEqual([ok.statusCode, ok.json().message], [200, "rollout 'web' undo"]);
  const image = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/set-image`, headers: auth, payload: { container: '*', image: 'nginx:2' } });
  assert.equal(image.statusCode, 200);
  assert.equal(((await read(ns, 'web')).spec.template?.spec?.containers as Array<{ image: string }>)[0]?.image, 'nginx:2');
});

test('a bad body is 400: wrong types, unknown keys, missing fields', async (t) => {
  const ns = await cluster.newNamespace(t, 'api-400');
  await createRollout(client, ns, 'web', { status: pausedAtStep() });
  const api = app(t);
  const post = (verb: string, payload: unknown) =>
    api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/${verb}`, headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  for (const [verb, payload] of [
    ['undo', { toRevision: 'latest' }],
    ['undo', { toRevision: -1 }],
    ['restart', { inSeconds: 1.5 }],
    ['promote', { full: 'yes' }],
    ['promote', { ful: true }],
    ['abort', { reason: 'because' }],
    ['set-image', {}],
    ['set-image', { container: 'app' }],
    ['set-image', { container: '', image: 'x:1' }],
    ['set-image', [1, 2]],
  ] as const) {
    const res = await post(verb, payload);
    assert.equal(res.statusCode, 400, `${verb} ${JSON.stringify(payload)}`);
    assert.equal(res.json().statusCode, 400);
    assert.equal(typeof res.json().message, 'string');
  }
  const noBody = await api.inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/set-image`, headers: auth });
  assert.equal(noBody.statusCode, 400);
  assert.equal((await read(ns, 'web')).status?.abort, undefined, 'nothing was patched');
});

test('GET lists summaries and shows one Rollout with its ReplicaSets, pods and AnalysisRuns with their metrics', async (t) => {
  const ns = await cluster.newNamespace(t, 'api-get');
  const background = { currentBackgroundAnalysisRunStatus: { name: 'web-bbbb2-2', status: 'Running' as const } };
  const ro = await createRollout(client, ns, 'web', { replicas: 1, image: 'nginx:1.26', status: { ...pausedAtStep(), canary: background } });
  await createReplicaSet(client, ro, { hash: 'aaaa1', revision: 1, image: 'nginx:1.25' });
  await createReplicaSet(client, ro, { hash: 'bbbb2', revision: 2, image: 'nginx:1.26' });
  const at = `${new Date().toISOString().slice(0, 19)}Z`;
  const refused = 'Post "http://prometheus.monitoring:9090/api/v1/query": dial tcp: connect: connection refused';
  await createAnalysisRun(client, ro, {
    name: 'web-bbbb2-2',
    revision: 2,
    type: 'Background',
    metrics: [{ name: 'p95-latency', interval: '1m', successCondition: 'result[0] < 0.25', provider: { prometheus: { address: 'http://prometheus.monitoring:9090', query: 'p95' } } }],
    status: {
      phase: 'Running',
      metricResults: [{
        name: 'p95-latency', phase: 'Running', count: 1, successful: 1, error: 1,
        measurements: [{ phase: 'Successful', value: '[0.18]', startedAt: at, finishedAt: at }, { phase: 'Error', message: refused, startedAt: at, finishedAt: at }],
      }],
    },
  });
  await createRollout(client, ns, 'api', { status: healthy() });
  await createRollout(client, ns, 'bad', { status: aborted() });
  const api = app(t);

  const list = await api.inject({ method: 'GET', url: `/api/v1/namespaces/${ns}/rollouts` });
  assert.equal(list.statusCode, 200);
  const rollouts = list.json().rollouts as Array<Record<string, unknown>>;
  assert.deepEqual(rollouts.map((r) => [r.name, r.phase, r.message]), [
    ['api', 'Healthy', ''],
    ['bad', 'Degraded', 'RolloutAborted: Rollout aborted update to revision 2'],
    ['web', 'Paused', 'CanaryPauseStep'],
  ]);
  const web = rollouts[2] as Record<string, unknown>;
  assert.deepEqual(web.step, { index: 1, count: 4 });
  assert.equal(web.setWeight, 20);
  assert.deepEqual(web.replicas, { desired: 1, current: 3, updated: 1, ready: 3, available: 3 });
  const everywhere = await api.inject({ method: 'GET', url: '/api/v1/rollouts' });
  assert.ok((everywhere.json().rollouts as Array<{ namespace: string }>).filter((r) => r.namespace === ns).length === 3);

  const one = await api.inject({ method: 'GET', url: `/api/v1/namespaces/${ns}/rollouts/web` });
  assert.equal(one.statusCode, 200);
  const body = one.json();
  assert.equal(body.rollout.metadata.name, 'web');
  assert.equal(body.summary.phase, 'Paused');
  assert.deepEqual(
    (body.replicaSets as Array<{ name: string; revision: number; tags: string[]; pods: unknown[] }>).map((rs) => [rs.name, rs.revision, rs.tags, rs.pods]),
    [
      ['web-bbbb2', 2, ['canary'], []],
      ['web-aaaa1', 1, ['stable'], []],
    ],
  );
  assert.deepEqual(body.summary.currentAnalysisRuns, [{ type: 'Background', name: 'web-bbbb2-2', status: 'Running' }]);
  assert.deepEqual(body.analysisRuns, [{
    name: 'web-bbbb2-2', revision: 2, status: 'Running', type: 'Background', createdAt: body.analysisRuns[0]?.createdAt,
    successful: 1, failed: 0, inconclusive: 0, error: 1,
    metrics: [{
      name: 'p95-latency', phase: 'Running', dryRun: false, count: 1, successful: 1, failed: 0, inconclusive: 0, error: 1,
      latest: { phase: 'Error', message: refused, startedAt: at, finishedAt: at },
    }],
  }]);
  assert.match(body.analysisRuns[0]?.createdAt ?? '', /^\d{4}-\d\d-\d\dT/);
  // The list keeps its summaries; the current run rides along only where the Rollout has one.
  assert.deepEqual(rollouts.map((r) => (r.currentAnalysisRuns as Array<{ name: string }> | undefined)?.map((a) => a.name)), [undefined, undefined, ['web-bbbb2-2']]);
});

test('a concurrent change between read and patch is retried, not overwritten: promote advances exactly one step', async (t) => {
  const ns = await cluster.newNamespace(t, 'api-conflict');
  await createRollout(client, ns, 'web', { status: { ...healthy(), currentPodHash: 'bbbb2', currentStepIndex: 0 } });
  let interfered = false;
  // Someone else moves the step on just before our first status patch lands.
  const racing: Cluster = Object.create(client, {
    patchStatus: {
      value: async (ref: Parameters<Cluster['patchStatus']>[0], patch: unknown) => {
        if (!interfered) {
          interfered = true;
          await client.patchStatus(ref, { status: { currentStepIndex: 2 } });
        }
        return client.patchStatus(ref, patch);
      },
    },
  }) as Cluster;
  const res = await app(t, { kube: racing }).inject({ method: 'POST', url: `/api/v1/namespaces/${ns}/rollouts/web/promote`, headers: auth });
  assert.equal(res.statusCode, 200);
  assert.equal((await read(ns, 'web')).status?.currentStepIndex, 3, 'computed again from step 2, not written from the stale step 0');
});
