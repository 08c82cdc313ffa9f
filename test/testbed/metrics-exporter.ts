// A tiny Prometheus exporter whose values the test sets: a Node http server on loopback serving
// the text exposition format at /metrics, so Prometheus scrapes numbers we control.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface MetricsExporter {
  /** `127.0.0.1:PORT`, as a Prometheus scrape target. */
  target: string;
  url: string;
  /** Set (or add) a gauge; `labels` make separate series. NaN and ±Infinity are allowed. */
  setGauge(name: string, value: number, labels?: Record<string, string>): void;
  /** How many times /metrics was fetched: lets tests wait for a scrape that saw a new value. */
  scrapes(): number;
  stop(): Promise<void>;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export async function startMetricsExporter(): Promise<MetricsExporter> {
  // name → (label string → value)
  const gauges = new Map<string, Map<string, number>>();
  let scrapes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    const lines: string[] = [];
    for (const [name, series] of gauges) {
      lines.push(`# TYPE ${name} gauge`);
      for (const [labels, value] of series) lines.push(`${name}${labels} ${formatValue(value)}`);
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/metrics`,
    setGauge(name, value, labels = {}) {
      const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
      const key = entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      let series = gauges.get(name);
      if (!series) gauges.set(name, (series = new Map()));
      series.set(key, value);
    },
    scrapes: () => scrapes,
    async stop() {
      // Prometheus keeps scrape connections alive; close them so stop() does not wait for it.
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
