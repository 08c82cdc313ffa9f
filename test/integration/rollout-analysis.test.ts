// Canary analysis end to end: a real Sluice process runs Rollouts whose steps wait on AnalysisRuns
// measured against a real Prometheus (scraping an exporter the test controls), a local web server
// and Jobs run by the real Job controller. Verdicts drive the Rollout: Successful → next step,
// Failed → abort with all traffic on stable, Inconclusive → pause until promoted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { rolloutEnv, canaryRollout, isHealthy, type RolloutEnv } from '../helpers/rollout-env.ts';
import { promote } from '../../src/engine/lifecycle.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { AnalysisRun } from '../../src/engine/analysis/types.ts';
import { startMetricsExporter, type MetricsExporter } from '../testbed/metrics-exporter.ts';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../testbed/prometheus.ts';
import { waitFor } from '../helpers/wait-for.ts';

const HASH = 'rollouts-pod-template-hash';
const skipProm = prometheusAvailable() ? false : 'prometheus is not installed (scripts/install-system-packages.sh installs it)';
const SECRET_TOKEN = 'analysis-secret-token-5f1c9d0e7a';

let dir: string;
let exporter: MetricsExporter;
let prom: PrometheusServer;
let web: Server;
let webUrl: string;
const webSockets = new Set<Socket>();
const authSeen: string[] = [];

before(async () => {
  web = createServer((req, res) => {
    authSeen.push(req.headers.authorization ?? '');
    const ok = req.headers.authorization === `Bearer ${SECRET_TOKEN}`;
    res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ healthy: ok, p99: 0.12 }));
  });
  web.on('connection', (s) => {
    webSockets.add(s);
    s.on('close', () => webSockets.delete(s));
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  if (skipProm) return;
  dir = mkdtempSync(join(tmpdir(), 'sluice-ro-analysis-'));
  exporter = await startMetricsExporter();
  exporter.setGauge('checkout_success_ratio', 0.99, { revision: 'good' });
  exporter.setGauge('checkout_success_ratio', 0.42, { revision: 'bad' });
  exporter.setGauge('checkout_success_ratio', 0.8, { revision: 'unsure' });
  prom = await startPrometheus({ scrapeTargets: [exporter.target], dir, scrapeIntervalSeconds: 1 });
  await waitFor('prometheus to scrape the exporter', async () => {
    const answer = await prom.query('checkout_success_ratio').catch(() => undefined);
    return Array.isArray(answer?.data?.result) && answer.data.result.length === 3;
  }, 20_000, 250);
});

after(async () => {
  for (const s of webSockets) s.destroy();
  await new Promise<void>((r) => web.close(() => r()));
  await prom?.stop();
  await exporter?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ref = (env: RolloutEnv) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: env.ns, name: 'web' });

async function setImage(env: RolloutEnv, image: string) {
  await env.client.patch(ref(env), { spec: { template: { spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } } } });
}

/** A template measuring checkout_success_ratio for the revision the Rollout passes in. */
function prometheusTemplate(ns: string) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'success-rate', namespace: ns },
    spec: {
      args: [{ name: 'revision' }, { name: 'canary-hash' }],
      metrics: [{
        name: 'success-rate',
        interval: '1s',
        count: 2,
        successCondition: 'result[0] >= 0.95',
        failureCondition: 'result[0] < 0.5',
        provider: { prometheus: { address: prom.address, query: 'checkout_success_ratio{revision="{{args.revision}}"}' } },
      }],
    },
  };
}

function analysisStep(revision: string) {
  return { analysis: { templates: [{ templateName: 'success-rate' }], args: [{ name: 'revision', value: revision }, { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } }] } };
}

async function runsOf(env: RolloutEnv): Promise<AnalysisRun[]> {
  const list = await env.client.list<KubeObject>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', namespace: env.ns });
  return list.items as unknown as AnalysisRun[];
}

async function replicasByHash(env: RolloutEnv) {
  return Object.fromEntries((await env.replicaSets('web')).map((rs) => [rs.metadata.labels?.[HASH] ?? '', rs.spec.replicas]));
}

async function firstDeploy(env: RolloutEnv, steps: unknown[]) {
  await env.services('web-canary', 'web-stable');
  await env.client.apply(canaryRollout(env.ns, { image: 'example/web:1', steps, replicas: 2 }));
  return env.waitForRollout('web', 'first deploy Healthy', isHealthy);
}

test('Prometheus analysis passing: the step completes and the Rollout becomes Healthy', { skip: skipProm }, async (t) => {
  const env = await rolloutEnv(t, 'ana-pass');
  await env.client.apply(prometheusTemplate(env.ns));
  const first = await firstDeploy(env, [{ setWeight: 50 }, analysisStep('good'), { setWeight: 100 }]);
  assert.deepEqual(await runsOf(env), [], 'no analysis on the first deploy');
  await setImage(env, 'example/web:2');
  const done = await env.waitForRollout('web', 'Healthy on revision 2', (ro) => isHealthy(ro) && ro.status?.stableRS !== first.status?.stableRS);
  const [run] = await runsOf(env);
  assert.ok(run);
  const hash = done.status?.currentPodHash ?? '';
  assert.equal(run.metadata?.name, `web-${hash}-2-1`);
  assert.equal(run.metadata?.labels?.['rollout-type'], 'Step');
  assert.equal(run.metadata?.labels?.['step-index'], '1');
  assert.deepEqual(run.spec.args, [{ name: 'revision', value: 'good' }, { name: 'canary-hash', value: hash }]);
  assert.equal(run.status?.phase, 'Successful');
  const metric = run.status?.metricResults?.[0];
  assert.equal(metric?.successful, 2);
  assert.deepEqual(metric?.measurements?.map((m) => m.value), ['[0.99]', '[0.99]']);
  const events = await env.client.list<KubeObject & { reason: string }>({ apiVersion: 'v1', kind: 'Event', namespace: env.ns });
  assert.ok(events.items.some((e) => e.reason === 'AnalysisRunSuccessful'), 'AnalysisRunSuccessful event on the Rollout');
});

test('Prometheus analysis failing: abort, canary scaled away, all traffic back on stable', { skip: skipProm }, async (t) => {
  const env = await rolloutEnv(t, 'ana-fail');
  await env.client.apply(prometheusTemplate(env.ns));
  const first = await firstDeploy(env, [{ setWeight: 50 }, analysisStep('bad'), { setWeight: 100 }]);
  const stable = first.status?.stableRS ?? '';
  await setImage(env, 'example/web:2');
  const aborted = await env.waitForRollout('web', 'aborted by the failed analysis', (ro) => ro.status?.phase === 'Degraded' && ro.status?.abort === true);
  assert.match(aborted.status?.message ?? '', /^RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed/);
  const canary = aborted.status?.currentPodHash ?? '';
  await waitFor('canary scaled to 0, stable at 2', async () => {
    const r = await replicasByHash(env);
    return r[canary] === 0 && r[stable] === 2;
  }, 30_000);
  const svc = await env.client.get<KubeObject & { spec: { selector: Record<string, string> } }>({ apiVersion: 'v1', kind: 'Service', namespace: env.ns, name: 'web-stable' });
  assert.equal(svc?.spec.selector[HASH], stable);
  const [run] = await runsOf(env);
  assert.equal(run?.status?.phase, 'Failed');
  assert.equal(run?.status?.metricResults?.[0]?.measurements?.[0]?.value, '[0.42]');
});

test('Prometheus analysis inconclusive: the Rollout pauses, promote continues to Healthy', { skip: skipProm }, async (t) => {
  const env = await rolloutEnv(t, 'ana-unsure');
  await env.client.apply(prometheusTemplate(env.ns));
  const first = await firstDeploy(env, [{ setWeight: 50 }, analysisStep('unsure'), { setWeight: 100 }]);
  await setImage(env, 'example/web:2');
  const paused = await env.waitForRollout('web', 'paused on the inconclusive run', (ro) => ro.status?.phase === 'Paused');
  assert.deepEqual(paused.status?.pauseConditions?.map((c) => c.reason), ['InconclusiveAnalysisRun']);
  assert.equal(paused.status?.canary?.currentStepAnalysisRunStatus?.status, 'Inconclusive');
  assert.equal(paused.status?.currentStepIndex, 1);
  const p = promote(paused);
  assert.ok(p.ok);
  await env.client.patchStatus(ref(env), { status: p.patch.status });
  await env.waitForRollout('web', 'Healthy after promote', (ro) => isHealthy(ro) && ro.status?.stableRS !== first.status?.stableRS);
  assert.equal((await runsOf(env)).length, 1, 'promote does not start another run');
});

test('web analysis with a secret arg: resolved for the request, never in status, events or logs', async (t) => {
  const env = await rolloutEnv(t, 'ana-web');
  await env.client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'checks', namespace: env.ns }, stringData: { token: SECRET_TOKEN } });
  await env.client.apply({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'web-health', namespace: env.ns },
    spec: {
      args: [{ name: 'token', valueFrom: { secretKeyRef: { name: 'checks', key: 'token' } } }],
      metrics: [{
        name: 'healthy',
        successCondition: 'result == true',
        provider: { web: { url: `${webUrl}/health`, headers: [{ key: 'Authorization', value: 'Bearer {{args.token}}' }], jsonPath: '{$.healthy}' } },
      }],
    },
  });
  const first = await firstDeploy(env, [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'web-health' }] } }]);
  await setImage(env, 'example/web:2');
  const done = await env.waitForRollout('web', 'Healthy after the web check', (ro) => isHealthy(ro) && ro.status?.stableRS !== first.status?.stableRS);
  assert.ok(authSeen.includes(`Bearer ${SECRET_TOKEN}`), 'the web server received the secret');
  const runs = await runsOf(env);
  assert.equal(runs[0]?.status?.phase, 'Successful');
  assert.deepEqual(runs[0]?.spec.args, [{ name: 'token', valueFrom: { secretKeyRef: { name: 'checks', key: 'token' } } }]);
  const events = await env.client.list({ apiVersion: 'v1', kind: 'Event', namespace: env.ns });
  for (const [what, text] of [['AnalysisRuns', JSON.stringify(runs)], ['Rollout', JSON.stringify(done)], ['Events', JSON.stringify(events.items)], ['Sluice log', env.sluice.output()]] as const) {
    assert.ok(!text.includes(SECRET_TOKEN), `the secret appears in ${what}`);
  }
});

test('job analysis: a Job run by the real Job controller gates the step', async (t) => {
  const env = await rolloutEnv(t, 'ana-job');
  await env.client.apply({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'smoke', namespace: env.ns },
    spec: {
      metrics: [{
        name: 'smoke',
        provider: { job: { spec: { backoffLimit: 0, template: { metadata: { annotations: { 'testbed.sluice.dev/behavior': 'succeed', 'testbed.sluice.dev/exit-after': '1s' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'smoke', image: 'example/smoke:1' }] } } } } },
      }],
    },
  });
  const first = await firstDeploy(env, [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'smoke' }] } }]);
  await setImage(env, 'example/web:2');
  await env.waitForRollout('web', 'Healthy after the smoke Job', (ro) => isHealthy(ro) && ro.status?.stableRS !== first.status?.stableRS, 90_000);
  const [run] = await runsOf(env);
  assert.equal(run?.status?.phase, 'Successful');
  const jobs = await env.client.list({ apiVersion: 'batch/v1', kind: 'Job', namespace: env.ns });
  assert.equal(jobs.items.length, 1);
  assert.equal(jobs.items[0]?.metadata?.ownerReferences?.[0]?.name, run?.metadata?.name);
});
