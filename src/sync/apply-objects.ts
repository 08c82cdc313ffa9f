// Applies desired objects with server-side apply: staged (CRDs and Namespaces first, then the rest,
// after the CRDs are Established; the rest started in Helm's kind order), with bounded concurrency,
// skipping objects already up to date.
// One object's failure never stops the others; each outcome carries its source file and line.
import pLimit from 'p-limit';
import type { Cluster, KubeObject } from '../ports/cluster.ts';
import { APPLIED_HASH_ANNOTATION, describeObject, refOfObject } from './object-identity.ts';
import { isSubset, objectDiff } from './object-diff.ts';
import { kindRank, stageOf, type DesiredObject } from './prepare-objects.ts';

export type ApplyOutcome = 'created' | 'changed' | 'unchanged' | 'failed';

export interface ApplyResult {
  key: string;
  name: string;
  outcome: ApplyOutcome;
  source: { file: string; line: number };
  /** Unified diff for created/changed objects (empty when the previous state is unknown). */
  diff: string;
  error?: string;
}

export interface ApplyObjectsOptions {
  concurrency: number;
  /** Live objects found by key, when already listed; missing keys are treated as unknown. */
  live: Map<string, KubeObject>;
  dryRun?: boolean;
  /** How long to wait for an applied CRD to become Established. */
  crdTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Up to date: the live object carries the same content hash and still holds every desired value. */
export function isUpToDate(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return false;
  const want = desired.metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  return want !== undefined && live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] === want && isSubset(asStored(desired), live);
}

/**
 * `desired` as the API server stores it, where that differs: a v1 Secret's stringData is written
 * into data (base64) and never stored itself. Compared as written, such a Secret never looked up to
 * date, was applied on every sync, and (its field manager's timestamp moving) reported as changed.
 */
function asStored(desired: KubeObject): KubeObject {
  // Checked before any copying: this runs for every desired object on every sync.
  if (desired.kind !== 'Secret' || desired.apiVersion !== 'v1') return desired;
  const { stringData, ...rest } = desired as KubeObject & { stringData?: unknown; data?: Record<string, unknown> };
  if (!stringData || typeof stringData !== 'object') return desired;
  const data: Record<string, unknown> = { ...rest.data };
  for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  return { ...rest, data } as KubeObject;
}

export async function applyObjects(cluster: Cluster, desired: DesiredObject[], opts: ApplyObjectsOptions): Promise<ApplyResult[]> {
  const limit = pLimit(opts.concurrency);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const results: ApplyResult[] = [];

  const applyOne = async (d: DesiredObject): Promise<ApplyResult> => {
    const ref = refOfObject(d.object);
    const name = describeObject(ref);
    // The diff is rendered when first read: the sync report keeps only the first few hundred
    // changes, and YAML-rendering and diffing every object took over a second per 1,000 objects.
    const result = (outcome: ApplyOutcome, diffOf?: () => string): ApplyResult => {
      let diff: string | undefined;
      return { key: d.key, name, outcome, source: d.source, get diff() { return (diff ??= diffOf?.() ?? ''); } };
    };
    let live = opts.live.get(d.key);
    if (isUpToDate(d.object, live)) return result('unchanged');
    try {
      // A dry run (sluice diff) has time to fetch what it compares against.
      if (!live && opts.dryRun) live = await cluster.get(ref);
      const { object, created } = await cluster.applyDetailed(d.object, { dryRun: opts.dryRun });
      if (created) return result('created', () => objectDiff(name, undefined, object));
      if (opts.dryRun) {
        // A dry run persists nothing, so its resourceVersion says nothing: compare the content.
        const diff = live ? objectDiff(name, live, object) : '';
        return result(diff || !live ? 'changed' : 'unchanged', () => diff);
      }
      if (live && object.metadata?.resourceVersion === live.metadata?.resourceVersion) return result('unchanged');
      // Without the previous state (an object adopted from outside Sluice) there is nothing to diff against.
      const before = live;
      return result('changed', () => (before ? objectDiff(name, before, object) : ''));
    } catch (err) {
      return { key: d.key, name, outcome: 'failed', source: d.source, diff: '', error: (err as Error).message };
    }
  };

  type CrdObject = KubeObject & {
    spec?: { group?: string; names?: { kind?: string }; versions?: Array<{ name: string; served?: boolean }> };
    status?: { conditions?: Array<{ type: string; status: string }> };
  };
  // Established, and listed in API discovery: the API server sets Established a moment before its
  // discovery serves the new group version, and objects of the kind cannot be applied until it does.
  const waitEstablished = async (crdName: string) => {
    const deadline = Date.now() + (opts.crdTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const crd = await cluster.get<CrdObject>({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crdName });
      if (crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') && (await discoverable(crd))) return;
      await sleep(250);
    }
    throw new Error(`CustomResourceDefinition ${crdName} not Established after ${(opts.crdTimeoutMs ?? 60_000) / 1000}s`);
  };
  const discoverable = async (crd: CrdObject): Promise<boolean> => {
    const { group, names, versions = [] } = crd.spec ?? {};
    if (!group || !names?.kind) return true; // nothing to look up: the API server validated it anyway
    try {
      for (const v of versions) if (v.served !== false) await cluster.resourceFor(`${group}/${v.name}`, names.kind);
      return true;
    } catch {
      return false;
    }
  };

  for (const stage of [0, 1] as const) {
    const batch = desired.filter((d) => stageOf(d.object) === stage);
    // Started in kind order (kindRank; file order within a kind), up to `concurrency` at a time;
    // the results stay in file order.
    const starts = batch.map((d, i) => ({ i, rank: kindRank(d.object.kind) })).sort((a, b) => a.rank - b.rank || a.i - b.i);
    const pending = new Array<Promise<ApplyResult>>(batch.length);
    for (const { i } of starts) pending[i] = limit(() => applyOne(batch[i]!));
    const done = await Promise.all(pending);
    results.push(...done);
    if (stage === 0 && !opts.dryRun) {
      // Objects of a kind defined in this same sync can only be applied once its CRD is served.
      const crds = done.filter((r, i) => r.outcome !== 'failed' && r.outcome !== 'unchanged' && batch[i]?.object.kind === 'CustomResourceDefinition');
      await Promise.all(
        crds.map(async (r) => {
          const crdName = batch.find((b) => b.key === r.key)?.object.metadata?.name ?? '';
          try {
            await waitEstablished(crdName);
          } catch (err) {
            r.outcome = 'failed';
            r.error = (err as Error).message;
          }
        }),
      );
    }
  }
  return results;
}
