// Prometheus metrics for the Git-host integration (API requests, pull-request commands), on the
// injected registry.
import { Counter, type Registry } from 'prom-client';
import type { GitHostMetrics } from '../githost/githost-metrics.ts';

export function createGitHostMetrics(registry: Registry): GitHostMetrics {
  const requests = new Counter({
    name: 'sluice_githost_requests_total',
    help: 'HTTP requests to Git-host APIs by host and result (success, forbidden, not_found, rate_limited, client_error, server_error, error).',
    labelNames: ['host', 'result'],
    registers: [registry],
  });
  const commands = new Counter({
    name: 'sluice_pr_commands_total',
    help: 'Pull-request commands (/promote, /promote --full, /abort, /retry, approving reviews) by result (done, refused, bad_arguments, not_possible, failed).',
    labelNames: ['command', 'result'],
    registers: [registry],
  });
  return {
    request(host, result) {
      requests.inc({ host, result });
    },
    command(command, result) {
      commands.inc({ command, result });
    },
  };
}
