// ttlStrategy: which of the three TTLs applies to a completed run, and from when it counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ttlExpiresAt } from '../../../src/analysis/run-ttl.ts';
import type { AnalysisRun, TTLStrategy } from '../../../src/engine/analysis/index.ts';

const COMPLETED_AT = '2026-01-02T03:04:05Z';
const at = Date.parse(COMPLETED_AT);
const run = (phase: string, ttlStrategy: TTLStrategy | undefined, completedAt: string | null = COMPLETED_AT): AnalysisRun => ({
  spec: { metrics: [], ...(ttlStrategy ? { ttlStrategy } : {}) },
  status: { phase: phase as NonNullable<AnalysisRun['status']>['phase'], ...(completedAt ? { completedAt } : {}) },
});
const ALL = { secondsAfterCompletion: 100, secondsAfterSuccess: 10, secondsAfterFailure: 20 };

test('the phase-specific TTL wins; Error and Inconclusive fall back to secondsAfterCompletion', () => {
  // Argo deletes once the whole seconds since completion exceed the TTL.
  assert.equal(ttlExpiresAt(run('Successful', ALL)), at + 11_000);
  assert.equal(ttlExpiresAt(run('Failed', ALL)), at + 21_000);
  assert.equal(ttlExpiresAt(run('Error', ALL)), at + 101_000);
  assert.equal(ttlExpiresAt(run('Inconclusive', ALL)), at + 101_000);
});

test('a phase-specific TTL never applies to the other phase', () => {
  assert.equal(ttlExpiresAt(run('Failed', { secondsAfterSuccess: 5 })), undefined);
  assert.equal(ttlExpiresAt(run('Successful', { secondsAfterFailure: 5 })), undefined);
  assert.equal(ttlExpiresAt(run('Successful', { secondsAfterFailure: 5, secondsAfterCompletion: 30 })), at + 31_000);
  assert.equal(ttlExpiresAt(run('Successful', { secondsAfterSuccess: 0 })), at + 1_000, 'zero is a TTL, not unset');
});

test('no TTL for runs still running, without ttlStrategy, or without completedAt', () => {
  assert.equal(ttlExpiresAt(run('Running', ALL)), undefined);
  assert.equal(ttlExpiresAt(run('Successful', undefined)), undefined);
  assert.equal(ttlExpiresAt(run('Successful', ALL, null)), undefined);
  assert.equal(ttlExpiresAt(run('Successful', {})), undefined);
});
