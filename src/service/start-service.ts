// The composition root: builds the Kubernetes client, caches, readiness checks and the HTTP app
// from a validated config and a logger, starts listening, and knows how to stop it all.
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import type { SluiceConfig } from '../config/config-types.ts';
import { loadKubeConfig } from '../kube/load-kube-config.ts';
import { KubeClient } from '../kube/kube-client.ts';
import { createInformer, type Informer } from '../kube/informer.ts';
import type { KubeObject } from '../kube/kube-object.ts';
import { createMetricsRegistry } from '../observability/metrics.ts';
import { createReadiness } from '../server/readiness.ts';
import { buildApp } from '../server/build-app.ts';
import { createGitSync, type GitSync } from './git-sync.ts';
import { createEventRecorder } from '../kube/event-recorder.ts';
import { createRolloutController } from '../rollouts/rollout-controller.ts';
import { createRolloutMetrics } from '../observability/rollout-metrics.ts';
import { createRolloutCommands } from '../rollouts/rollout-commands.ts';
import { createAnalysisRunController } from '../analysis/analysis-run-controller.ts';
import { createAnalysisMetrics } from '../observability/analysis-metrics.ts';
import { createMetricProviders } from './metric-providers.ts';
import { createStatusWriteback } from './status-writeback.ts';
import { createPullRequests } from './pull-requests.ts';
import { createPushHandler } from '../webhooks/push-handler.ts';
import { createWebhookReceiver } from '../webhooks/receive-delivery.ts';
import { createWebhookMetrics } from '../observability/webhook-metrics.ts';

export interface RunningService {
  app: FastifyInstance;
  /** http://host:port the server listens on. */
  url: string;
  client: KubeClient;
  gitSync: GitSync;
  /** Stops everything; resolves when the server is closed and watches and timers are stopped. */
  stop(): Promise<void>;
}

// The controllers' caches; all must be synced before Sluice reports ready. ReplicaSets and pods are
// watched only when they carry the label every Rollout-managed one has.
const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash';

export async function startService(opts: { config: SluiceConfig; logger: Logger; kubeConfig?: KubeConfig }): Promise<RunningService> {
  const { config, logger } = opts;
  const kubeConfig = opts.kubeConfig ?? loadKubeConfig({ kubeconfig: config.kubernetes.kubeconfig, context: config.kubernetes.context });
  const client = new KubeClient(kubeConfig);
  const metrics = createMetricsRegistry();
  const readiness = createReadiness();

  const informer = (apiVersion: string, kind: string, labelSelector?: string, clusterScoped = false) =>
    createInformer<KubeObject>({ client, apiVersion, kind, labelSelector, namespace: clusterScoped ? undefined : config.kubernetes.namespace, resyncMs: config.kubernetes.resyncSeconds * 1000, log: logger.child({ component: 'informer', kind }) });
  const caches = {
    rollouts: informer('argoproj.io/v1alpha1', 'Rollout'),
    replicaSets: informer('apps/v1', 'ReplicaSet', POD_TEMPLATE_HASH_LABEL),
    services: informer('v1', 'Service'),
    pods: informer('v1', 'Pod', POD_TEMPLATE_HASH_LABEL),
    analysisRuns: informer('argoproj.io/v1alpha1', 'AnalysisRun'),
    // The templates Rollouts' analyses reference; ClusterAnalysisTemplates have no namespace.
    analysisTemplates: informer('argoproj.io/v1alpha1', 'AnalysisTemplate'),
    clusterAnalysisTemplates: informer('argoproj.io/v1alpha1', 'ClusterAnalysisTemplate', undefined, true),
  };
  const informers: Informer<KubeObject>[] = Object.values(caches);
  const events = createEventRecorder({ client, log: logger });
  const rollouts = createRolloutController({
    cluster: client,
    caches,
    events,
    log: logger.child({ component: 'rollouts' }),
    metrics: createRolloutMetrics(metrics),
  });
  const analysisRuns = createAnalysisRunController({
    cluster: client,
    runs: caches.analysisRuns,
    providers: createMetricProviders({ cluster: client }),
    events,
    log: logger.child({ component: 'analysis' }),
    workers: config.analysis.workers,
    metrics: createAnalysisMetrics(metrics),
  });
  readiness.add({
    name: 'kubernetes-api',
    async check() {
      const ping = await client.ping(2000);
      return ping.ok ? { ready: true } : { ready: false, reason: ping.reason };
    },
  });
  readiness.add({
    name: 'caches',
    check() {
      const pending = informers.find((i) => !i.synced);
      if (!pending) return { ready: true };
      return { ready: false, reason: `${pending.name} cache not synced${pending.lastError ? ` (${pending.lastError})` : ''}` };
    },
  });

  const gitSync = await createGitSync({ config, cluster: client, registry: metrics, logger });
  const writeback = createStatusWriteback({ config, caches, repos: gitSync.service, registry: metrics, logger });
  const webhookLog = logger.child({ component: 'webhooks' });
  const pushes = createPushHandler({ repos: config.repos, repoSync: gitSync.service, log: webhookLog });
  const rolloutCommands = createRolloutCommands(client, () => new Date());
  const pullRequests = createPullRequests({ config, caches, gitSync, cluster: client, rolloutCommands, registry: metrics, logger });
  const webhooks = createWebhookReceiver({
    config: config.webhooks,
    handlers: { push: pushes.push, ...pullRequests.handlers },
    pushMatch: pushes.match,
    log: webhookLog,
    metrics: createWebhookMetrics(metrics),
  });
  const app = buildApp({
    logger,
    metrics,
    readiness,
    repos: gitSync.service,
    rolloutCommands,
    webhooks,
    apiToken: config.api.token,
    bodyLimitBytes: config.server.bodyLimitBytes,
  });
  rollouts.start();
  analysisRuns.start();
  for (const i of informers) i.start();
  pullRequests.start();
  // Status files are rendered from these caches: a half-filled cache would commit half a status.
  void Promise.all([caches.rollouts, caches.replicaSets, caches.analysisRuns].map((i) => i.whenSynced())).then(() => writeback.start());
  let url: string;
  try {
    url = await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await Promise.all(informers.map((i) => i.stop()));
    client.close();
    throw err;
  }
  logger.info({ url, cluster: kubeConfig.getCurrentCluster()?.server, repos: config.repos.map((r) => r.name) }, 'sluice serving');
  gitSync.start();

  let stopping: Promise<void> | undefined;
  return {
    app,
    url,
    client,
    gitSync,
    stop() {
      stopping ??= (async () => {
        await app.close();
        await gitSync.stop();
        await writeback.stop();
        await pullRequests.stop();
        await Promise.all(informers.map((i) => i.stop()));
        await Promise.all([rollouts.stop(), analysisRuns.stop()]);
        client.close();
        logger.info('sluice stopped');
      })();
      return stopping;
    },
  };
}
