// The port between the HTTP API (and later webhooks) and Git sync: read each repository's sync
// status, and ask for a sync.

export type SyncResult = 'succeeded' | 'partial' | 'failed' | 'unavailable';

export interface SyncProblem {
  /** Repository path, when the problem is in a file. */
  file?: string;
  line?: number;
  /** `Kind namespace/name`, when the problem is with one object. */
  object?: string;
  message: string;
}

export interface SyncChange {
  outcome: 'created' | 'changed' | 'pruned' | 'failed';
  object: string;
  /** `file:line` the object came from (none for pruned objects). */
  source?: string;
  diff?: string;
}

export interface SyncReport {
  trigger: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  result: SyncResult;
  commit?: string | undefined;
  objects: { created: number; changed: number; unchanged: number; pruned: number; failed: number };
  /** Objects changed by hand in the cluster and set back by this sync. */
  driftRepaired: string[];
  /** Why nothing was pruned although prune is on. */
  pruneSkipped?: string | undefined;
  errors: SyncProblem[];
  changes: SyncChange[];
}

export interface RepoStatus {
  name: string;
  url: string;
  /** The ref spec in words: `branch main`, `tag v1.2.0`, `semver ^1`, `commit abc1234`, `HEAD`. */
  ref: string;
  syncing: boolean;
  source: {
    state: 'unknown' | 'available' | 'unavailable';
    message?: string | undefined;
    lastFetchedCommit?: string | undefined;
    lastCheckedAt?: string | undefined;
  };
  lastAppliedCommit?: string | undefined;
  lastSync?: SyncReport | undefined;
}

export interface RepoSyncService {
  list(): RepoStatus[];
  get(name: string): RepoStatus | undefined;
  /** Enqueues a sync (coalesced with one already waiting); resolves when that sync has finished. */
  sync(name: string, trigger: string): Promise<RepoStatus> | undefined;
}

/** `file:line: message`, or `Kind ns/name: message` for problems with one object. */
export function formatSyncProblem(p: SyncProblem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : '';
  return `${where}${p.object && !p.file ? `${p.object}: ` : ''}${p.message}`;
}
