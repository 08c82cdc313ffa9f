// Compile and evaluate one expr condition, with errors as values: syntax errors carry
// `line L, column C`, evaluation errors say what failed. Nothing here throws to the caller.
import type { Program } from './ast.ts';
import { ExprEvalError, ExprSyntaxError, formatSyntaxError } from './errors.ts';
import { Evaluator } from './evaluate.ts';
import { DEFAULT_MAX_STEPS } from './limits.ts';
import { parse } from './parser.ts';

export type CompileResult = { ok: true; program: Program } | { ok: false; error: string };
export type EvaluateResult = { ok: true; value: unknown } | { ok: false; error: string };

export interface CompileOptions {
  /** When given, any other variable name is a compile error (as with Argo's fixed environment). */
  knownNames?: readonly string[];
}

export interface EvaluateOptions {
  /** Evaluation budget in steps (default DEFAULT_MAX_STEPS). */
  maxSteps?: number;
}

export function compileCondition(source: string, options: CompileOptions = {}): CompileResult {
  try {
    const known = options.knownNames ? new Set(options.knownNames) : undefined;
    return { ok: true, program: { source, root: parse(source, known) } };
  } catch (e) {
    if (e instanceof ExprSyntaxError) return { ok: false, error: formatSyntaxError(source, e) };
    return { ok: false, error: internalError(e) };
  }
}

export function evaluateCondition(program: Program, env: { result: unknown; [name: string]: unknown }, options: EvaluateOptions = {}): EvaluateResult {
  try {
    const value = new Evaluator(env, options.maxSteps ?? DEFAULT_MAX_STEPS).eval(program.root, undefined);
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ExprEvalError) return { ok: false, error: e.message };
    return { ok: false, error: internalError(e) };
  }
}

function internalError(e: unknown): string {
  // a stack overflow or a bug must still become an Error measurement, not crash the controller
  if (e instanceof RangeError) return `evaluation failed: ${e.message}`;
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}
