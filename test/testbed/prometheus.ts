// A real Prometheus (Debian's /usr/bin/prometheus) on a free loopback port, scraping the targets a
// test names every `scrapeIntervalSeconds`. Start-up failures report the port and the log tail.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, waitUntilReady, type ManagedProcess } from './processes.ts';

export const PROMETHEUS_BINARY = process.env.SLUICE_TEST_PROMETHEUS ?? '/usr/bin/prometheus';

export interface PrometheusServer {
  /** `http://127.0.0.1:PORT`, the `address` of a prometheus metric. */
  address: string;
  port: number;
  process: ManagedProcess;
  /** Instant query through the HTTP API; for tests that wait on what Prometheus has scraped. */
  query(promql: string): Promise<{ status: string; data?: { resultType: string; result: unknown } }>;
  stop(): Promise<void>;
}

export function prometheusAvailable(): boolean {
  return existsSync(PROMETHEUS_BINARY);
}

export async function startPrometheus(opts: { scrapeTargets: string[]; dir: string; scrapeIntervalSeconds?: number; readyTimeoutMs?: number }): Promise<PrometheusServer> {
  const interval = opts.scrapeIntervalSeconds ?? 1;
  mkdirSync(opts.dir, { recursive: true });
  const configFile = join(opts.dir, 'prometheus.yml');
  // JSON is YAML: no YAML writer needed for a config this small.
  const config = {
    global: { scrape_interval: `${interval}s`, evaluation_interval: `${interval}s` },
    scrape_configs: [{ job_name: 'sluice-test', scrape_interval: `${interval}s`, scrape_timeout: `${interval}s`, static_configs: [{ targets: opts.scrapeTargets }] }],
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const port = await freePort();
  const proc = startProcess({
    name: 'prometheus',
    port,
    command: PROMETHEUS_BINARY,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Debian's build would otherwise look for console templates under /etc/prometheus.
      `--web.console.templates=${opts.dir}`,
      `--web.console.libraries=${opts.dir}`,
      '--log.level=warn',
    ],
    logFile: join(opts.dir, 'prometheus.log'),
  });
  const address = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, async () => (await fetch(`${address}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok, opts.readyTimeoutMs ?? 30_000);
  return {
    address,
    port,
    process: proc,
    async query(promql) {
      const res = await fetch(`${address}/api/v1/query?${new URLSearchParams({ query: promql })}`, { signal: AbortSignal.timeout(5000) });
      return (await res.json()) as { status: string; data?: { resultType: string; result: unknown } };
    },
    stop: () => proc.stop(),
  };
}
