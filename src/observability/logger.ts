// The one root logger, built at start-up and passed down (never imported as a singleton): JSON
// for machines, pretty on a terminal, secrets redacted wherever they appear in a log object.
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import type { SluiceConfig } from '../config/config-types.ts';

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'token',
  'password',
  'secret',
  '*.token',
  '*.password',
  '*.secret',
  '*.*.token',
  '*.*.password',
  'config.api.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gitlab-token"]',
  'headers.authorization',
];

export interface LoggerOptions {
  level: SluiceConfig['log']['level'];
  format: SluiceConfig['log']['format'];
  /** Where lines go; default stdout. */
  destination?: DestinationStream;
  /** Whether stdout is a terminal (decides 'auto'). */
  isTTY?: boolean;
}

export function createLogger(opts: LoggerOptions): Logger {
  const usePretty = opts.format === 'pretty' || (opts.format === 'auto' && (opts.isTTY ?? process.stdout.isTTY === true));
  const base = {
    level: opts.level,
    base: { service: 'sluice' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (usePretty) {
    // Synchronous pretty stream rather than a transport worker: one process, no extra thread.
    return pino(base, pretty({ colorize: opts.isTTY ?? process.stdout.isTTY === true, destination: opts.destination ?? 1, sync: true }));
  }
  return opts.destination ? pino(base, opts.destination) : pino(base);
}
