// The node simulator against the real control plane: the real ReplicaSet, Job and namespace
// controllers must read the pod statuses it writes exactly as they read a kubelet's.
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppsV1Api, BatchV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Job, V1Pod, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import type { TestContext } from 'node:test';
import { testCluster } from '../helpers/cluster.ts';
import { BEHAVIOR_ANNOTATION, EXIT_CODE_ANNOTATION, READY_AFTER_ANNOTATION, startNodeSimulator } from '../testbed/node-simulator.ts';
import type { NodeSimulator } from '../testbed/node-simulator.ts';

const cluster = testCluster();
const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
const apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
const batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

// The test runner normally runs one simulator for every test file; running this file by hand
// needs its own (and only one may run per cluster, or two would race to bind pods).
let simulator: NodeSimulator | undefined;
const namespaces: string[] = [];

before(async () => {
  if (process.env.SLUICE_TEST_START_SIMULATOR === '1') {
    simulator = await startNodeSimulator({
      kubeConfig: cluster.kubeConfig,
      log: process.env.SLUICE_TEST_VERBOSE === '1' ? (line) => console.error(`node simulator: ${line}`) : undefined,
    });
  }
});

after(async () => {
  if (!simulator) return;
  // Namespace deletion needs the simulator to confirm pod deletions; let it finish first.
  await waitFor('test namespaces to be deleted', async () => {
    const list = await core.listNamespace({ labelSelector: 'sluice.dev/test=true' });
    return list.items.map((ns) => ns.metadata?.name).filter((name) => namespaces.includes(name ?? ''));
  }, (left) => left.length === 0, 60_000).catch((err: unknown) => console.error(String(err)));
  await simulator.stop();
});

async function newNamespace(t: TestContext, prefix: string): Promise<string> {
  const name = await cluster.newNamespace(t, prefix);
  namespaces.push(name);
  return name;
}

const IMAGE = 'registry.example.com/sluice/demo:1.0';

function template(labels: Record<string, string>, annotations: Record<string, string> = {}, restartPolicy = 'Always'): V1PodTemplateSpec {
  return {
    metadata: { labels, annotations },
    spec: { restartPolicy, terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: IMAGE }] },
  };
}

async function createReplicaSet(namespace: string, name: string, replicas: number, annotations: Record<string, string> = {}): Promise<V1ReplicaSet> {
  const labels = { app: name };
  return apps.createNamespacedReplicaSet({
    namespace,
    body: { metadata: { name }, spec: { replicas, minReadySeconds: 0, selector: { matchLabels: labels }, template: template(labels, annotations) } },
  });
}

async function createJob(namespace: string, name: string, annotations: Record<string, string> = {}): Promise<V1Job> {
  return batch.createNamespacedJob({
    namespace,
    body: { metadata: { name }, spec: { backoffLimit: 0, template: template({ job: name }, annotations, 'Never') } },
  });
}

async function createPod(namespace: string, name: string, annotations: Record<string, string> = {}, nodeName?: string): Promise<V1Pod> {
  const { metadata, spec } = template({ pod: name }, annotations);
  return core.createNamespacedPod({ namespace, body: { metadata: { ...metadata, name }, spec: { ...spec!, ...(nodeName ? { nodeName } : {}) } } });
}

const readRS = (namespace: string, name: string) => apps.readNamespacedReplicaSetStatus({ namespace, name });
const readJob = (namespace: string, name: string) => batch.readNamespacedJobStatus({ namespace, name });
const readPod = (namespace: string, name: string) => core.readNamespacedPod({ namespace, name });
const listPods = async (namespace: string, labelSelector: string) => (await core.listNamespacedPod({ namespace, labelSelector })).items;

/** Polls until `ok` holds, failing with the last value seen so a timeout says what went wrong. */
async function waitFor<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      lastError = undefined;
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const seen = lastError !== undefined ? `last error: ${String(lastError)}` : `last seen: ${JSON.stringify(last, null, 2)}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`);
}

const condition = (pod: V1Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type)?.status;
const jobCondition = (job: V1Job, type: string) => job.status?.conditions?.find((c) => c.type === type)?.status;
const podSummary = (pods: V1Pod[]) =>
  pods.map((p) => ({ name: p.metadata?.name, node: p.spec?.nodeName, phase: p.status?.phase, ready: condition(p, 'Ready'), containers: p.status?.containerStatuses }));

suite('node simulator', { concurrency: true }, () => {
  test('registers a Ready node', async () => {
    const nodes = await waitFor('a simulated Ready node', async () => (await core.listNode({ labelSelector: 'sluice.dev/simulated=true' })).items,
      (items) => items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')));
    assert.ok(nodes[0]?.status?.capacity?.cpu);
  });

  test('a ReplicaSet of ready pods becomes available', async (t) => {
    const ns = await newNamespace(t, 'sim-ready');
    await createReplicaSet(ns, 'web', 3);
    const rs = await waitFor('availableReplicas 3', () => readRS(ns, 'web'), (rs) => rs.status?.availableReplicas === 3);
    assert.equal(rs.status?.readyReplicas, 3);
    const pods = await listPods(ns, 'app=web');
    assert.equal(pods.length, 3);
    const ips = new Set<string>();
    for (const pod of pods) {
      assert.ok(pod.spec?.nodeName, 'bound to a node');
      assert.equal(pod.status?.phase, 'Running');
      for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) assert.equal(condition(pod, type), 'True', type);
      const container = pod.status?.containerStatuses?.[0];
      assert.equal(container?.ready, true);
      assert.equal(container?.started, true);
      assert.equal(container?.restartCount, 0);
      assert.equal(container?.image, IMAGE);
      assert.match(container?.imageID ?? '', /@sha256:[0-9a-f]{64}$/);
      assert.ok(container?.state?.running?.startedAt);
      assert.match(pod.status?.podIP ?? '', /^10\.244\.\d+\.\d+$/);
      assert.ok(pod.status?.hostIP);
      assert.ok(pod.status?.startTime);
      ips.add(pod.status!.podIP!);
    }
    assert.equal(ips.size, 3, 'pod IPs are distinct');
  });

  test('never-ready pods run but are never ready', async (t) => {
    const ns = await newNamespace(t, 'sim-never-ready');
    await createReplicaSet(ns, 'web', 3, { [BEHAVIOR_ANNOTATION]: 'never-ready' });
    await waitFor('3 running pods', () => listPods(ns, 'app=web'),
      (pods) => pods.length === 3 && pods.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running));
    // Give the ReplicaSet controller time to act on what it saw.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const rs = await readRS(ns, 'web');
    assert.equal(rs.status?.replicas, 3, JSON.stringify(rs.status));
    assert.equal(rs.status?.readyReplicas ?? 0, 0, JSON.stringify(rs.status));
    assert.equal(rs.status?.availableReplicas ?? 0, 0, JSON.stringify(rs.status));
    for (const pod of await listPods(ns, 'app=web')) {
      assert.equal(condition(pod, 'Ready'), 'False');
      assert.equal(condition(pod, 'ContainersReady'), 'False');
      assert.equal(pod.status?.containerStatuses?.[0]?.ready, false);
    }
  });

  test('crash shows CrashLoopBackOff with a growing restartCount', async (t) => {
    const ns = await newNamespace(t, 'sim-crash');
    await createReplicaSet(ns, 'web', 1, { [BEHAVIOR_ANNOTATION]: 'crash' });
    const pods = await waitFor('restartCount >= 2', () => listPods(ns, 'app=web'),
      (pods) => (pods[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 20_000);
    const pod = pods[0]!;
    const container = pod.status!.containerStatuses![0]!;
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(condition(pod, 'Ready'), 'False');
    assert.equal(container.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(container.lastState?.terminated?.exitCode, 1);
    assert.equal(container.ready, false);
    const rs = await readRS(ns, 'web');
    assert.equal(rs.status?.readyReplicas ?? 0, 0);
  });

  test('a Job whose pod succeeds completes', async (t) => {
    const ns = await newNamespace(t, 'sim-job-ok');
    await createJob(ns, 'check'); // Job pods succeed by default
    const job = await waitFor('Job Complete', () => readJob(ns, 'check'), (job) => jobCondition(job, 'Complete') === 'True');
    assert.equal(job.status?.succeeded, 1);
    const [pod] = await listPods(ns, 'job=check');
    assert.equal(pod?.status?.phase, 'Succeeded');
    assert.equal(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  });

  test('a Job whose pod fails fails', async (t) => {
    const ns = await newNamespace(t, 'sim-job-fail');
    await createJob(ns, 'check', { [BEHAVIOR_ANNOTATION]: 'fail', [EXIT_CODE_ANNOTATION]: '3' });
    const job = await waitFor('Job Failed', () => readJob(ns, 'check'), (job) => jobCondition(job, 'Failed') === 'True');
    assert.equal(job.status?.failed, 1);
    assert.equal(jobCondition(job, 'Complete') ?? 'False', 'False');
    const [pod] = await listPods(ns, 'job=check');
    assert.equal(pod?.status?.phase, 'Failed');
    assert.equal(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
  });

  test('scaling a ReplicaSet down really removes pods', async (t) => {
    const ns = await newNamespace(t, 'sim-scale');
    await createReplicaSet(ns, 'web', 3);
    await waitFor('availableReplicas 3', () => readRS(ns, 'web'), (rs) => rs.status?.availableReplicas === 3);
    await apps.patchNamespacedReplicaSet({ namespace: ns, name: 'web', body: { spec: { replicas: 1 } } }, mergePatch);
    const pods = await waitFor('exactly 1 pod left', () => listPods(ns, 'app=web'), (pods) => pods.length === 1);
    assert.equal(pods[0]?.metadata?.deletionTimestamp, undefined);
    await waitFor('RS status replicas 1', () => readRS(ns, 'web'), (rs) => rs.status?.replicas === 1 && rs.status.availableReplicas === 1);
  });

  test('ready-after delays readiness', async (t) => {
    const ns = await newNamespace(t, 'sim-ready-after');
    await createPod(ns, 'slow', { [READY_AFTER_ANNOTATION]: '3s' });
    const running = await waitFor('Running', () => readPod(ns, 'slow'), (pod) => pod.status?.phase === 'Running');
    assert.equal(condition(running, 'Ready'), 'False', 'not Ready right after starting');
    assert.equal(running.status?.containerStatuses?.[0]?.state?.running !== undefined, true);
    const ready = await waitFor('Ready', () => readPod(ns, 'slow'), (pod) => condition(pod, 'Ready') === 'True', 15_000);
    const readySince = ready.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
    const waited = new Date(readySince!).getTime() - new Date(ready.status!.startTime!).getTime();
    // Condition times have one-second resolution.
    assert.ok(waited >= 2000, `Ready ${waited} ms after start`);
  });

  test('image-pull-error leaves the pod Pending with ErrImagePull', async (t) => {
    const ns = await newNamespace(t, 'sim-pull');
    await createPod(ns, 'bad-image', { [BEHAVIOR_ANNOTATION]: 'image-pull-error' });
    const pod = await waitFor('ErrImagePull', () => readPod(ns, 'bad-image'),
      (pod) => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull');
    assert.equal(pod.status?.phase, 'Pending');
    assert.ok(pod.spec?.nodeName, 'bound to a node');
    assert.equal(condition(pod, 'Ready'), 'False');
  });

  test('the namespace annotation applies when the pod has none', async (t) => {
    const ns = await newNamespace(t, 'sim-ns-behavior');
    await core.patchNamespace({ name: ns, body: { metadata: { annotations: { [BEHAVIOR_ANNOTATION]: 'never-ready' } } } }, mergePatch);
    await createPod(ns, 'inherits');
    await createPod(ns, 'overrides', { [BEHAVIOR_ANNOTATION]: 'ready' });
    await waitFor('overriding pod Ready', () => readPod(ns, 'overrides'), (pod) => condition(pod, 'Ready') === 'True');
    const pod = await waitFor('inheriting pod Running', () => readPod(ns, 'inherits'), (pod) => pod.status?.phase === 'Running');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(condition(await readPod(ns, 'inherits'), 'Ready'), 'False', JSON.stringify(pod.status));
  });

  test('deleting a running pod completes', async (t) => {
    const ns = await newNamespace(t, 'sim-delete');
    await createPod(ns, 'doomed');
    await waitFor('Ready', () => readPod(ns, 'doomed'), (pod) => condition(pod, 'Ready') === 'True');
    await core.deleteNamespacedPod({ namespace: ns, name: 'doomed' }); // graceful, 30 s on a real node
    await waitFor('pod gone', () => listPods(ns, 'pod=doomed'), (pods) => pods.length === 0, 10_000);
  });

  test('pods already on another node are left alone', async (t) => {
    const ns = await newNamespace(t, 'sim-foreign');
    await createPod(ns, 'elsewhere', { [BEHAVIOR_ANNOTATION]: 'ready' }, 'some-real-node');
    t.after(() => core.deleteNamespacedPod({ namespace: ns, name: 'elsewhere', gracePeriodSeconds: 0 }).then(() => undefined, () => undefined));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const pod = await readPod(ns, 'elsewhere');
    assert.equal(pod.spec?.nodeName, 'some-real-node');
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.status?.containerStatuses, undefined, JSON.stringify(podSummary([pod])));
  });
});
