// Argo's EvaluateResult (utils/evaluate/evaluate.go): how a metric's successCondition and
// failureCondition turn one measured `result` into a measurement phase.
import { compileCondition, evaluateCondition } from './condition.ts';

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface MeasurementOutcome {
  phase: MeasurementPhase;
  message?: string;
}

/** Argo's environment holds only `result` (plus its functions), so other names are compile errors. */
const ARGO_NAMES: readonly string[] = ['result'];

type Verdict = { ok: true; value: boolean } | { ok: false; message: string };

function check(label: string, source: string, result: unknown): Verdict {
  const compiled = compileCondition(source, { knownNames: ARGO_NAMES });
  if (!compiled.ok) return { ok: false, message: `${label}: ${compiled.error}` };
  const out = evaluateCondition(compiled.program, { result });
  if (!out.ok) return { ok: false, message: `${label}: ${out.error}` };
  if (typeof out.value !== 'boolean') return { ok: false, message: `${label}: expected bool, but got ${describeResult(out.value)}` };
  return { ok: true, value: out.value };
}

function describeResult(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Phase of one measurement. As in Argo: an empty condition is unset; the success condition is
 * evaluated first and any error ends evaluation as Error; with both set, a true failure
 * condition wins over a true success condition, and neither true is Inconclusive.
 */
export function evaluateMeasurement(successCondition: string | undefined, failureCondition: string | undefined, result: unknown): MeasurementOutcome {
  const hasSuccess = successCondition !== undefined && successCondition !== '';
  const hasFailure = failureCondition !== undefined && failureCondition !== '';
  let success = false;
  let failure = false;
  if (hasSuccess) {
    const v = check('successCondition', successCondition, result);
    if (!v.ok) return { phase: 'Error', message: v.message };
    success = v.value;
  }
  if (hasFailure) {
    const v = check('failureCondition', failureCondition, result);
    if (!v.ok) return { phase: 'Error', message: v.message };
    failure = v.value;
  }
  if (!hasSuccess && !hasFailure) return { phase: 'Successful' };
  if (hasSuccess && !hasFailure) failure = !success;
  if (!hasSuccess && hasFailure) success = !failure;
  if (failure) return { phase: 'Failed' };
  if (!success) return { phase: 'Inconclusive' };
  return { phase: 'Successful' };
}
