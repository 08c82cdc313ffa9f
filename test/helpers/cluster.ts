// The cluster every integration test talks to. `npm test` (test/run.ts) starts the local control
// plane, or takes KUBECONFIG, and passes it down as SLUICE_TEST_KUBECONFIG; each test then works in
// a namespace of its own, so test files can run side by side on one API server.
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';

export interface TestCluster {
  kubeConfig: KubeConfig;
  /** Path of the kubeconfig file, for kubectl and child processes. */
  kubeconfigPath: string;
  /** A kubectl binary that matches the cluster (Debian's 1.20 for the local control plane). */
  kubectl: string;
  /** True when the node simulator plays kubelet (local control plane, or a cluster without nodes). */
  simulatedNodes: boolean;
  /** Creates a fresh namespace, deleted when the test ends (when `t` is given). */
  newNamespace(t?: TestContext, prefix?: string): Promise<string>;
}

let cached: TestCluster | undefined;

export function testCluster(): TestCluster {
  if (cached) return cached;
  const kubeconfigPath = process.env.SLUICE_TEST_KUBECONFIG;
  if (!kubeconfigPath) {
    throw new Error('integration tests need a cluster: run them through `npm test` (which starts the local control plane or uses KUBECONFIG)');
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  cached = {
    kubeConfig,
    kubeconfigPath,
    kubectl: process.env.SLUICE_TEST_KUBECTL ?? 'kubectl',
    simulatedNodes: process.env.SLUICE_TEST_SIMULATED_NODES === '1',
    async newNamespace(t, prefix = 'test') {
      const safe = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'test';
      const name = `${safe}-${randomBytes(3).toString('hex')}`;
      await core.createNamespace({ body: { metadata: { name, labels: { 'sluice.dev/test': 'true' } } } });
      t?.after(async () => {
        if (process.env.SLUICE_TEST_KEEP_NAMESPACES === '1') return;
        await core.deleteNamespace({ name }).catch(() => undefined);
      });
      return name;
    },
  };
  return cached;
}
