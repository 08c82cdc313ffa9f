// The validated configuration, as the rest of Sluice sees it (defaults filled in). The schema in
// config/config.schema.json is the source of truth; these types mirror it.
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface SluiceConfig {
  server: {
    host: string;
    port: number;
    shutdownTimeoutSeconds: number;
    bodyLimitBytes: number;
  };
  log: {
    level: LogLevel;
    format: 'auto' | 'json' | 'pretty';
  };
  kubernetes: {
    kubeconfig?: string;
    context?: string;
    /** Only this namespace's Rollouts are watched and controlled. */
    namespace?: string;
    resyncSeconds: number;
  };
  git: {
    cacheDir?: string;
  };
  sync: {
    stateNamespace: string;
    concurrency: number;
    maxFileBytes: number;
    maxRepoBytes: number;
  };
  analysis: {
    /** AnalysisRuns reconciled at once. */
    workers: number;
  };
  repos: RepoConfig[];
  api: {
    /** Resolved from token, tokenFile or SLUICE_API_TOKEN. Never logged. */
    token?: string;
    tokenFile?: string;
  };
}

export type RefSpec = { branch: string; commit?: string } | { tag: string } | { semver: string } | { commit: string; branch?: string } | { head: true };

export interface RepoConfig {
  name: string;
  url: string;
  /** Normalised by the loader: exactly one kind of ref; `{ head: true }` when the config names none. */
  ref: RefSpec;
  paths: string[];
  credentials?: { username?: string; usernameEnv?: string; tokenEnv?: string; tokenFile?: string };
  /** Resolved by the loader from credentials; never logged. */
  auth?: { username: string; password: string };
  schedule: string;
  prune: boolean;
  namespace: string;
  allowedKinds?: string[];
  allowedNamespaces?: string[];
}
