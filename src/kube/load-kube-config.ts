// Where the Kubernetes credentials come from: an explicit kubeconfig path, KUBECONFIG, the
// in-cluster service account, or ~/.kube/config, in that order (as kubectl and client-go do).
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigOptions {
  /** Path to a kubeconfig file; overrides KUBECONFIG. */
  kubeconfig?: string | undefined;
  /** Context to use instead of the file's current-context. */
  context?: string | undefined;
}

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig) {
    kc.loadFromFile(options.kubeconfig);
  } else {
    // loadFromDefault covers KUBECONFIG, the in-cluster service account and ~/.kube/config.
    kc.loadFromDefault();
  }
  if (options.context) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      throw new Error(`kubeconfig has no context named "${options.context}"`);
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error('no Kubernetes cluster configured: set kubernetes.kubeconfig, KUBECONFIG, or run in a cluster');
  }
  return kc;
}
