// What the Git-host integration reports to metrics; src/observability/githost-metrics.ts implements
// it with prom-client.
import type { GitHostType } from '../config/config-types.ts';

/** An HTTP answer in words: success, forbidden (401/403), not_found, rate_limited, client_error, server_error, or error (no answer). */
export type HostRequestResult = 'success' | 'forbidden' | 'not_found' | 'rate_limited' | 'client_error' | 'server_error' | 'error';

/** What became of a pull-request command. */
export type CommandOutcome = 'done' | 'refused' | 'bad_arguments' | 'not_possible' | 'failed';

export interface GitHostMetrics {
  request(host: GitHostType, result: HostRequestResult): void;
  command(command: string, result: CommandOutcome): void;
}

export const noGitHostMetrics: GitHostMetrics = { request() {}, command() {} };

export function requestResult(status: number): HostRequestResult {
  if (status >= 200 && status < 400) return 'success';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 400 && status < 500) return 'client_error';
  if (status >= 500) return 'server_error';
  return 'error';
}
