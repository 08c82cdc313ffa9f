// A namespace with Sluice controlling it, and helpers to drive and observe Rollouts there.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { testCluster } from './cluster.ts';
import { installCrds } from './crds.ts';
import { waitFor } from './wait-for.ts';
import { serveSluice, type ServingSluice } from './sluice-process.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { BlueGreenStrategy, Rollout, ReplicaSet } from '../../src/engine/types.ts';

export const API_TOKEN = 'rollout-tests-api-token-0123456789';

export interface RolloutEnv {
  ns: string;
  client: KubeClient;
  sluice: ServingSluice;
  configPath: string;
  /** Starts another Sluice on the same namespace (after the first was stopped). */
  restartSluice(): Promise<ServingSluice>;
  rollout(name: string): Promise<Rollout>;
  replicaSets(name: string): Promise<ReplicaSet[]>;
  waitForRollout(name: string, what: string, check: (ro: Rollout) => boolean, timeoutMs?: number): Promise<Rollout>;
  services(...names: string[]): Promise<void>;
}

export async function rolloutEnv(t: TestContext, prefix: string): Promise<RolloutEnv> {
  const cluster = testCluster();
  await installCrds(cluster.kubeConfig);
  const client = new KubeClient(cluster.kubeConfig, { fieldManager: 'e2e-test' });
  t.after(() => client.close());
  const ns = await cluster.newNamespace(t, prefix);
  const configPath = join(mkdtempSync(join(tmpdir(), 'sluice-ro-')), 'config.yaml');
  writeFileSync(configPath, `server:\n  host: 127.0.0.1\n  port: 0\nlog:\n  level: debug\n  format: json\nkubernetes:\n  kubeconfig: ${cluster.kubeconfigPath}\n  namespace: ${ns}\napi:\n  token: ${API_TOKEN}\n`);
  let sluice = await serveSluice(configPath);
  t.after(() => sluice.stop('SIGKILL'));
  const env: RolloutEnv = {
    ns,
    client,
    get sluice() {
      return sluice;
    },
    configPath,
    async restartSluice() {
      sluice = await serveSluice(configPath);
      return sluice;
    },
    async rollout(name) {
      const ro = await client.get<KubeObject>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: ns, name });
      if (!ro) throw new Error(`rollout ${name} not found`);
      return ro as unknown as Rollout;
    },
    async replicaSets(name) {
      const list = await client.list<KubeObject>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: ns });
      return list.items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.kind === 'Rollout' && o.name === name)) as unknown as ReplicaSet[];
    },
    async waitForRollout(name, what, check, timeoutMs = 60_000) {
      let last: Rollout | undefined;
      try {
        await waitFor(`${name}: ${what}`, async () => check((last = await env.rollout(name))), timeoutMs, 200);
      } catch (err) {
        throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}\nsluice log tail:\n${sluice.output().split('\n').slice(-15).join('\n')}`);
      }
      return last as Rollout;
    },
    async services(...names) {
      for (const name of names) {
        await client.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } });
      }
    },
  };
  return env;
}

export function canaryRollout(ns: string, opts: { image: string; steps: unknown[]; replicas?: number; extraSpec?: Record<string, unknown>; podAnnotations?: Record<string, string> }): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: opts.replicas ?? 5,
      revisionHistoryLimit: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, ...(opts.podAnnotations ? { annotations: opts.podAnnotations } : {}) },
        spec: { containers: [{ name: 'app', image: opts.image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
      },
      strategy: { canary: { canaryService: 'web-canary', stableService: 'web-stable', steps: opts.steps } },
      ...opts.extraSpec,
    },
  };
}

/** A blue-green Rollout `web` with Services web-active and web-preview (image example/web:1). */
export function bgRollout(ns: string, blueGreen: Partial<BlueGreenStrategy>, replicas = 2): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'example/web:1', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } },
      strategy: { blueGreen: { activeService: 'web-active', previewService: 'web-preview', ...blueGreen } },
    },
  } as unknown as KubeObject;
}

export const isHealthy = (ro: Rollout) => ro.status?.phase === 'Healthy' && ro.status?.observedGeneration === String(ro.metadata.generation);
