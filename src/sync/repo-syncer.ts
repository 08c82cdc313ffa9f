// One repository's sync loop: resolve the ref (one request), fetch only when the commit moved,
// read and render the manifests, validate, apply what differs, prune what was removed, record the
// inventory and report. It never prunes when the fetch or the render failed, or when a render
// suddenly yields nothing where the last sync had objects. Triggers arriving during a sync
// coalesce into one more sync, so the latest push is never lost.
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { RepoConfig, RefSpec } from '../config/config-types.ts';
import type { Cluster, KubeObject } from '../ports/cluster.ts';
import { apiStatusOf } from '../ports/cluster.ts';
import { GitUnavailableError, type GitSource, type RepoFile, type RepoFileError, type ResolvedRevision } from '../ports/git-source.ts';
import { formatSyncProblem, type RepoStatus, type SyncChange, type SyncReport, type SyncResult } from '../ports/repo-sync.ts';
import type { CrdCatalog } from '../validation/crd-catalog.ts';
import { renderManifests, type RenderResult } from './render-manifests.ts';
import { prepareRenderPool, renderEach } from './render-pool.ts';
import { validateManifests } from './validate-manifests.ts';
import type { ManifestError, RenderLimits } from './manifest-types.ts';
import { prepareObject, type DesiredObject } from './prepare-objects.ts';
import { applyObjects, type ApplyResult } from './apply-objects.ts';
import { loadInventory, saveInventory, removedEntries, type Inventory, type InventoryEntry } from './inventory-store.ts';
import { REPO_LABEL, describeObject, objectKey, refOfObject } from './object-identity.ts';
import { noSyncMetrics, type SyncMetrics } from './sync-metrics.ts';

export interface RepoSyncerDeps {
  repo: RepoConfig;
  git: GitSource;
  cluster: Cluster;
  crdCatalog: CrdCatalog;
  stateNamespace: string;
  concurrency: number;
  limits: RenderLimits;
  log: Logger;
  metrics?: SyncMetrics;
  now?: () => Date;
}

export interface SyncOptions {
  trigger: string;
  /** Compute what would change, change nothing (sluice diff). */
  dryRun?: boolean;
  /** Deploy this commit instead of what the ref resolves to (must be on the ref's history). */
  revision?: string;
  /** Fetch `revision` from this ref instead of the configured one (a pull request's head ref). */
  revisionRef?: string;
}

const MAX_CHANGES_IN_STATUS = 200;

export function describeRef(ref: RefSpec): string {
  if ('head' in ref) return 'HEAD';
  if ('commit' in ref && ref.commit) return `commit ${ref.commit.slice(0, 7)}${ref.branch ? ` on ${ref.branch}` : ''}`;
  if ('branch' in ref) return `branch ${ref.branch}`;
  if ('tag' in ref) return `tag ${ref.tag}`;
  return 'semver' in ref ? `semver ${ref.semver}` : 'HEAD';
}

export class RepoSyncer {
  private readonly deps: RepoSyncerDeps;
  private readonly now: () => Date;
  private readonly metrics: SyncMetrics;
  private current: Promise<RepoStatus> | undefined;
  private queued: Promise<RepoStatus> | undefined;
  /** Syncs and plans run one at a time: they share the Git cache and the render cache. */
  private lane: Promise<unknown> = Promise.resolve();
  private state: RepoStatus;
  private restored = false;
  private lastRender: { sha: string; read: { errors: RepoFileError[] }; rendered: RenderResult } | undefined;
  /** Where the last sync listed live objects (listed early by the next, see syncInto). */
  private lastScopes: ListScope[] = [];
  /** Each file's last render, by path, with the bytes it was rendered from (see render()). */
  private fileRenders = new Map<string, { content: Uint8Array; rendered: RenderResult }>();

  constructor(deps: RepoSyncerDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    this.metrics = deps.metrics ?? noSyncMetrics;
    this.state = { name: deps.repo.name, url: deps.repo.url, ref: describeRef(deps.repo.ref), syncing: false, source: { state: 'unknown' } };
    prepareRenderPool();
  }

  get name(): string {
    return this.deps.repo.name;
  }

  status(): RepoStatus {
    const { lastSync, ...rest } = this.state;
    const copy: RepoStatus = structuredClone(rest);
    // The changes are frozen and their diffs rendered on first read (lazyDiffChange): shared, not cloned.
    if (lastSync) copy.lastSync = { ...structuredClone({ ...lastSync, changes: [] }), changes: [...lastSync.changes] };
    return copy;
  }

  /** Enqueues a sync. While one runs, all further triggers share one follow-up sync. */
  trigger(trigger: string): Promise<RepoStatus> {
    if (this.queued) return this.queued;
    if (!this.current) {
      this.current = this.run({ trigger }).finally(() => {
        this.current = undefined;
      });
      return this.current;
    }
    this.queued = this.current.then(() => {
      this.queued = undefined;
      return this.trigger(trigger);
    });
    return this.queued;
  }

  /**
   * What a sync would do, without doing it (no apply, no prune, no inventory write, no change to
   * status()). `options.ref`: fetch `revision` from that ref (a pull request's head).
   */
  async plan(revision?: string, options: { ref?: string } = {}): Promise<SyncReport> {
    const status = await this.run({ trigger: 'diff', dryRun: true, revision, revisionRef: options.ref });
    return status.lastSync as SyncReport;
  }

  /** The objects rendered from the manifests at `sha` (reused from the last sync or plan of it). */
  async renderedAt(sha: string): Promise<RenderResult['objects']> {
    return (await this.inLane(() => this.readAndRender(sha))).rendered.objects;
  }

  private run(opts: SyncOptions): Promise<RepoStatus> {
    return this.inLane(() => this.runNow(opts));
  }

  private inLane<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lane.then(fn);
    this.lane = next.catch(() => undefined);
    return next;
  }

  private async runNow(opts: SyncOptions): Promise<RepoStatus> {
    const { repo, log } = this.deps;
    const started = this.now();
    if (!opts.dryRun) this.state.syncing = true;
    const report: SyncReport = {
      trigger: opts.trigger,
      startedAt: started.toISOString(),
      finishedAt: '',
      durationMs: 0,
      result: 'succeeded',
      objects: { created: 0, changed: 0, unchanged: 0, pruned: 0, failed: 0 },
      driftRepaired: [],
      errors: [],
      changes: [],
    };
    try {
      await this.syncInto(report, opts);
    } catch (err) {
      report.result = err instanceof GitUnavailableError ? 'unavailable' : 'failed';
      report.errors.push({ message: (err as Error).message });
      if (err instanceof GitUnavailableError && !opts.dryRun) this.state.source = { ...this.state.source, state: 'unavailable', message: err.message, lastCheckedAt: this.now().toISOString() };
    } finally {
      const finished = this.now();
      report.finishedAt = finished.toISOString();
      report.durationMs = finished.getTime() - started.getTime();
      if (!opts.dryRun) {
        this.state.syncing = false;
        this.state.lastSync = report;
        this.metrics.syncFinished(repo.name, report.result, report.durationMs / 1000);
        const summary = { repo: repo.name, trigger: opts.trigger, result: report.result, commit: report.commit, ...report.objects, durationMs: report.durationMs };
        if (report.result === 'succeeded') log.info(summary, 'sync finished');
        else log.warn({ ...summary, errors: report.errors.slice(0, 20).map(formatSyncProblem) }, 'sync finished with problems');
        if (report.driftRepaired.length) {
          log.warn({ repo: repo.name, objects: report.driftRepaired }, 'drift repaired: live objects changed by hand were set back to Git');
          this.metrics.driftRepaired(repo.name, report.driftRepaired.length);
        }
      }
    }
    return opts.dryRun ? { ...this.status(), lastSync: report } : this.status();
  }

  private async syncInto(report: SyncReport, opts: SyncOptions): Promise<void> {
    const { repo, git, cluster } = this.deps;
    // The inventory and the live objects of the kinds and namespaces the last sync applied are read
    // from the cluster while Git is fetched and the manifests render (they depend on neither); those
    // new in this commit are listed after the render. Each is awaited (and its error surfaces) where it is used.
    const inventoryLoad = quiet(loadInventory(cluster, this.deps.stateNamespace, repo.name));
    const earlyLive = quiet(this.listScopes(this.lastScopes, { bestEffort: true }));
    if (!this.restored && !opts.dryRun) {
      // The last applied commit survives restarts in the inventory's state ConfigMap.
      const inv = await inventoryLoad.catch(() => undefined);
      this.state.lastAppliedCommit = inv?.lastAppliedCommit;
      this.restored = true;
    }

    // 1. Source: one refs request; a fetch only when the commit is not cached.
    let rev: ResolvedRevision = await git.resolve();
    if (opts.revision) rev = { sha: opts.revision, ref: opts.revisionRef ?? rev.ref };
    await git.ensureCommit(rev, { history: opts.revision !== undefined });
    if (!opts.dryRun) this.state.source = { state: 'available', lastFetchedCommit: rev.sha, lastCheckedAt: this.now().toISOString() };
    report.commit = rev.sha;

    // 2. Render and validate. Problems are reported per file; the rest still syncs.
    const { read, rendered } = await this.readAndRender(rev.sha);
    const kinds = await this.discoverKinds(rendered.objects.map((o) => o.object));
    const validated = validateManifests(rendered.objects, {
      isNamespaced: (apiVersion, kind) => kinds.get(`${apiVersion}|${kind}`),
      defaultNamespace: repo.namespace,
      allowedKinds: repo.allowedKinds,
      allowedNamespaces: repo.allowedNamespaces,
      crdCatalog: this.deps.crdCatalog,
    });
    const manifestErrors: ManifestError[] = [...read.errors, ...rendered.errors, ...validated.errors];
    for (const e of manifestErrors) report.errors.push({ file: e.file, line: e.line, message: e.message });

    const desired: DesiredObject[] = validated.objects.map((o) => prepareObject(o.object as KubeObject, repo.name, o.source));
    const desiredKeys = new Set(desired.map((d) => d.key));
    const inventory: Inventory = (await inventoryLoad) ?? { repo: repo.name, url: repo.url, objects: [] };

    // 3. Apply what differs.
    const live = await this.listLive(desired, earlyLive);
    const results = await applyObjects(cluster, desired, { concurrency: this.deps.concurrency, live, dryRun: opts.dryRun });
    this.account(report, results);
    if (!opts.dryRun && rev.sha === this.state.lastAppliedCommit) {
      // Same commit as last time, yet objects differed: someone changed them by hand.
      report.driftRepaired = results.filter((r) => r.outcome === 'changed').map((r) => r.name);
    }

    // 4. Prune, only when everything that defines the desired state was read and understood.
    const removed = removedEntries(inventory.objects, desiredKeys);
    const pruneSkipped = !repo.prune
      ? undefined
      : manifestErrors.length
        ? `${manifestErrors.length} manifest problem(s): nothing is pruned until every file renders`
        : desired.length === 0 && inventory.objects.length > 0
          ? 'the render yielded no objects where the last sync had some'
          : undefined;
    const pruned: InventoryEntry[] = [];
    if (repo.prune && removed.length) {
      if (pruneSkipped) report.pruneSkipped = pruneSkipped;
      else for (const entry of this.pruneOrder(removed)) if (await this.pruneOne(entry, report, opts.dryRun === true)) pruned.push(entry);
    }

    // 5. Inventory: what this repository owns now (kept: entries not pruned, so a later sync can).
    if (!opts.dryRun) {
      const byKey = new Map<string, InventoryEntry>(inventory.objects.map((e) => [objectKey(e), e]));
      for (const p of pruned) byKey.delete(objectKey(p));
      // By key, not desired.find per result: that is quadratic, about 0.4 s of CPU at 5,000 objects.
      const desiredByKey = new Map<string, DesiredObject>();
      for (const d of desired) if (!desiredByKey.has(d.key)) desiredByKey.set(d.key, d);
      for (const r of results) {
        if (r.outcome === 'failed') continue;
        const d = desiredByKey.get(r.key);
        if (d) byKey.set(r.key, refOfObject(d.object));
      }
      const failedApply = results.some((r) => r.outcome === 'failed');
      const commit = failedApply ? inventory.lastAppliedCommit : rev.sha;
      const next: Inventory = {
        repo: repo.name,
        url: repo.url,
        objects: [...byKey.values()],
        lastAppliedCommit: commit,
        // The time the commit was first applied: an idle poll must not rewrite the inventory.
        lastAppliedAt: commit === inventory.lastAppliedCommit && inventory.lastAppliedAt ? inventory.lastAppliedAt : this.now().toISOString(),
      };
      // Writes only what differs: nothing after an idle poll, the small state after a new commit.
      await saveInventory(cluster, this.deps.stateNamespace, next, inventory);
      this.state.lastAppliedCommit = next.lastAppliedCommit;
    }
    report.result = resultOf(report);
  }

  /**
   * The files at `sha` and their render. Both depend on nothing but the commit (and the fixed
   * paths and limits), so the last result is reused while the commit stays: re-reading and
   * re-parsing thousands of files dominated a sync where nothing changed.
   */
  private async readAndRender(sha: string): Promise<{ read: { errors: RepoFileError[] }; rendered: RenderResult }> {
    if (this.lastRender?.sha === sha) return this.lastRender;
    const files = await this.deps.git.readFiles(sha, this.deps.repo.paths);
    const result = { sha, read: { errors: files.errors }, rendered: await this.render(files.files) };
    this.lastRender = result;
    return result;
  }

  /**
   * renderManifests(files), parsing again only the files whose bytes changed since the last
   * render: a new commit usually changes a few files of many. Below the total size limit a file's
   * render depends only on its path, its bytes and the per-file limits, and renderManifests of
   * all files is the per-file renders in its path order. At or over the total limit, the files
   * are rendered together as before (which files the limit refuses depends on all of them).
   */
  private async render(files: RepoFile[]): Promise<RenderResult> {
    const limits = this.deps.limits;
    if (files.reduce((n, f) => n + f.content.byteLength, 0) > limits.maxTotalBytes) {
      this.fileRenders = new Map();
      return renderManifests(files, limits);
    }
    // renderManifests' order: by path, compared by UTF-16 code units.
    const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    // Each file's last render while its bytes are the same; the others render now.
    const kept = new Map<string, RenderResult>();
    for (const file of sorted) {
      const last = this.fileRenders.get(file.path);
      if (last && (last.content === file.content || Buffer.compare(last.content, file.content) === 0)) kept.set(file.path, last.rendered);
    }
    const changed = sorted.filter((f) => !kept.has(f.path));
    const fresh = await renderEach(changed, limits); // many changed files: on two threads
    changed.forEach((f, i) => kept.set(f.path, fresh[i]!));
    const next = new Map<string, { content: Uint8Array; rendered: RenderResult }>();
    const objects: RenderResult['objects'] = [];
    const errors: RenderResult['errors'] = [];
    for (const file of sorted) {
      const rendered = kept.get(file.path)!;
      next.set(file.path, { content: file.content, rendered });
      for (const o of rendered.objects) objects.push(o);
      for (const e of rendered.errors) errors.push(e);
    }
    this.fileRenders = next;
    return { objects, errors };
  }

  /** Which kinds the cluster serves and whether they are namespaced (undefined = unknown kind). */
  private async discoverKinds(objects: Array<{ apiVersion: string; kind: string }>): Promise<Map<string, boolean | undefined>> {
    const out = new Map<string, boolean | undefined>();
    for (const o of objects) {
      const key = `${o.apiVersion}|${o.kind}`;
      if (out.has(key)) continue;
      try {
        out.set(key, (await this.deps.cluster.resourceFor(o.apiVersion, o.kind)).namespaced);
      } catch (err) {
        if (apiStatusOf(err) !== 404) throw err;
        out.set(key, undefined);
      }
    }
    return out;
  }

  /**
   * Live objects of this repository, keyed like desired objects: listed per kind in each namespace
   * the desired objects use (cluster-wide for a kind spread over many namespaces, and for
   * cluster-scoped kinds). A label-filtered list across all namespaces makes the API server read
   * every object of the kind in the cluster; one namespace reads only that namespace's. `early`
   * listed the last sync's scopes (see syncInto); scopes it did not cover are listed now.
   */
  private async listLive(desired: DesiredObject[], early: Promise<{ scopes: Set<string>; live: Map<string, KubeObject> }>): Promise<Map<string, KubeObject>> {
    const scopes = liveScopes(desired.map((d) => d.object));
    this.lastScopes = scopes;
    const listed = await early;
    const covered = (s: ListScope) => listed.scopes.has(scopeKey(s)) || listed.scopes.has(scopeKey({ ...s, namespace: undefined }));
    const rest = await this.listScopes(scopes.filter((s) => !covered(s)));
    for (const [key, obj] of rest.live) listed.live.set(key, obj);
    return listed.live;
  }

  /**
   * One label-filtered list per scope. `bestEffort` (the early lists of the last sync's scopes): a
   * scope whose list fails is left out of the answer instead of failing the sync; listLive lists it
   * again if this sync still needs it, and only then does its error count. A namespace the
   * repository has left, and Sluice may no longer read, must not fail the sync.
   */
  private async listScopes(scopes: ListScope[], options: { bestEffort?: boolean } = {}): Promise<{ scopes: Set<string>; live: Map<string, KubeObject> }> {
    const live = new Map<string, KubeObject>();
    const listed = new Set<string>();
    // A few at a time: a repository spread over namespaces has up to eight lists per kind.
    const limit = pLimit(MAX_LISTS_IN_FLIGHT);
    const listOne = async (scope: ListScope) => {
      try {
        const list = await this.deps.cluster.list({ ...scope, labelSelector: `${REPO_LABEL}=${this.deps.repo.name}` });
        for (const item of list.items) live.set(objectKey(refOfObject(item)), item);
      } catch (err) {
        if (options.bestEffort) return;
        // A kind whose CRD arrives in this same sync is not served yet: nothing of it is live.
        if (apiStatusOf(err) !== 404) throw err;
      }
      listed.add(scopeKey(scope));
    };
    await Promise.all(scopes.map((scope) => limit(() => listOne(scope))));
    return { scopes: listed, live };
  }

  private pruneOrder(entries: InventoryEntry[]): InventoryEntry[] {
    // Namespaces and CRDs last: deleting them first would take everything inside with them.
    const last = (e: InventoryEntry) => (e.kind === 'Namespace' || e.kind === 'CustomResourceDefinition' ? 1 : 0);
    return [...entries].sort((a, b) => last(a) - last(b));
  }

  private async pruneOne(entry: InventoryEntry, report: SyncReport, dryRun: boolean): Promise<boolean> {
    const name = describeObject(entry);
    try {
      const live = await this.deps.cluster.get(entry);
      if (!live) return true;
      const owner = live.metadata?.labels?.[REPO_LABEL];
      if (owner !== this.deps.repo.name) {
        // Another repository (or a person) owns it now; it is not ours to delete.
        report.errors.push({ object: name, message: `not pruned: it is now labelled ${REPO_LABEL}=${owner ?? '(none)'}` });
        return true;
      }
      if (!dryRun) await this.deps.cluster.delete(entry, { propagationPolicy: 'Background', uid: live.metadata?.uid });
      report.objects.pruned++;
      report.changes.push({ outcome: 'pruned', object: name });
      return true;
    } catch (err) {
      report.objects.failed++;
      report.errors.push({ object: name, message: `prune failed: ${(err as Error).message}` });
      return false;
    }
  }

  private account(report: SyncReport, results: ApplyResult[]): void {
    for (const r of results) {
      report.objects[r.outcome]++;
      if (r.outcome === 'failed') report.errors.push({ file: r.source.file, line: r.source.line, object: r.name, message: r.error ?? 'apply failed' });
      if (r.outcome !== 'unchanged' && report.changes.length < MAX_CHANGES_IN_STATUS) {
        report.changes.push(lazyDiffChange({ outcome: r.outcome, object: r.name, source: `${r.source.file}:${r.source.line}` }, r));
      }
    }
  }
}

/** The same promise, marked handled: a sync that fails before awaiting it must not leave an unhandled rejection. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * A change whose `diff` is rendered when first read (by the API, `sluice diff` or a plan comment),
 * not during the sync: YAML-rendering and diffing a few hundred objects took 100-200 ms of a sync
 * of 1,000 changed objects. Frozen, so status() can share it instead of cloning (which would render
 * every diff at the end of every sync).
 */
function lazyDiffChange(change: SyncChange, result: ApplyResult): SyncChange {
  return Object.freeze(
    Object.defineProperty(change, 'diff', {
      enumerable: true,
      get: () => result.diff || undefined,
    }),
  );
}

function resultOf(report: SyncReport): SyncResult {
  if (!report.errors.length) return 'succeeded';
  const applied = report.objects.created + report.objects.changed + report.objects.unchanged;
  return applied > 0 ? 'partial' : 'failed';
}

/** Where live objects are listed: a kind in one namespace, or everywhere (namespace undefined). */
interface ListScope {
  apiVersion: string;
  kind: string;
  namespace: string | undefined;
}

/** A kind in more namespaces than this is listed once across all of them. */
const MAX_NAMESPACES_PER_KIND = 8;
/** Live-object lists a sync has in flight at once. */
const MAX_LISTS_IN_FLIGHT = 8;

const scopeKey = (s: ListScope) => `${s.apiVersion}|${s.kind}|${s.namespace ?? '*'}`;

/** The list requests that cover `objects` (namespaced ones carry their namespace after validation). */
function liveScopes(objects: KubeObject[]): ListScope[] {
  const byKind = new Map<string, { apiVersion: string; kind: string; namespaces: Set<string>; clusterScoped: boolean }>();
  for (const o of objects) {
    const key = `${o.apiVersion}|${o.kind}`;
    let entry = byKind.get(key);
    if (!entry) byKind.set(key, (entry = { apiVersion: o.apiVersion ?? '', kind: o.kind ?? '', namespaces: new Set(), clusterScoped: false }));
    if (o.metadata?.namespace) entry.namespaces.add(o.metadata.namespace);
    else entry.clusterScoped = true;
  }
  const scopes: ListScope[] = [];
  for (const { apiVersion, kind, namespaces, clusterScoped } of byKind.values()) {
    if (clusterScoped || namespaces.size > MAX_NAMESPACES_PER_KIND) scopes.push({ apiVersion, kind, namespace: undefined });
    else for (const namespace of namespaces) scopes.push({ apiVersion, kind, namespace });
  }
  return scopes;
}
