// The flags every cluster-facing command takes, as kubectl-argo-rollouts has them (--kubeconfig,
// --context, -n/--namespace), and the connection they describe: the Rollout commands over a
// KubeClient, and the namespace to use (the flag, else the context's, else `default`).
import type { Command } from 'commander';
import { loadKubeConfig } from '../kube/load-kube-config.ts';
import { KubeClient } from '../kube/kube-client.ts';
import { createRolloutCommands } from '../rollouts/rollout-commands.ts';
import type { RolloutCommands } from '../ports/rollout-commands.ts';
import { failWith } from './fail-with.ts';

export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface ClusterConnection {
  commands: RolloutCommands;
  namespace: string;
  /** Frees the HTTP agent so the process can exit. */
  close(): void;
}

export function addClusterOptions(command: Command): Command {
  return command
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use instead of its current-context')
    .option('-n, --namespace <ns>', "namespace (default: the context's namespace, else default)");
}

export function connectToCluster(options: ClusterOptions): ClusterConnection {
  let client: KubeClient;
  let contextNamespace: string | undefined;
  try {
    const kubeConfig = loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context });
    contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
    client = new KubeClient(kubeConfig);
  } catch (err) {
    return failWith(2, `kubeconfig: ${(err as Error).message}`);
  }
  return {
    commands: createRolloutCommands(client, () => new Date()),
    namespace: options.namespace || contextNamespace || 'default',
    close: () => client.close(),
  };
}

/** Runs `use` with a connection and always closes it. */
export async function withCluster<T>(options: ClusterOptions, use: (connection: ClusterConnection) => Promise<T>): Promise<T> {
  const connection = connectToCluster(options);
  try {
    return await use(connection);
  } finally {
    connection.close();
  }
}
