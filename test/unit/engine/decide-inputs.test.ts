// decide() must never write to its arguments: the Rollout controller hands it the objects of its
// watch caches without copying them (a deep copy per reconcile was a measurable share of the
// controller's CPU with hundreds of Rollouts). Every fixture is decided on deep-frozen inputs, once
// and again on its own output status; a write anywhere in the engine throws in strict mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { decide } from '../../../src/engine/decide.ts';
import type { Observed, Rollout } from '../../../src/engine/types.ts';

const dir = fileURLToPath(new URL('../../fixtures/engine/', import.meta.url));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

test('every engine fixture decides on deep-frozen inputs, twice, with the same result as on copies', () => {
  assert.ok(files.length > 10, 'fixtures found');
  for (const file of files) {
    const fx = parse(readFileSync(`${dir}${file}`, 'utf8')) as { rollout: Rollout; observed: Observed; now: string };
    const now = new Date(fx.now);
    const expected = decide(structuredClone(fx.rollout), structuredClone(fx.observed), now);
    const rollout = deepFreeze(structuredClone(fx.rollout));
    const observed = deepFreeze(structuredClone(fx.observed));
    const d = decide(rollout, observed, now);
    assert.deepEqual(d, expected, `${file}: same decision on frozen inputs`);
    const again = deepFreeze({ ...structuredClone(fx.rollout), status: structuredClone(d.status) });
    assert.doesNotThrow(() => decide(again, observed, now), `${file}: second decide on frozen inputs`);
  }
});
