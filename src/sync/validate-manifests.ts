// Checks rendered objects against what the cluster knows and what a repository may touch, before
// anything is applied: unknown kinds, namespace scoping and defaulting, the repository's allow
// lists, our Argo Rollouts CRD schemas, and duplicates. Each problem refuses only the offending
// object(s); the rest go on to be applied.
//
// Pure module: no I/O.
import { validateAgainstCrdSchema } from '../validation/crd-schema.ts';
import type { CrdCatalog } from '../validation/crd-catalog.ts';
import type { ManifestError, ManifestObject, RenderedObject } from './manifest-types.ts';

export interface ValidateOptions {
  /**
   * From API discovery: true/false, or undefined when the cluster does not know the kind (and
   * no CRD in this same render defines it; validateManifests looks at those itself).
   */
  isNamespaced(apiVersion: string, kind: string): boolean | undefined;
  /** Given to namespaced objects without metadata.namespace. */
  defaultNamespace: string;
  /**
   * `Kind` (any group) or `group/Kind` entries (`core/Kind` for the core group); undefined = all
   * kinds except the cluster RBAC kinds, which must always be listed explicitly.
   */
  allowedKinds?: string[];
  /** undefined = all. A Namespace object's own name counts as its namespace. */
  allowedNamespaces?: string[];
  /** Kinds whose objects are validated against their CRD schema (our five argoproj.io kinds). */
  crdCatalog: CrdCatalog;
}

export interface ValidateResult {
  /** Accepted objects, in input order; namespaced ones always carry metadata.namespace. */
  objects: RenderedObject[];
  /** In input order of the objects they concern. */
  errors: ManifestError[];
}

/** Granting these lets a repository give anyone any permission cluster-wide. */
const CLUSTER_RBAC_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding']);
const RBAC_GROUP = 'rbac.authorization.k8s.io';

interface Entry {
  index: number;
  rendered: RenderedObject;
  group: string;
  errors: ManifestError[];
  /** Set once the kind's scope is known: `group kind namespace name`. */
  key?: string;
  /** The object with metadata.namespace defaulted. */
  object?: ManifestObject;
  duplicate?: boolean;
}

export function validateManifests(objects: readonly RenderedObject[], opts: ValidateOptions): ValidateResult {
  const entries: Entry[] = objects.map((rendered, index) => ({
    index,
    rendered,
    group: groupOf(rendered.object.apiVersion),
    errors: [],
  }));

  // Kinds the cluster knows first; their CRDs then make the repository's own kinds known.
  const pending: Entry[] = [];
  for (const entry of entries) {
    const { apiVersion, kind } = entry.rendered.object;
    const namespaced = opts.isNamespaced(apiVersion, kind);
    if (namespaced === undefined) pending.push(entry);
    else checkEntry(entry, namespaced, opts);
  }
  // A CRD that is itself refused (not allowed, duplicated, ...) will not be applied, so it must
  // not make its kinds known either.
  markDuplicates(entries);
  const repoKinds = kindsDefinedBy(entries.filter((e) => e.errors.length === 0 && !e.duplicate).map((e) => e.rendered.object));
  for (const entry of pending) {
    const { apiVersion, kind } = entry.rendered.object;
    const scope = repoKinds.get(kindKey(apiVersion, kind));
    if (scope === undefined) {
      entry.errors.push(errorAt(entry.rendered, ['kind'], `unknown kind ${kind} (${apiVersion}): no such resource on the cluster`));
    } else {
      checkEntry(entry, scope === 'Namespaced', opts);
    }
  }
  for (const entry of entries) entry.duplicate = false;
  const duplicateErrors = markDuplicates(entries);

  const accepted: RenderedObject[] = [];
  const errors: ManifestError[] = [];
  for (const entry of entries) {
    errors.push(...entry.errors, ...(duplicateErrors.get(entry) ?? []));
    if (entry.errors.length === 0 && !entry.duplicate && entry.object) {
      accepted.push({ object: entry.object, source: entry.rendered.source, lineOf: entry.rendered.lineOf });
    }
  }
  return { objects: accepted, errors };
}

/** Scope, namespace defaulting, allow lists and CRD schema for one object of known scope. */
function checkEntry(entry: Entry, namespaced: boolean, opts: ValidateOptions): void {
  const { rendered, group } = entry;
  const obj = rendered.object;
  const { kind } = obj;
  const given = obj.metadata.namespace === '' ? undefined : obj.metadata.namespace;
  let namespace = '';
  if (namespaced) {
    namespace = given ?? opts.defaultNamespace;
  } else if (given !== undefined) {
    entry.errors.push(errorAt(rendered, ['metadata', 'namespace'], `${kind} is cluster-scoped; remove metadata.namespace`));
  }

  if (!kindAllowed(group, kind, opts.allowedKinds)) {
    const display = group === '' ? kind : `${group}/${kind}`;
    const why = opts.allowedKinds === undefined
      ? 'cluster RBAC kinds must be listed in allowedKinds explicitly'
      : `allowed: ${opts.allowedKinds.length > 0 ? opts.allowedKinds.join(', ') : 'none'}`;
    entry.errors.push(errorAt(rendered, ['kind'], `kind ${display} is not allowed for this repository (${why})`));
  }

  if (opts.allowedNamespaces !== undefined) {
    const isNamespaceObject = group === '' && kind === 'Namespace';
    const effective = isNamespaceObject ? obj.metadata.name : namespaced ? namespace : undefined;
    if (effective !== undefined && !opts.allowedNamespaces.includes(effective)) {
      if (isNamespaceObject) {
        entry.errors.push(errorAt(rendered, ['metadata', 'name'], `namespace ${effective} is not allowed for this repository`));
      } else if (given !== undefined) {
        entry.errors.push(errorAt(rendered, ['metadata', 'namespace'], `namespace ${effective} is not allowed for this repository`));
      } else {
        entry.errors.push(errorAt(rendered, [],
          `namespace ${effective} (the default for objects without metadata.namespace) is not allowed for this repository`));
      }
    }
  }

  const crd = opts.crdCatalog.lookup(obj.apiVersion, kind);
  if (crd) {
    for (const e of validateAgainstCrdSchema(obj, crd.schema)) {
      entry.errors.push(errorAt(rendered, e.segments, e.path === '' ? e.message : `${e.path}: ${e.message}`));
    }
  }

  entry.key = [group, kind, namespace, obj.metadata.name].join('\u0000');
  entry.object = namespaced && given === undefined
    ? { ...obj, metadata: { ...obj.metadata, namespace } }
    : obj;
}

/**
 * Objects with the same group, kind, namespace and name. Both (all) copies are refused: applying
 * either would silently drop the other's content, and we cannot know which one the author meant.
 * One error per later copy, at that copy, naming the first.
 */
function markDuplicates(entries: Entry[]): Map<Entry, ManifestError[]> {
  const first = new Map<string, Entry>();
  const errors = new Map<Entry, ManifestError[]>();
  for (const entry of entries) {
    if (entry.key === undefined) continue;
    const earlier = first.get(entry.key);
    if (!earlier) {
      first.set(entry.key, entry);
      continue;
    }
    earlier.duplicate = true;
    entry.duplicate = true;
    const { kind, metadata } = entry.rendered.object;
    const ns = entry.object?.metadata.namespace ?? '';
    const id = [entry.group, ns, metadata.name].filter((part) => part !== '').join('/');
    const where = `${earlier.rendered.source.file}:${earlier.rendered.source.line}`;
    errors.set(entry, [{ ...entry.rendered.source, message: `duplicate ${kind} ${id}: also defined at ${where}` }]);
  }
  return errors;
}

function kindAllowed(group: string, kind: string, allowed: string[] | undefined): boolean {
  if (allowed === undefined) return !(group === RBAC_GROUP && CLUSTER_RBAC_KINDS.has(kind));
  return allowed.some((entry) => {
    const slash = entry.lastIndexOf('/');
    if (slash < 0) return entry === kind;
    const g = entry.slice(0, slash);
    return entry.slice(slash + 1) === kind && (g === group || (g === 'core' && group === ''));
  });
}

type Scope = 'Namespaced' | 'Cluster';

/** `apiVersion kind` → scope, for every served version of the given CustomResourceDefinitions. */
function kindsDefinedBy(objects: ManifestObject[]): Map<string, Scope> {
  const kinds = new Map<string, Scope>();
  for (const obj of objects) {
    if (obj.kind !== 'CustomResourceDefinition' || groupOf(obj.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = obj.spec as { group?: unknown; scope?: unknown; names?: { kind?: unknown }; version?: unknown; versions?: unknown } | undefined;
    if (typeof spec?.group !== 'string' || typeof spec.names?.kind !== 'string') continue;
    const scope: Scope = spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced';
    const versions: string[] = [];
    if (typeof spec.version === 'string') versions.push(spec.version); // apiextensions.k8s.io/v1beta1
    if (Array.isArray(spec.versions)) {
      for (const v of spec.versions as { name?: unknown; served?: unknown }[]) {
        if (typeof v?.name === 'string' && v.served !== false) versions.push(v.name);
      }
    }
    for (const version of versions) kinds.set(kindKey(`${spec.group}/${version}`, spec.names.kind), scope);
  }
  return kinds;
}

const kindKey = (apiVersion: string, kind: string) => `${apiVersion}\u0000${kind}`;

/** `apps/v1` → `apps`; `v1` → `` (the core group). */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function errorAt(rendered: RenderedObject, segments: readonly (string | number)[], message: string): ManifestError {
  return { file: rendered.source.file, line: rendered.lineOf(segments), message };
}
