// Picks the host client for a repository's `host` config, all sharing the timed, counted fetch.
import type { Logger } from 'pino';
import type { GitHostType, RepoHostConfig } from '../config/config-types.ts';
import type { GitHostClient } from './host-client.ts';
import { createHostFetch, type FetchFn } from './host-http.ts';
import { noGitHostMetrics, type GitHostMetrics } from './githost-metrics.ts';
import { createGitHubClient } from './github-client.ts';
import { createGitLabClient } from './gitlab-client.ts';
import { createGiteaClient } from './gitea-client.ts';

export interface HostClientOptions {
  log: Logger;
  metrics?: GitHostMetrics;
  /** Longest one API request may take. Default 15 s. */
  timeoutMs?: number;
  fetch?: FetchFn;
}

type Factory = (config: RepoHostConfig, deps: { fetch: FetchFn; log: Logger }) => GitHostClient;

const FACTORIES: Record<GitHostType, Factory> = {
  github: createGitHubClient,
  gitlab: createGitLabClient,
  gitea: createGiteaClient,
};

export function createHostClient(config: RepoHostConfig, opts: HostClientOptions): GitHostClient {
  const fetch = createHostFetch({ host: config.type, timeoutMs: opts.timeoutMs ?? 15_000, metrics: opts.metrics ?? noGitHostMetrics, fetch: opts.fetch });
  return FACTORIES[config.type](config, { fetch, log: opts.log });
}
