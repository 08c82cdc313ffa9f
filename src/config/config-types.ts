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
    resyncSeconds: number;
  };
  api: {
    /** Resolved from token, tokenFile or SLUICE_API_TOKEN. Never logged. */
    token?: string;
    tokenFile?: string;
  };
}
