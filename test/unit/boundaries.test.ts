// The module boundaries in .dependency-cruiser.cjs hold for src/, and the same rules really do
// catch violations (a fixture tree that breaks each of them on purpose).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const depcruise = `${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`;

interface Violation { rule: { name: string }; from: string; to: string }

function cruise(cwd: string): Violation[] {
  const res = spawnSync(process.execPath, [depcruise, '--config', `${root}.dependency-cruiser.cjs`, '--output-type', 'json', 'src'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.ok(res.stdout, `dependency-cruiser printed nothing: ${res.stderr}`);
  return (JSON.parse(res.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

test('src/ respects every boundary rule', () => {
  const violations = cruise(root);
  assert.deepEqual(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`), []);
});

test('the rules catch an impure engine, adapter-to-adapter imports and imports of the composition root', () => {
  const found = cruise(`${root}test/fixtures/boundaries`).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
  assert.deepEqual(found, [
    'engine-is-pure: src/engine/decide.ts -> fs',
    'engine-is-pure: src/engine/decide.ts -> src/git/fetch-refs.ts',
    'git-talks-through-ports: src/git/fetch-refs.ts -> src/kube/apply-object.ts',
    'no-circular: src/kube/apply-object.ts -> src/service/start.ts',
    'nothing-imports-the-composition-root: src/kube/apply-object.ts -> src/service/start.ts',
  ]);
});
