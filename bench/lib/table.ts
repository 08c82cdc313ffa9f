// Result rows and how they print: a plain-text table for the terminal and Markdown for RESULTS.md.
export type Verdict = 'PASS' | 'MISS' | 'ERROR' | 'info';

export interface Row {
  bench: string;
  metric: string;
  sluice: string;
  peer: string;
  /** Sluice divided by the peer, or '' when the ratio means nothing. */
  ratio: string;
  goal: string;
  verdict: Verdict;
}

export interface BenchResult {
  rows: Row[];
  /** Raw runs and context worth keeping with the numbers. */
  notes: string[];
}

export function ratio(sluice: number, peer: number): string {
  if (!Number.isFinite(sluice) || !Number.isFinite(peer) || peer === 0) return sluice === 0 && peer === 0 ? '—' : 'n/a';
  return `${(sluice / peer).toFixed(2)}×`;
}

/** PASS when `value <= limit`; 'info' rows carry context only. */
export function atMost(value: number, limit: number): Verdict {
  return Number.isFinite(value) && value <= limit ? 'PASS' : 'MISS';
}

const HEADERS = ['benchmark', 'metric', 'Sluice', 'peer', 'ratio', 'goal', 'result'] as const;

function cells(r: Row): string[] {
  return [r.bench, r.metric, r.sluice, r.peer, r.ratio, r.goal, r.verdict === 'info' ? '' : r.verdict];
}

export function textTable(rows: Row[]): string {
  const all = [HEADERS as readonly string[], ...rows.map(cells)];
  const widths = HEADERS.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) => c.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(all[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  return [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
  ].join('\n');
}
