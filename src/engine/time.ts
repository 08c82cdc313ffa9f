// Time as the engine sees it: `now` comes in from the shell; timestamps are written the way
// metav1.Time serialises them (RFC 3339, second precision, UTC).

/** `2025-01-02T03:04:05Z` for a Date (milliseconds are dropped, as metav1.Time does). */
export function formatTime(t: Date): string {
  return `${t.toISOString().slice(0, 19)}Z`;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp, or undefined when it does not parse. */
export function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `now` truncated to whole seconds, as it would read back after a round trip through the API server. */
export function nowMs(now: Date): number {
  return Math.floor(now.getTime() / 1000) * 1000;
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go time.ParseDuration in seconds (`1h30m`, `90s`, `1.5h`), or undefined when it does not parse. */
export function parseGoDuration(s: string): number | undefined {
  let rest = s.trim();
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m || m[1] === undefined || m[2] === undefined) return undefined;
    total += Number(m[1]) * (UNIT_SECONDS[m[2]] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/**
 * A pause duration in whole seconds (RolloutPause.DurationSeconds): an integer, a string of an
 * integer, or a Go duration string (`30s`, `5m`, `1h`). Undefined when it cannot be read.
 */
export function durationSeconds(d: number | string | undefined): number | undefined {
  if (d === undefined) return undefined;
  if (typeof d === 'number') return Number.isInteger(d) ? d : undefined;
  if (/^-?\d+$/.test(d.trim())) return Number(d.trim());
  const secs = parseGoDuration(d);
  return secs === undefined ? undefined : Math.trunc(secs);
}

/** Whole seconds as a Go duration string (time.Duration.String without zero units): `30s`, `5m`, `1h30m`. */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.trunc(seconds / 3600);
  const m = Math.trunc((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}
