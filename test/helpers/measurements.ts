// Narrowing asserts for metric-provider tests: the measurement is of the expected kind, or the
// test fails showing what came back instead.
import assert from 'node:assert/strict';
import type { Measurement } from '../../src/ports/metric-provider.ts';

export function measured(m: Measurement): Extract<Measurement, { status: 'measured' }> {
  assert.equal(m.status, 'measured', m.status === 'error' ? m.message : undefined);
  return m as Extract<Measurement, { status: 'measured' }>;
}

export function failed(m: Measurement): Extract<Measurement, { status: 'error' }> {
  assert.equal(m.status, 'error', `expected an error, got ${JSON.stringify(m)}`);
  return m as Extract<Measurement, { status: 'error' }>;
}
