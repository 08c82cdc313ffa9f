// When a completed AnalysisRun is due for deletion under its `spec.ttlStrategy` (Argo analysis.go
// isAnalysisRunTtlExceeded): secondsAfterSuccess for a Successful run and secondsAfterFailure for a
// Failed one take precedence; otherwise secondsAfterCompletion applies (Error and Inconclusive
// runs only have that one). Counted from status.completedAt.
import { phaseCompleted, type AnalysisRun } from '../engine/analysis/index.ts';
import { parseTime } from '../engine/time.ts';

/** Milliseconds since the epoch after which the run may be deleted; undefined when never. */
export function ttlExpiresAt(run: AnalysisRun): number | undefined {
  const ttl = run.spec.ttlStrategy;
  const phase = run.status?.phase;
  if (!ttl || !phaseCompleted(phase)) return undefined;
  // Argo cannot tell the age of a run without completedAt, and leaves it alone.
  const completedAt = parseTime(run.status?.completedAt);
  if (completedAt === undefined) return undefined;
  let seconds = ttl.secondsAfterCompletion;
  if (phase === 'Successful' && ttl.secondsAfterSuccess !== undefined && ttl.secondsAfterSuccess !== null) seconds = ttl.secondsAfterSuccess;
  else if (phase === 'Failed' && ttl.secondsAfterFailure !== undefined && ttl.secondsAfterFailure !== null) seconds = ttl.secondsAfterFailure;
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return undefined;
  // Argo deletes once the whole seconds since completion exceed the TTL, i.e. one second after it.
  return completedAt + (Math.trunc(seconds) + 1) * 1000;
}
