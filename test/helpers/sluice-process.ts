// Runs the real `sluice` CLI as a child process: `serve` until stopped, or a one-shot command.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.ts';

export const SLUICE_BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

export interface ServingSluice {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends the signal; resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/**
 * A config file for `sluice serve` in a fresh temp dir: loopback on a free port, JSON logs, the
 * test cluster's namespace (also the sync state namespace), a Git cache in the dir, then `lines`.
 */
export function writeServeConfig(prefix: string, base: { kubeconfigPath: string; ns: string }, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      'log: { level: info, format: json }',
      `kubernetes: { kubeconfig: ${base.kubeconfigPath}, namespace: ${base.ns} }`,
      `git: { cacheDir: ${join(dir, 'git')} }`,
      `sync: { stateNamespace: ${base.ns} }`,
      ...lines,
    ].join('\n'),
  );
  return config;
}

export async function serveSluice(configPath: string, env: NodeJS.ProcessEnv = {}): Promise<ServingSluice> {
  const child = spawn(process.execPath, [SLUICE_BIN, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '', ...env } });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor('the "sluice serving" log line', () => /"msg":"sluice serving"/.test(out) || child.exitCode !== null, 30_000);
  const line = out.split('\n').find((l) => l.includes('"sluice serving"'));
  if (!line) throw new Error(`sluice did not start:\n${out}`);
  return {
    child,
    url: (JSON.parse(line) as { url: string }).url,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      const at = Date.now();
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - at };
    },
  };
}

export async function runSluice(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SLUICE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}
