// The job metric provider against the real control plane: its Jobs run under the real Job
// controller with pods played by the node simulator, are owned by a real AnalysisRun, and are
// judged as Argo judges them (Complete, Failed, image pull failure, terminated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { decided, failed, running } from '../helpers/measurements.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { createJobProvider, JOB_NAME_KEY } from '../../src/metrics/job-provider.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { AnalysisRunIdentity, Measurement, MetricRequest, MetricRunContext } from '../../src/ports/metric-provider.ts';

const BEHAVIOR = 'testbed.sluice.dev/behavior';
const cluster = testCluster();
const client = new KubeClient(cluster.kubeConfig, { fieldManager: 'job-provider-test' });
test.after(() => client.close());
const POLL_MS = 500;
const provider = createJobProvider({ cluster: client, pollIntervalMs: POLL_MS });

interface Env {
  ns: string;
  run: AnalysisRunIdentity;
  ctx: (measurementIndex?: number) => MetricRunContext;
}

/** A namespace holding a real AnalysisRun, so owner references resolve and the garbage collector sees them. */
async function env(t: TestContext, prefix: string): Promise<Env> {
  await installCrds(cluster.kubeConfig);
  const ns = await cluster.newNamespace(t, prefix);
  const ar = await client.create({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { name: 'canary-check', namespace: ns },
    spec: { metrics: [{ name: 'smoke', provider: { job: { spec: { template: { spec: { containers: [{ name: 'check', image: 'busybox' }] } } } } } }] },
  });
  const run = { name: 'canary-check', namespace: ns, uid: ar.metadata!.uid! };
  return { ns, run, ctx: (measurementIndex = 1) => ({ run, measurementIndex }) };
}

/** A `job:` block whose pod the node simulator plays with the given annotations. */
function jobMetric(podAnnotations: Record<string, string>, extra: Record<string, unknown> = {}): MetricRequest {
  return {
    name: 'smoke',
    provider: {
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { annotations: podAnnotations },
          spec: { restartPolicy: 'Never', containers: [{ name: 'check', image: 'registry.example.com/sluice/check:1.0' }] },
        },
      },
      ...extra,
    },
  };
}

const getJob = (ns: string, name: string) => client.get<KubeObject & { spec: Record<string, unknown> }>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name });

/** Resumes a running measurement, as the analysis controller would, until it is no longer running. */
async function settle(metric: MetricRequest, first: Measurement, ctx: MetricRunContext, timeoutMs = 45_000): Promise<Measurement> {
  let m = first;
  const deadline = Date.now() + timeoutMs;
  while (m.status === 'running') {
    assert.ok(m.resumeAt && Date.parse(m.resumeAt) >= Date.parse(m.startedAt), `resumeAt set: ${JSON.stringify(m)}`);
    if (Date.now() > deadline) assert.fail(`still running after ${timeoutMs / 1000}s: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
    m = await provider.resume!(metric, m, ctx);
  }
  return m;
}

test('a Job that exits 0 is Successful; the Job carries Argo\'s name, labels, annotations and owner', async (t) => {
  const { ns, run, ctx } = await env(t, 'job-ok');
  const metric = jobMetric({ [BEHAVIOR]: 'succeed' }, { metadata: { labels: { team: 'web' }, annotations: { note: 'smoke test' } } });
  const started = running(await provider.run(metric, ctx(3)));
  const name = `${run.uid}.smoke.3`;
  assert.deepEqual(started.metadata, { [JOB_NAME_KEY]: name });

  const job = await getJob(ns, name);
  assert.ok(job, 'the Job exists');
  assert.deepEqual(job.metadata?.labels, { team: 'web', 'analysisrun.argoproj.io/uid': run.uid });
  assert.equal(job.metadata?.annotations?.note, 'smoke test');
  assert.equal(job.metadata?.annotations?.['analysisrun.argoproj.io/name'], 'canary-check');
  assert.equal(job.metadata?.annotations?.['analysisrun.argoproj.io/metric-name'], 'smoke');
  assert.deepEqual(job.metadata?.ownerReferences, [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', name: 'canary-check', uid: run.uid, controller: true, blockOwnerDeletion: true }]);
  assert.equal(job.spec.backoffLimit, 0);

  const done = decided(await settle(metric, started, ctx(3)), 'Successful');
  assert.equal(done.startedAt, started.startedAt);
  assert.deepEqual(done.metadata, { [JOB_NAME_KEY]: name });
  assert.ok(done.finishedAt >= done.startedAt);
});

test('a Job whose pod exits non-zero is Failed, with the Job controller\'s reason', async (t) => {
  const { ctx } = await env(t, 'job-fail');
  const metric = jobMetric({ [BEHAVIOR]: 'fail', 'testbed.sluice.dev/exit-code': '3' });
  const done = decided(await settle(metric, await provider.run(metric, ctx()), ctx()), 'Failed');
  assert.match(done.message ?? '', /BackoffLimitExceeded/);
});

test('a Job whose pod cannot pull its image is Inconclusive', async (t) => {
  const { ctx } = await env(t, 'job-pull');
  const metric = jobMetric({ [BEHAVIOR]: 'image-pull-error' });
  const done = decided(await settle(metric, await provider.run(metric, ctx()), ctx()), 'Inconclusive');
  assert.match(done.message ?? '', /container check: ErrImagePull/);
});

test('terminate deletes the running Job and reports the measurement Successful', async (t) => {
  const { ns, ctx } = await env(t, 'job-term');
  // A `ready` pod never ends, so the Job runs until it is deleted.
  const metric = jobMetric({ [BEHAVIOR]: 'ready' });
  const started = running(await provider.run(metric, ctx()));
  const name = started.metadata![JOB_NAME_KEY]!;
  const pods = () => client.list<KubeObject & { status?: { phase?: string } }>({ apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: `job-name=${name}` });
  await waitFor('the job\'s pod to run', async () => (await pods()).items.some((p) => p.status?.phase === 'Running'), 15_000);
  const still = running(await provider.resume!(metric, started, ctx()));
  const done = decided(await provider.terminate!(metric, still, ctx()), 'Successful');
  assert.equal(done.message, 'Metric Terminated');
  await waitFor(`job ${name} to be deleted`, async () => (await getJob(ns, name)) === undefined, 15_000);
  // A second terminate (a retried reconcile) finds nothing to delete and still succeeds.
  decided(await provider.terminate!(metric, still, ctx()), 'Successful');
  // Background propagation: the garbage collector removes the Job's pods after it.
  await waitFor('the job\'s pods to be deleted', async () => (await pods()).items.length === 0, 30_000);
});

test('a retried run() finds the Job it made and goes on; a foreign Job of that name is an error', async (t) => {
  const { ns, run, ctx } = await env(t, 'job-again');
  const metric = jobMetric({ [BEHAVIOR]: 'succeed' });
  const first = running(await provider.run(metric, ctx()));
  const second = running(await provider.run(metric, ctx()));
  assert.deepEqual(second.metadata, first.metadata);
  const jobs = await client.list({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, labelSelector: `analysisrun.argoproj.io/uid=${run.uid}` });
  assert.deepEqual(jobs.items.map((j) => j.metadata?.name), [`${run.uid}.smoke.1`]);
  decided(await settle(metric, second, ctx()), 'Successful');

  // Someone else's Job under the name the next measurement would use.
  await client.create({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${run.uid}.smoke.2`, namespace: ns },
    spec: (jobMetric({ [BEHAVIOR]: 'succeed' }).provider as { spec: unknown }).spec,
  });
  assert.match(failed(await provider.run(metric, ctx(2))).message, /already exists and is not controlled by AnalysisRun canary-check/);
});

test('deleting the AnalysisRun garbage-collects its Jobs', async (t) => {
  const { ns, run, ctx } = await env(t, 'job-gc');
  const metric = jobMetric({ [BEHAVIOR]: 'ready' });
  const started = running(await provider.run(metric, ctx()));
  const name = started.metadata![JOB_NAME_KEY]!;
  await client.delete({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', namespace: ns, name: run.name });
  await waitFor(`job ${name} to be garbage-collected`, async () => (await getJob(ns, name)) === undefined, 30_000);
  // Resuming a measurement whose Job is gone is an error, not a verdict.
  const gone = failed(await provider.resume!(metric, started, ctx()));
  assert.equal(gone.message, `job ${name} not found`);
  assert.deepEqual(gone.metadata, started.metadata);
});

test('bad input becomes an error measurement, and nothing is created', async (t) => {
  const { ns, run, ctx } = await env(t, 'job-bad');
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no spec', {}, /invalid job provider: spec is required/],
    ['spec not an object', { spec: 'run the tests' }, /invalid job provider: spec must be an object/],
    ['no containers', { spec: { template: { spec: { containers: [] } } } }, /invalid job provider: spec.template.spec.containers must list at least one container/],
    ['no template', { spec: { backoffLimit: 1 } }, /spec.template.spec.containers must list/],
    ['label not a string', { metadata: { labels: { tier: 3 } }, spec: (jobMetric({}).provider as { spec: unknown }).spec }, /metadata.labels.tier must be a string/],
  ];
  for (const [what, block, message] of cases) {
    assert.match(failed(await provider.run({ name: 'smoke', provider: block }, ctx())).message, message, what);
  }
  const good = jobMetric({ [BEHAVIOR]: 'succeed' });
  assert.match(failed(await provider.run(good, {})).message, /needs the AnalysisRun/);
  assert.match(failed(await provider.run(good, { run })).message, /needs the measurement index/);
  assert.match(failed(await provider.run(good, { run, measurementIndex: 0 })).message, /needs the measurement index/);
  // A metric name the API server refuses in a Job name comes back as the server's message.
  assert.match(failed(await provider.run({ ...good, name: 'Smoke_Test' }, ctx())).message, /could not be created: .*Invalid/i);
  const jobs = await client.list({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns });
  assert.deepEqual(jobs.items, []);
  // A running measurement without the job name cannot be resumed or terminated.
  const orphan = { status: 'running' as const, startedAt: '2025-01-01T00:00:00Z' };
  assert.match(failed(await provider.resume!(good, orphan, ctx())).message, /job metadata reference missing/);
  assert.match(failed(await provider.terminate!(good, orphan, ctx())).message, /job metadata reference missing/);
});
