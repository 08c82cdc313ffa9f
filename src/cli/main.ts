// The `sluice` command line. Errors end as one readable line on stderr and a non-zero exit:
// 2 for bad input (config, arguments), 1 for failures at run time.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load-config.ts';
import { registerServe } from './commands/serve.ts';
import { registerDiff } from './commands/diff.ts';
import { ExitCode } from './exit-code.ts';
import { registerGetRollout } from './commands/get-rollout.ts';
import { registerListRollouts } from './commands/list-rollouts.ts';
import { registerPromote } from './commands/promote.ts';
import { registerAbort } from './commands/abort.ts';
import { registerRetry } from './commands/retry.ts';
import { registerPause } from './commands/pause.ts';
import { registerUndo } from './commands/undo.ts';
import { registerRestart } from './commands/restart.ts';
import { registerSetImage } from './commands/set-image.ts';
import { registerStatus } from './commands/status.ts';
import { registerLint } from './commands/lint.ts';
import { registerPlan } from './commands/plan.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('sluice')
    .description('GitOps progressive delivery: the cluster follows Git; Rollouts step through canaries')
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`sluice: ${str.replace(/^error: /, '').trim()}\n`) });
  registerServe(program);
  registerDiff(program);
  for (const register of [registerGetRollout, registerListRollouts, registerPromote, registerAbort, registerRetry, registerPause, registerUndo, registerRestart, registerSetImage, registerStatus, registerLint, registerPlan]) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof ExitCode) process.exit(err.code);
    if (err instanceof CommanderError) {
      // Help and version "errors" are normal exits; usage errors are bad input.
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`sluice: config error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`sluice: ${(err as Error).message ?? String(err)}\n`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv);
