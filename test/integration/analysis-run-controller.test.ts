// The AnalysisRun controller end to end: a real Sluice process (`sluice serve`) runs AnalysisRuns
// created on the real API server, measuring a local HTTP server through the web provider and a
// real Prometheus through the prometheus provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { serveSluice, type ServingSluice } from '../helpers/sluice-process.ts';
import { startMetricsExporter, type MetricsExporter } from '../testbed/metrics-exporter.ts';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../testbed/prometheus.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { AnalysisRun, Metric } from '../../src/engine/analysis/index.ts';

// Random, so that finding it anywhere can only mean it leaked.
const SECRET = `tok-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

let ns: string;
let client: KubeClient;
let sluice: ServingSluice;
let server: Server;
let base: string;
const sockets = new Set<Socket>();
/** Value served at /value/<name>; hits counted per name. */
const values = new Map<string, number>();
const hits = new Map<string, number>();
const tokensSeen: string[] = [];
let dir: string;
let exporter: MetricsExporter | undefined;
let prom: PrometheusServer | undefined;

before(async () => {
  const cluster = testCluster();
  await installCrds(cluster.kubeConfig);
  client = new KubeClient(cluster.kubeConfig, { fieldManager: 'e2e-test' });
  ns = await cluster.newNamespace(undefined, 'analysis');

  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, v: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(v));
    const name = url.pathname.split('/')[2] ?? '';
    if (url.pathname.startsWith('/value/')) {
      hits.set(name, (hits.get(name) ?? 0) + 1);
      return json(200, { ratio: values.get(name) ?? 0 });
    }
    if (url.pathname === '/authorized') {
      const token = String(req.headers['x-token'] ?? '');
      tokensSeen.push(token);
      // Echoes the token back, so a provider that stored the answer as it came would leak it.
      return json(200, { authorized: token === SECRET, echo: token });
    }
    if (url.pathname === '/denied') return res.writeHead(503, { 'Content-Type': 'text/plain' }).end(`denied for ${url.searchParams.get('t')}`);
    return json(404, { error: 'no such path' });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  dir = mkdtempSync(join(tmpdir(), 'sluice-analysis-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, `server:\n  host: 127.0.0.1\n  port: 0\nlog:\n  level: debug\n  format: json\nkubernetes:\n  kubeconfig: ${cluster.kubeconfigPath}\n  namespace: ${ns}\n`);
  sluice = await serveSluice(configPath);
});

after(async () => {
  await sluice?.stop('SIGKILL');
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await prom?.stop();
  await exporter?.stop();
  if (process.env.SLUICE_TEST_KEEP_NAMESPACES !== '1') await client?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const runRef = (name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', namespace: ns, name });

async function createRun(name: string, spec: Partial<AnalysisRun['spec']> & { metrics: Metric[] }): Promise<void> {
  await client.create({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', metadata: { name, namespace: ns }, spec });
}

async function getRun(name: string): Promise<AnalysisRun | undefined> {
  return (await client.get<KubeObject>(runRef(name))) as unknown as AnalysisRun | undefined;
}

async function waitForRun(name: string, what: string, check: (run: AnalysisRun) => boolean, timeoutMs = 30_000): Promise<AnalysisRun> {
  let last: AnalysisRun | undefined;
  try {
    await waitFor(`${name}: ${what}`, async () => {
      last = await getRun(name);
      return last !== undefined && check(last);
    }, timeoutMs, 100);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}\nsluice log tail:\n${sluice.output().split('\n').slice(-15).join('\n')}`);
  }
  return last as AnalysisRun;
}

const completed = (phase: string) => (run: AnalysisRun) => run.status?.phase === phase;

const webMetric = (name: string, extra: Partial<Metric> = {}, provider: Record<string, unknown> = {}): Metric => ({
  name,
  provider: { web: { url: `${base}/value/${name}`, jsonPath: '{$.ratio}', ...provider } },
  ...extra,
});

async function eventsOf(name: string): Promise<Array<{ reason?: string; message?: string; type?: string }>> {
  const list = await client.list<KubeObject>({ apiVersion: 'v1', kind: 'Event', namespace: ns });
  return list.items.filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === name) as Array<{ reason?: string; message?: string; type?: string }>;
}

test('a web metric with interval and count reaches Successful with every value recorded, each measured once', async () => {
  values.set('ok', 0.97);
  await createRun('ok', { metrics: [webMetric('ok', { interval: '1s', count: 3, successCondition: 'result > 0.9' })] });
  const run = await waitForRun('ok', 'Successful', completed('Successful'));
  const result = run.status?.metricResults?.[0];
  assert.equal(result?.phase, 'Successful');
  assert.equal(result?.count, 3);
  assert.equal(result?.successful, 3);
  assert.deepEqual(result?.measurements?.map((m) => [m.phase, m.value]), [['Successful', '0.97'], ['Successful', '0.97'], ['Successful', '0.97']]);
  for (const m of result?.measurements ?? []) assert.ok(m.startedAt && m.finishedAt, 'each measurement has its times');
  assert.ok(run.status?.startedAt && run.status?.completedAt);
  assert.deepEqual(run.status?.runSummary, { count: 1, successful: 1, failed: 0, inconclusive: 0, error: 0 });
  // Our own status writes come back through the watch; none of them may trigger another measurement
  // or another write.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(hits.get('ok'), 3);
  assert.equal((await getRun('ok'))?.metadata?.resourceVersion, run.metadata?.resourceVersion, 'the completed run is not written again');
  await waitFor('the completion events', async () => (await eventsOf('ok')).some((e) => e.reason === 'AnalysisRunSuccessful'));
  const events = await eventsOf('ok');
  assert.ok(events.some((e) => e.reason === 'MetricSuccessful' && e.message === "Metric 'ok' Completed. Result: Successful"));
  assert.ok(events.some((e) => e.reason === 'AnalysisRunSuccessful' && e.message === 'Analysis Completed. Result: Successful' && e.type === 'Normal'));
});

test('failed measurements beyond failureLimit fail the run, without taking the remaining count', async () => {
  values.set('bad', 0.2);
  await createRun('bad', { metrics: [webMetric('bad', { interval: '1s', count: 5, failureLimit: 1, successCondition: 'result > 0.9' })] });
  const run = await waitForRun('bad', 'Failed', completed('Failed'));
  const result = run.status?.metricResults?.[0];
  assert.equal(result?.failed, 2, 'one failure is tolerated, the second one fails the metric');
  assert.equal(result?.measurements?.length, 2);
  assert.equal(run.status?.message, 'Metric "bad" assessed Failed due to failed (2) > failureLimit (1)');
  await waitFor('the Warning event', async () => (await eventsOf('bad')).some((e) => e.reason === 'AnalysisRunFailed' && e.type === 'Warning'));
});

test('a value meeting neither condition is Inconclusive', async () => {
  values.set('unsure', 0.7);
  await createRun('unsure', { metrics: [webMetric('unsure', { successCondition: 'result > 0.9', failureCondition: 'result < 0.5' })] });
  const run = await waitForRun('unsure', 'Inconclusive', completed('Inconclusive'));
  assert.equal(run.status?.metricResults?.[0]?.measurements?.[0]?.phase, 'Inconclusive');
  assert.equal(run.status?.message, 'Metric "unsure" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)');
});

test('terminate: true ends a run that would measure forever as Successful, Run Terminated', async () => {
  values.set('endless', 0.99);
  await createRun('endless', { metrics: [webMetric('endless', { interval: '1s', successCondition: 'result > 0.9' })] });
  await waitForRun('endless', 'two measurements', (r) => (r.status?.metricResults?.[0]?.count ?? 0) >= 2);
  await client.patch(runRef('endless'), { spec: { terminate: true } });
  const run = await waitForRun('endless', 'Successful', completed('Successful'));
  assert.equal(run.status?.message, 'Run Terminated');
  assert.equal(run.status?.metricResults?.[0]?.phase, 'Successful');
  const measuredBefore = hits.get('endless');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(hits.get('endless'), measuredBefore, 'no measurement after the run completed');
});

test('an unknown provider is an Error measurement naming the supported providers', async () => {
  await createRun('unknown', { metrics: [{ name: 'dd', consecutiveErrorLimit: 0, provider: { datadog: { query: 'avg:latency{*}' } } }] });
  const run = await waitForRun('unknown', 'Error', completed('Error'));
  const message = "unknown metric provider 'datadog' (supported: prometheus, web, job)";
  assert.equal(run.status?.metricResults?.[0]?.measurements?.[0]?.message, message);
  assert.equal(run.status?.message, `Metric "dd" assessed Error due to consecutiveErrors (1) > consecutiveErrorLimit (0): "Error Message: ${message}"`);
});

test('a secretKeyRef arg reaches the provider and nothing else: not the status, the events or the log', async () => {
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'metrics-token', namespace: ns }, data: { token: Buffer.from(SECRET).toString('base64') } });
  await createRun('secret', {
    args: [{ name: 'token', valueFrom: { secretKeyRef: { name: 'metrics-token', key: 'token' } } }],
    metrics: [
      { name: 'authorized', successCondition: 'result.authorized == true', provider: { web: { url: `${base}/authorized`, headers: [{ key: 'X-Token', value: '{{args.token}}' }] } } },
      // The secret in the URL, and the server's error answer repeating it.
      { name: 'denied', consecutiveErrorLimit: 0, provider: { web: { url: `${base}/denied?t={{args.token}}` } } },
    ],
  });
  const run = await waitForRun('secret', 'completed', (r) => r.status?.phase === 'Error');
  assert.ok(tokensSeen.includes(SECRET), 'the server received the secret in the header');
  const [authorized, denied] = run.status?.metricResults ?? [];
  assert.equal(authorized?.phase, 'Successful');
  assert.equal(authorized?.measurements?.[0]?.value, '{"authorized":true,"echo":"*****"}');
  assert.equal(denied?.phase, 'Error');
  assert.match(denied?.measurements?.[0]?.message ?? '', /503.*denied for \*\*\*\*\*/);

  const full = JSON.stringify(await getRun('secret'));
  assert.ok(!full.includes(SECRET), `the secret is in the AnalysisRun: ${full}`);
  await waitFor('the completion event', async () => (await eventsOf('secret')).some((e) => e.reason === 'AnalysisRunError'));
  const events = JSON.stringify((await client.list({ apiVersion: 'v1', kind: 'Event', namespace: ns })).items);
  assert.ok(!events.includes(SECRET), 'the secret is in an Event');
  assert.ok(sluice.output().includes('"analysisRun":"' + ns + '/secret"'), 'the log covers this run (debug level)');
  assert.ok(!sluice.output().includes(SECRET), 'the secret is in the log');
});

test('a missing Secret makes the run Error, naming the secret and key', async () => {
  await createRun('no-secret', {
    args: [{ name: 'token', valueFrom: { secretKeyRef: { name: 'absent', key: 'api-key' } } }],
    metrics: [webMetric('no-secret', {}, { headers: [{ key: 'X-Token', value: '{{args.token}}' }] })],
  });
  const run = await waitForRun('no-secret', 'Error', completed('Error'));
  assert.equal(run.status?.message, `Unable to resolve metric arguments: arg 'token': secret 'absent' not found in namespace '${ns}' (key 'api-key')`);
  assert.equal(hits.get('no-secret'), undefined, 'nothing was measured');
});

test('ttlStrategy deletes a completed run after its seconds; secondsAfterSuccess wins over secondsAfterCompletion', async () => {
  values.set('short-lived', 1);
  await createRun('short-lived', { ttlStrategy: { secondsAfterCompletion: 600, secondsAfterSuccess: 2, secondsAfterFailure: 600 }, metrics: [webMetric('short-lived')] });
  const run = await waitForRun('short-lived', 'Successful', completed('Successful'));
  const completedAt = Date.parse(run.status?.completedAt ?? '');
  await waitFor('the run to be deleted', async () => (await getRun('short-lived')) === undefined, 15_000, 100);
  const lived = Date.now() - completedAt;
  assert.ok(lived >= 2000, `deleted ${lived} ms after completedAt, before its 2 s were up`);
  assert.ok(lived < 6000, `deleted only ${lived} ms after completedAt`);
});

test('a job metric runs a Job owned by the run, resumed until the Job completes', async () => {
  await createRun('job', {
    metrics: [{ name: 'smoke', provider: { job: { spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'check', image: 'registry.example.com/check:1' }] } } } } } }],
  });
  const running = await waitForRun('job', 'the Job measurement in flight', (r) => r.status?.metricResults?.[0]?.measurements?.[0]?.phase === 'Running');
  const jobName = running.status?.metricResults?.[0]?.measurements?.[0]?.metadata?.['job-name'];
  assert.equal(jobName, `${running.metadata?.uid}.smoke.1`);
  const job = await client.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: jobName });
  assert.equal(job?.metadata?.ownerReferences?.[0]?.uid, running.metadata?.uid, 'the run owns its Job');
  // The job provider looks again every 10 s (its resumeAt).
  const run = await waitForRun('job', 'Successful', completed('Successful'), 30_000);
  assert.equal(run.status?.metricResults?.[0]?.measurements?.length, 1, 'the resumed measurement replaced the in-flight one');
  assert.equal(run.status?.metricResults?.[0]?.measurements?.[0]?.phase, 'Successful');
});

test('a prometheus metric against a real Prometheus reaches Successful', { skip: prometheusAvailable() ? false : 'prometheus is not installed (scripts/install-system-packages.sh installs it)' }, async () => {
  exporter = await startMetricsExporter();
  exporter.setGauge('checkout_success_ratio', 0.98);
  prom = await startPrometheus({ scrapeTargets: [exporter.target], dir: join(dir, 'prometheus') });
  const p = prom;
  await waitFor('the first scrape', async () => {
    const answer = await p.query('checkout_success_ratio');
    return Array.isArray(answer.data?.result) && answer.data.result.length > 0;
  }, 20_000, 250);
  await createRun('prom', {
    args: [{ name: 'series', value: 'checkout_success_ratio' }],
    metrics: [{ name: 'success-rate', interval: '1s', count: 2, successCondition: 'result[0] >= 0.95', provider: { prometheus: { address: p.address, query: '{{args.series}}' } } }],
  });
  const run = await waitForRun('prom', 'Successful', completed('Successful'));
  const result = run.status?.metricResults?.[0];
  assert.deepEqual(result?.measurements?.map((m) => m.value), ['[0.98]', '[0.98]']);
  assert.equal(result?.metadata?.ResolvedPrometheusQuery, 'checkout_success_ratio');
});

test('/metrics counts completed runs by phase and times measurements by provider', async () => {
  const text = await (await fetch(`${sluice.url}/metrics`)).text();
  const sample = (line: RegExp) => Number(text.match(line)?.[1] ?? 'NaN');
  assert.ok(sample(/^sluice_analysis_runs_total\{phase="Successful"\} (\d+)$/m) >= 3, text);
  assert.equal(sample(/^sluice_analysis_runs_total\{phase="Failed"\} (\d+)$/m), 1);
  assert.equal(sample(/^sluice_analysis_runs_total\{phase="Inconclusive"\} (\d+)$/m), 1);
  assert.ok(sample(/^sluice_analysis_measurement_duration_seconds_count\{provider="web"\} (\d+)$/m) >= 8);
  assert.ok(sample(/^sluice_analysis_run_reconcile_total\{result="success"\} (\d+)$/m) > 0);
});
