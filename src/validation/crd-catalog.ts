// Lookup from apiVersion/kind to the openAPIV3Schema of a CRD, built from our own CRDs in
// manifests/crds (loadCrdCatalog) or from any CRD objects, e.g. ones found in a synced repository
// (crdCatalogFrom). Pairs with crd-schema.ts, which does the validation.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { CrdSchema } from './crd-schema.ts';

export interface CrdKind {
  /** `group/version`, e.g. `argoproj.io/v1alpha1`. */
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  schema: CrdSchema;
}

export interface CrdCatalog {
  lookup(apiVersion: string, kind: string): CrdKind | undefined;
  /** Every served kind/version, in the order the CRDs were given. */
  kinds(): CrdKind[];
}

/** manifests/crds, from src/validation (run from source) or dist/validation (built). */
export const DEFAULT_CRD_DIR = fileURLToPath(new URL('../../manifests/crds/', import.meta.url));

export async function loadCrdCatalog(dir: string = DEFAULT_CRD_DIR): Promise<CrdCatalog> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const crds: unknown[] = [];
  for (const file of files) {
    const path = join(dir, file);
    for (const doc of parseAllDocuments(await readFile(path, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      if (!isCrd(value)) throw new Error(`${path}: expected only CustomResourceDefinitions`);
      crds.push(value);
    }
  }
  return crdCatalogFrom(crds);
}

/** Builds a catalog from CRD objects (apiextensions.k8s.io/v1); other objects are ignored. */
export function crdCatalogFrom(crds: readonly unknown[]): CrdCatalog {
  const byKey = new Map<string, CrdKind>();
  for (const crd of crds) {
    if (!isCrd(crd)) continue;
    const spec = crd.spec;
    for (const version of spec.versions ?? []) {
      if (!version.served) continue;
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) continue;
      const entry: CrdKind = {
        apiVersion: `${spec.group}/${version.name}`,
        group: spec.group,
        version: version.name,
        kind: spec.names.kind,
        plural: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        shortNames: spec.names.shortNames ?? [],
        scope: spec.scope,
        schema,
      };
      byKey.set(key(entry.apiVersion, entry.kind), entry);
    }
  }
  return {
    lookup: (apiVersion, kind) => byKey.get(key(apiVersion, kind)),
    kinds: () => [...byKey.values()],
  };
}

const key = (apiVersion: string, kind: string) => `${apiVersion}\u0000${kind}`;

interface CrdObject {
  apiVersion: string;
  kind: 'CustomResourceDefinition';
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; plural: string; singular?: string; shortNames?: string[] };
    versions?: { name: string; served?: boolean; schema?: { openAPIV3Schema?: CrdSchema } }[];
  };
}

function isCrd(value: unknown): value is CrdObject {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<CrdObject>;
  return v.apiVersion === 'apiextensions.k8s.io/v1' && v.kind === 'CustomResourceDefinition'
    && typeof v.spec?.group === 'string' && typeof v.spec.names?.kind === 'string';
}
