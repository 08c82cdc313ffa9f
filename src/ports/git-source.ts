// The port through which sync reads a repository: resolve the configured ref with one request,
// make a commit available locally, and read the manifest files at a commit.

export interface ResolvedRevision {
  /** The commit to deploy. */
  sha: string;
  /** The remote ref it came from (`refs/heads/main`, `refs/tags/v1.2.0`, `HEAD`). */
  ref: string;
}

export interface RepoFile {
  /** Repository-relative POSIX path. */
  path: string;
  content: Uint8Array;
}

/** A problem with one path, reported like a manifest error: `file[:line]: message`. */
export interface RepoFileError {
  file: string;
  line?: number;
  message: string;
}

export interface GitSource {
  /** Asks the server for its refs (one request) and picks the commit the ref spec names. */
  resolve(): Promise<ResolvedRevision>;
  /**
   * Makes the commit available in the local cache; fetches only when it is not there yet.
   * `history`: the commit may be older than the ref's tip, so fetch the ref's whole history.
   */
  ensureCommit(revision: ResolvedRevision, options?: { history?: boolean }): Promise<{ fetched: boolean }>;
  /** The .yaml/.yml files under `paths` at `sha`, read from the object store (no work tree). */
  readFiles(sha: string, paths: string[]): Promise<{ files: RepoFile[]; errors: RepoFileError[] }>;
}

/** Thrown when the Git server cannot be reached or refuses us; sync reports the source unavailable. */
export class GitUnavailableError extends Error {
  override name = 'GitUnavailableError';
}
