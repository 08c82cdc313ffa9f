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
    /** AnalysisRuns measuring at once (a run waiting for its status write does not count). */
    workers: number;
  };
  repos: RepoConfig[];
  webhooks: WebhooksConfig;
  api: {
    /** Resolved from token, tokenFile or SLUICE_API_TOKEN. Never logged. */
    token?: string;
    tokenFile?: string;
  };
}

export type RefSpec = { branch: string; commit?: string } | { tag: string } | { semver: string } | { commit: string; branch?: string } | { head: true };

/** A secret given as an environment variable or a file; the loader puts the value in `secret`. */
export interface SecretSource {
  secretEnv?: string;
  secretFile?: string;
  /** Resolved by the loader; not enumerable, so never logged or serialised. */
  secret?: string;
}

export interface WebhooksConfig {
  maxBodyBytes: number;
  github?: SecretSource;
  gitea?: SecretSource;
  gitlab?: SecretSource;
  bitbucket?: SecretSource;
}

export type GitHostType = 'github' | 'gitlab' | 'gitea';

export interface RepoHostConfig {
  type: GitHostType;
  /** Filled in by the loader from the type (and the repo url for Gitea) when not given. */
  apiUrl: string;
  /** `owner/name`; filled in by the loader from the repo url when not given. */
  repository: string;
  tokenEnv?: string;
  tokenFile?: string;
  /** Resolved by the loader; not enumerable, so never logged or serialised. */
  token?: string;
  approvers: string[];
  pullRequests: boolean;
}

export interface RepoWritebackConfig {
  branch: string;
  path: string;
  batchWindowMs: number;
  authorName: string;
  authorEmail: string;
  maxPushAttempts: number;
}

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
  host?: RepoHostConfig;
  writeback?: RepoWritebackConfig;
}
