// Child-process plumbing shared by the test-bed components: free ports, a managed child that
// keeps the tail of its log, and a readiness wait that fails loudly instead of hanging.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { openSync, closeSync, readFileSync } from 'node:fs';

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ManagedProcess {
  name: string;
  port: number;
  logFile: string;
  child: ChildProcess;
  exited: boolean;
  stop(): Promise<void>;
  /** The last lines of the component's log, for error messages. */
  tail(lines?: number): string;
}

const running = new Set<ManagedProcess>();
let exitHookInstalled = false;

// A test run that dies must not leave an API server behind on the machine.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of running) if (!p.exited) p.child.kill('SIGKILL');
  });
}

export function startProcess(opts: { name: string; port: number; command: string; args: string[]; logFile: string; env?: NodeJS.ProcessEnv }): ManagedProcess {
  installExitHook();
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(opts.command, opts.args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...opts.env } });
  closeSync(fd);
  const proc: ManagedProcess = {
    name: opts.name,
    port: opts.port,
    logFile: opts.logFile,
    child,
    exited: false,
    tail(lines = 20) {
      try {
        return readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    async stop() {
      if (proc.exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
  child.on('exit', () => {
    proc.exited = true;
    running.delete(proc);
  });
  child.on('error', () => {
    proc.exited = true;
  });
  running.add(proc);
  return proc;
}

export class ComponentStartError extends Error {}

/** Polls `probe` until it returns true; fails with the component's name, port and log tail. */
export async function waitUntilReady(proc: ManagedProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited) {
      throw new ComponentStartError(`${proc.name} exited during start-up (port ${proc.port}); last lines of ${proc.logFile}:\n${proc.tail()}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  await proc.stop();
  throw new ComponentStartError(`${proc.name} not ready after ${timeoutMs / 1000}s (port ${proc.port}); last lines of ${proc.logFile}:\n${proc.tail()}`);
}
