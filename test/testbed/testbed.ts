// The whole test bed behind one call: a cluster (KUBECONFIG when set, otherwise the local control
// plane) plus the node simulator when no real kubelet runs. Used by `npm test` and `npm run testbed`.
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { mkdirSync } from 'node:fs';
import { startControlPlane, cachedBinaries } from './control-plane.ts';
import { startNodeSimulator } from './node-simulator.ts';

export interface Testbed {
  kubeconfigPath: string;
  kubectl: string;
  /** 'local' for our own control plane, 'external' for a cluster given through KUBECONFIG. */
  cluster: 'local' | 'external';
  simulatedNodes: boolean;
  /** Environment for child processes (test files) so they find the same cluster. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function clusterHasReadyNodes(kc: KubeConfig): Promise<boolean> {
  const nodes = await kc.makeApiClient(CoreV1Api).listNode();
  return nodes.items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !n.metadata?.name?.startsWith('sluice-sim'));
}

export async function startTestbed(opts: { dir: string; log: (line: string) => void }): Promise<Testbed> {
  mkdirSync(opts.dir, { recursive: true });
  const external = process.env.KUBECONFIG;
  let kubeconfigPath: string;
  let kubectl: string;
  let stopCluster = async () => {};
  if (external) {
    // An existing cluster (kind, k3d, a cloud cluster): nothing is built or started.
    kubeconfigPath = external.split(':')[0] ?? external;
    kubectl = process.env.SLUICE_TEST_KUBECTL ?? 'kubectl';
    opts.log(`test bed: using the cluster from KUBECONFIG (${kubeconfigPath})`);
  } else {
    const started = Date.now();
    const cp = await startControlPlane({ dir: opts.dir, log: opts.log });
    kubeconfigPath = cp.kubeconfigPath;
    kubectl = process.env.SLUICE_TEST_KUBECTL ?? cachedBinaries().kubectl;
    stopCluster = cp.stop;
    opts.log(`test bed: local control plane at ${cp.server} ready in ${((Date.now() - started) / 1000).toFixed(1)}s (logs in ${opts.dir})`);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  let simulatedNodes = false;
  let stopSimulator = async () => {};
  // SLUICE_TESTBED_SIMULATOR=0: another process already plays kubelet for this cluster.
  const simulatorWanted = process.env.SLUICE_TESTBED_SIMULATOR !== '0';
  if (simulatorWanted && (!external || !(await clusterHasReadyNodes(kc)))) {
    const sim = await startNodeSimulator({ kubeConfig: kc, log: (l) => opts.log(`node simulator: ${l}`) });
    simulatedNodes = true;
    stopSimulator = sim.stop;
    opts.log('test bed: node simulator playing kubelet');
  }
  return {
    kubeconfigPath,
    kubectl,
    cluster: external ? 'external' : 'local',
    simulatedNodes,
    env: {
      SLUICE_TEST_KUBECONFIG: kubeconfigPath,
      SLUICE_TEST_KUBECTL: kubectl,
      SLUICE_TEST_SIMULATED_NODES: simulatedNodes || !simulatorWanted ? '1' : '0',
    },
    async stop() {
      await stopSimulator();
      await stopCluster();
    },
  };
}
