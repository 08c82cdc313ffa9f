// Installs our CRDs (manifests/crds) into the test cluster and waits until they are served.
// Server-side apply with force under one field manager makes it idempotent and safe when several
// test files install them at the same time; within one process the install runs once.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, KubernetesObjectApi, PatchStrategy, loadYaml } from '@kubernetes/client-node';
import type { KubeConfig, V1CustomResourceDefinition } from '@kubernetes/client-node';

export const CRD_DIR = fileURLToPath(new URL('../../manifests/crds/', import.meta.url));
const FIELD_MANAGER = 'sluice-test';

/**
 * Our CRD manifests, one per file, as client-node model objects. They must go through client-node's
 * loadYaml: its serializer writes known kinds from the camelCase model fields, so a plain parsed
 * object would silently lose `x-kubernetes-*` keys (and `default`) on the way to the server.
 */
export function crdManifests(): V1CustomResourceDefinition[] {
  return readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort()
    .map((f) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(CRD_DIR, f), 'utf8')));
}

const installed = new WeakMap<KubeConfig, Promise<V1CustomResourceDefinition[]>>();

/** Installs the CRDs once per process and KubeConfig; later calls share the first result. */
export function installCrds(kubeConfig: KubeConfig): Promise<V1CustomResourceDefinition[]> {
  let pending = installed.get(kubeConfig);
  if (!pending) {
    pending = applyCrds(kubeConfig);
    installed.set(kubeConfig, pending);
    pending.catch(() => installed.delete(kubeConfig));
  }
  return pending;
}

/** Applies every CRD (no caching) and resolves with them once each is Established. */
export async function applyCrds(kubeConfig: KubeConfig, timeoutMs = 60_000): Promise<V1CustomResourceDefinition[]> {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const ext = kubeConfig.makeApiClient(ApiextensionsV1Api);
  return Promise.all(crdManifests().map(async (crd) => {
    const name = crd.metadata!.name!;
    const before = await ext.readCustomResourceDefinition({ name }).catch((err: unknown) => {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    });
    const applied = await objects.patch(crd, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    const ready = await waitEstablished(ext, name, timeoutMs);
    // An existing CRD whose schema changed is Established already; the API server swaps in the new
    // schema asynchronously, so give it a moment before anyone creates objects against it.
    if (before && before.metadata?.generation !== applied.metadata?.generation) await sleep(2_000);
    return ready;
  }));
}

async function waitEstablished(ext: ApiextensionsV1Api, name: string, timeoutMs: number): Promise<V1CustomResourceDefinition> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await ext.readCustomResourceDefinition({ name });
    const conditions = crd.status?.conditions ?? [];
    const isTrue = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
    if (isTrue('Established') && isTrue('NamesAccepted')) return crd;
    if (Date.now() > deadline) {
      throw new Error(`CRD ${name} not Established after ${timeoutMs} ms: ${JSON.stringify(conditions)}`);
    }
    await sleep(200);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
