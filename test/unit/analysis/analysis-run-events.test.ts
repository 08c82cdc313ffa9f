// The Events recorded when metrics and runs complete, with Argo's reasons and messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionEvents } from '../../../src/analysis/analysis-run-events.ts';

test('each metric and the run report their completion once, Warning for Failed and Error', () => {
  const before = { phase: 'Running' as const, metricResults: [{ name: 'a', phase: 'Successful' as const }, { name: 'b', phase: 'Running' as const }] };
  const after = { phase: 'Failed' as const, metricResults: [{ name: 'a', phase: 'Successful' as const }, { name: 'b', phase: 'Failed' as const }, { name: 'c', phase: 'Error' as const }] };
  assert.deepEqual(completionEvents(before, after), [
    { type: 'Warning', reason: 'MetricFailed', message: "Metric 'b' Completed. Result: Failed" },
    { type: 'Warning', reason: 'MetricError', message: "Metric 'c' Completed. Result: Error" },
    { type: 'Warning', reason: 'AnalysisRunFailed', message: 'Analysis Completed. Result: Failed' },
  ]);
});

test('nothing when nothing completed, and nothing twice', () => {
  const running = { phase: 'Running' as const, metricResults: [{ name: 'a', phase: 'Running' as const }] };
  assert.deepEqual(completionEvents(undefined, running), []);
  const done = { phase: 'Inconclusive' as const, metricResults: [{ name: 'a', phase: 'Inconclusive' as const }] };
  assert.deepEqual(completionEvents(running, done).map((e) => [e.type, e.reason]), [['Normal', 'MetricInconclusive'], ['Normal', 'AnalysisRunInconclusive']]);
  assert.deepEqual(completionEvents(done, done), []);
});
