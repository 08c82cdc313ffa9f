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

export function running(m: Measurement): Extract<Measurement, { status: 'running' }> {
  assert.equal(m.status, 'running', `expected a running measurement, got ${JSON.stringify(m)}`);
  return m as Extract<Measurement, { status: 'running' }>;
}

/** A verdict of the given phase (providers whose answer is the verdict, like a Job). */
export function decided(m: Measurement, phase: Extract<Measurement, { status: 'decided' }>['phase']): Extract<Measurement, { status: 'decided' }> {
  assert.equal(m.status, 'decided', `expected ${phase}, got ${JSON.stringify(m)}`);
  const d = m as Extract<Measurement, { status: 'decided' }>;
  assert.equal(d.phase, phase, `expected ${phase}, got ${JSON.stringify(m)}`);
  return d;
}
