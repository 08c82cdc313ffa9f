// Ends a command with one line on stderr and an exit code (2: bad input, 1: failure), through
// main's ExitCode handling so nothing else gets printed.
import { ExitCode } from './exit-code.ts';

export function failWith(code: 1 | 2, message: string): never {
  process.stderr.write(`sluice: ${message}\n`);
  throw new ExitCode(code);
}
