// Table-driven engine tests: each YAML file under test/fixtures/engine/ is one reconcile —
// rollout + observed + now in, expected status (a partial match), actions (exact) and requeue out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { decide } from '../../../src/engine/decide.ts';
import type { Action, Observed, Rollout, RolloutStatus } from '../../../src/engine/types.ts';

interface Fixture {
  description: string;
  rollout: Rollout;
  observed: Observed;
  now: string;
  expect: { status?: Partial<RolloutStatus>; actions?: Action[]; requeueAfterMs?: number | null; events?: string[] };
}

const dir = fileURLToPath(new URL('../../fixtures/engine/', import.meta.url));

/** Every key in `expected` has an equal value in `actual`; arrays match element by element. */
function assertSubset(actual: unknown, expected: unknown, path: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length (actual ${JSON.stringify(actual)})`);
    expected.forEach((e, i) => assertSubset(actual[i], e, `${path}[${i}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    assert.ok(typeof actual === 'object' && actual !== null, `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) {
      if (v === null) assert.equal((actual as Record<string, unknown>)[k], undefined, `${path}.${k} should be absent`);
      else assertSubset((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    }
  } else assert.deepEqual(actual, expected, path);
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  const fx = parse(readFileSync(`${dir}${file}`, 'utf8')) as Fixture;
  test(`${file}: ${fx.description}`, () => {
    const d = decide(fx.rollout, fx.observed, new Date(fx.now));
    if (fx.expect.status) assertSubset(d.status, fx.expect.status, 'status');
    if (fx.expect.actions) assert.deepEqual(d.actions, fx.expect.actions);
    if (fx.expect.events) {
      assert.deepEqual(d.actions.filter((a) => a.kind === 'recordEvent').map((a) => (a.kind === 'recordEvent' ? `${a.reason}: ${a.message}` : '')), fx.expect.events);
    }
    if (fx.expect.requeueAfterMs !== undefined) assert.equal(d.requeueAfterMs, fx.expect.requeueAfterMs ?? undefined);
    // Idempotency: when this reconcile changed nothing in the cluster, deciding again on the status
    // just written repeats no event (events are emitted on change only).
    if (d.actions.some((a) => a.kind !== 'recordEvent')) return;
    const again = decide({ ...fx.rollout, status: d.status }, fx.observed, new Date(fx.now));
    const ev = (acts: Action[]) => acts.flatMap((a) => (a.kind === 'recordEvent' ? [`${a.reason}: ${a.message}`] : []));
    const first = new Set(ev(d.actions));
    assert.deepEqual(ev(again.actions).filter((e) => first.has(e)), [], 'second decide repeats no event');
  });
}
