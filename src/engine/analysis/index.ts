// Argo Rollouts analysis, pure: AnalysisRun scheduling and assessment, args and template merging.
export * from './types.ts';
export { argValues, buildAnalysisRunSpec, mergeTemplates, resolveArgs, resolveMetric, substituteArgs } from './args.ts';
export type { MergedTemplate, ResolvedArgs, Result } from './args.ts';
export {
  DEFAULT_CONSECUTIVE_ERROR_LIMIT, DEFAULT_ERROR_RETRY_INTERVAL_MS, DEFAULT_MEASUREMENT_HISTORY_LIMIT,
  assessMetricLimits, assessMetricStatus, decideAnalysisRun, dryRunMetricNames, effectiveCount, isTerminating, isWorse,
  measurementFromResult, nextMeasurementDueAt, phaseCompleted, recordMeasurement, recordMeasurements, requeueAfterMs, retentionRules, validateMetrics,
} from './decide-analysis-run.ts';
export type { AnalysisDecision, MeasureTask, RecordOptions, RecordedMeasurement } from './decide-analysis-run.ts';
