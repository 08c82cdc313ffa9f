// A command's chosen exit code, thrown up to main() (diff: 0 no changes, 1 changes, 2 error).
export class ExitCode extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}
