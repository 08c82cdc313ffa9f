// Types shared by the rendering (render-manifests.ts) and validation (validate-manifests.ts) of
// the YAML that Sluice applies from Git. Pure module: no I/O.

/** One file of the synced repository, as read by the Git layer. */
export interface SourceFile {
  /** Repo-relative posix path, e.g. `apps/web/deployment.yaml`. */
  path: string;
  /** Text, or raw bytes (decoded as UTF-8). */
  content: string | Uint8Array;
}

/** A problem in the repository's manifests, shown as `file:line: message` (or `file: message`). */
export interface ManifestError {
  file: string;
  /** 1-based; absent for problems with the file as a whole (size, encoding). */
  line?: number;
  message: string;
}

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface RenderedObject {
  /** Plain JSON: no YAML node objects, no Dates, no shared references, finite numbers only. */
  object: ManifestObject;
  /** Line of the document's first key (of the item's first key for `kind: List` items). */
  source: { file: string; line: number };
  /**
   * Line of the YAML node at `segments` inside this document; for a mapping entry, the line of
   * its key. Segments that do not exist (e.g. a missing required field) resolve to the deepest
   * existing ancestor, and an empty path to the document line.
   */
  lineOf(segments: readonly (string | number)[]): number;
}

export interface RenderLimits {
  /** Larger YAML files are refused (and do not count towards maxTotalBytes). */
  maxFileBytes: number;
  /** Once the YAML files rendered so far would exceed this, every further file is refused. */
  maxTotalBytes: number;
  /** yaml's `toJS({ maxAliasCount })`: bounds how often aliases may be expanded. */
  maxAliasCount: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_RENDER_LIMITS: Readonly<RenderLimits> = Object.freeze({
  maxFileBytes: 1 * MiB,
  maxTotalBytes: 64 * MiB,
  maxAliasCount: 100,
});

export function formatManifestError(e: ManifestError): string {
  return e.line === undefined ? `${e.file}: ${e.message}` : `${e.file}:${e.line}: ${e.message}`;
}
