// The Events Argo records for an AnalysisRun (analysis/analysis.go): one per metric that completes
// (`Metric<Phase>`: "Metric 'name' Completed. Result: Phase") and one when the run completes
// (`AnalysisRun<Phase>`: "Analysis Completed. Result: Phase"); Warning for Failed and Error.
import { phaseCompleted, type AnalysisRunStatus } from '../engine/analysis/index.ts';
import type { RecordedEvent } from '../ports/event-sink.ts';

const typeFor = (phase: string): RecordedEvent['type'] => (phase === 'Failed' || phase === 'Error' ? 'Warning' : 'Normal');

/** Events for what completed between `before` and `after`. */
export function completionEvents(before: AnalysisRunStatus | undefined, after: AnalysisRunStatus): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  const previous = new Map((before?.metricResults ?? []).map((r) => [r.name, r.phase]));
  for (const result of after.metricResults ?? []) {
    if (!phaseCompleted(result.phase) || phaseCompleted(previous.get(result.name))) continue;
    events.push({ type: typeFor(result.phase), reason: `Metric${result.phase}`, message: `Metric '${result.name}' Completed. Result: ${result.phase}` });
  }
  const phase = after.phase ?? '';
  if (phaseCompleted(phase) && !phaseCompleted(before?.phase)) {
    events.push({ type: typeFor(phase), reason: `AnalysisRun${phase}`, message: `Analysis Completed. Result: ${phase}` });
  }
  return events;
}
