// The expr condition language of Argo Rollouts analysis, pure and sandboxed.
export { compileCondition, evaluateCondition } from './condition.ts';
export type { CompileOptions, CompileResult, EvaluateOptions, EvaluateResult } from './condition.ts';
export { evaluateMeasurement } from './measurement.ts';
export type { MeasurementOutcome, MeasurementPhase } from './measurement.ts';
export type { Program } from './ast.ts';
