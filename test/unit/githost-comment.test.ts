// What the pull-request comments say: the Rollout comment (marker, progress, step timeline,
// analysis verdicts with values, the commands that apply now), the commit status, and the plan
// comment of an open pull request. Fixtures are the ones `get rollout` is tested with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describeRollout } from '../../src/rollouts/rollout-view.ts';
import { renderRolloutComment, rolloutMarker } from '../../src/githost/rollout-comment.ts';
import { availableCommands, commitStatusOf, waitsForApproval } from '../../src/githost/rollout-state.ts';
import { renderPlanComment, PLAN_MARKER } from '../../src/githost/plan-comment.ts';
import { parseComment } from '../../src/githost/pr-commands.ts';
import type { ReplicaSet, Rollout } from '../../src/engine/types.ts';
import type { AnalysisRunObject, PodObject } from '../../src/ports/rollout-commands.ts';
import type { SyncReport } from '../../src/ports/repo-sync.ts';

interface Fixture {
  rollout: Rollout;
  replicaSets: ReplicaSet[];
  pods: PodObject[];
  analysisRuns: AnalysisRunObject[];
}
const load = (name: string) => parse(readFileSync(new URL(`../fixtures/rollout-view/${name}`, import.meta.url), 'utf8')) as Fixture;
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const render = (f: Fixture, commandTarget?: string) =>
  renderRolloutComment({ rollout: f.rollout, view: describeRollout(f.rollout, f.replicaSets, f.pods, f.analysisRuns), commit: COMMIT, ...(commandTarget ? { commandTarget } : {}) });

test('a canary paused at a pause without duration: marker first, progress, timeline, the commands, the review hint', () => {
  assert.equal(render(load('canary-paused.yaml')), [
    '<!-- sluice:rollout shop/web -->',
    '### ⏸️ Rollout `shop/web` is Paused at step 2 of 4',
    '',
    'Deployed from `0123456` by Sluice.',
    '',
    '| | |',
    '|---|---|',
    '| Phase | ⏸️ Paused — CanaryPauseStep |',
    '| Strategy | Canary · step 2 of 4 |',
    '| Weight | canary 25% (actual 25%) |',
    '| Replicas | 4 desired · 5 current · 1 updated · 4 ready · 4 available |',
    '| Images | `shop/web:1` (stable), `shop/web:2` (canary) |',
    '',
    '#### Steps',
    '',
    '| | # | step | canary weight | pods canary / stable |',
    '|---|---|---|---|---|',
    '| ✅ | 1 | set weight 25% | 25% | 1 / 3 |',
    '| ⏸️ | 2 | pause until promoted | 25% | 1 / 3 |',
    '| ⬜ | 3 | set weight 50% | 50% | 2 / 2 |',
    '| ⬜ | 4 | pause 60s | 50% | 2 / 2 |',
    '',
    '#### Analysis',
    '',
    '| run | metric | verdict | latest value | measurements ✓ / ✗ / ? / error |',
    '|---|---|---|---|---|',
    '| `web-7c9f6d4bb8-3-1`: ✅ Successful | | | | |',
    '',
    '#### Commands',
    '',
    'Comment one of these on this pull request (people with write access to the repository, or configured approvers):',
    '',
    '- `/promote` — go on to the next step',
    '- `/promote --full` — skip every remaining step',
    '- `/abort` — put all traffic back on the stable version',
    '',
    'It waits for a person: an approving review of this pull request promotes it too.',
    '',
  ].join('\n'));
});

test('analysis verdicts of the current revision with their latest values; earlier revisions left out', () => {
  const text = render(load('canary-analysis.yaml'));
  assert.ok(text.startsWith(`${rolloutMarker('shop', 'api')}\n### 🔄 Rollout \`shop/api\` is Progressing at step 2 of 4\n`));
  assert.match(text, /^\| ▶️ \| 2 \| analysis `success-rate` \| 25% \| 1 \/ 3 \|$/m);
  assert.match(text, /^\| `api-5d8f7c6b9a-2-1` \(step 2\): 🔄 Running \| success-rate \| ✅ Successful \| `\[0\.99\]` \| 3 \/ 0 \/ 0 \/ 0 \|$/m);
  assert.match(text, /^\| `api-5d8f7c6b9a-2-1` \(step 2\): 🔄 Running \| cpu-saturation \| ❌ Failed \(dry run\) \| `\[0\.93\]` \| 0 \/ 1 \/ 0 \/ 0 \|$/m);
  assert.match(text, /^\| `api-5d8f7c6b9a-2` \(Background\): 🔄 Running \| latency-slo \| 🔄 Running \| — \| 1 \/ 0 \/ 0 \/ 1 \|$/m);
  assert.match(text, /^- `\/promote` — skip the current step$/m, 'running, not paused: promote skips the step');
  assert.doesNotMatch(text, /approving review/, 'it waits for an analysis, not for a person');
  // The fixture also has a run of an older revision; it is history, not this update.
  const fixture = load('canary-analysis.yaml');
  const older = fixture.analysisRuns.filter((r) => r.metadata.annotations?.['rollout.argoproj.io/revision'] !== '2').map((r) => r.metadata.name);
  for (const name of older) assert.ok(!text.includes(name), `${name} is of an older revision`);
});

test('commands name the Rollout when the pull request deployed several; none apply once Healthy; only /retry after an abort', () => {
  assert.match(render(load('canary-paused.yaml'), 'web'), /^- `\/promote --full web` — skip every remaining step$/m);
  const healthy = load('canary-paused.yaml');
  healthy.rollout.status = { ...healthy.rollout.status, currentStepIndex: 4, pauseConditions: [], controllerPause: false, stableRS: '7c9f6d4bb8', availableReplicas: 4, replicas: 4, updatedReplicas: 4 };
  const healthyText = render(healthy);
  assert.match(healthyText, /^### ✅ Rollout `shop\/web` is Healthy$/m);
  assert.match(healthyText, /^\| Strategy \| Canary · all steps done \|$/m);
  assert.match(healthyText, /^\| ✅ \| 4 \| pause 60s \| 50% \| 2 \/ 2 \|$/m);
  assert.match(healthyText, /^_No commands apply now \(the update is complete\)\._$/m);
  const aborted = load('canary-paused.yaml');
  aborted.rollout.status = { ...aborted.rollout.status, abort: true, pauseConditions: [] };
  assert.deepEqual(availableCommands(aborted.rollout, 'Degraded').map((c) => c.verb), ['retry']);
  assert.match(render(aborted), /^- `\/retry` — start the update again from the first step$/m);
  // Nothing in a comment Sluice writes reads as a command when the webhook delivers it back.
  for (const f of [render(load('canary-paused.yaml'), 'web'), healthyText, render(aborted)]) assert.deepEqual(parseComment(f), { kind: 'none' });
});

test('commit status per phase: pending while it moves or waits, success when Healthy, failure when Degraded', () => {
  const view = (f: Fixture) => describeRollout(f.rollout, f.replicaSets, f.pods, f.analysisRuns).summary;
  assert.deepEqual(commitStatusOf(view(load('canary-paused.yaml'))), { state: 'pending', description: 'Paused at step 2/4: CanaryPauseStep' });
  assert.deepEqual(commitStatusOf(view(load('canary-analysis.yaml'))), { state: 'pending', description: 'Progressing at step 2/4, canary 25%' });
  const s = view(load('canary-paused.yaml'));
  assert.deepEqual(commitStatusOf({ ...s, phase: 'Healthy', message: '' }), { state: 'success', description: 'Healthy: the update is complete' });
  assert.deepEqual(commitStatusOf({ ...s, phase: 'Degraded', message: 'RolloutAborted: Rollout aborted update to revision 3' }), { state: 'failure', description: 'Degraded: RolloutAborted: Rollout aborted update to revision 3' });
});

test('waiting for a person: a pause without duration or a blue-green pause without auto-promotion, not a timed pause', () => {
  const f = load('canary-paused.yaml');
  assert.equal(waitsForApproval(f.rollout), true);
  assert.equal(waitsForApproval({ ...f.rollout, status: { ...f.rollout.status, currentStepIndex: 3 } }), false, 'step 4 is a timed pause');
  assert.equal(waitsForApproval({ ...f.rollout, status: { ...f.rollout.status, pauseConditions: [] } }), false);
  const bg: Rollout = {
    metadata: { name: 'shop', namespace: 'web' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'shop' } }, template: {}, strategy: { blueGreen: { activeService: 'shop', autoPromotionEnabled: false } } },
    status: { pauseConditions: [{ reason: 'BlueGreenPause', startTime: '2025-01-01T00:00:00Z' }], currentPodHash: 'b', stableRS: 'a' },
  } as unknown as Rollout;
  assert.equal(waitsForApproval(bg), true);
  assert.equal(waitsForApproval({ ...bg, spec: { ...bg.spec, strategy: { blueGreen: { activeService: 'shop', autoPromotionSeconds: 30 } } } }), false);
  const text = renderRolloutComment({ rollout: bg, view: describeRollout(bg, [], [], []), commit: COMMIT });
  assert.match(text, /^#### Stages$/m);
  assert.match(text, /^\| ⬜ \| 2 \| pause until promoted \| 3 \/ 3 \| old \|$/m);
  assert.match(text, /^- `\/promote` — switch traffic to the new version$/m);
});

test('the plan comment: counts, changes with their sources and diffs, problems, and the steps of each changed Rollout', () => {
  const report: SyncReport = {
    trigger: 'diff',
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:00:01Z',
    durationMs: 1000,
    result: 'partial',
    commit: COMMIT,
    objects: { created: 1, changed: 1, unchanged: 2, pruned: 1, failed: 0 },
    driftRepaired: [],
    errors: [{ file: 'deploy/bad.yaml', line: 3, message: 'unknown field "spec.replica"' }],
    changes: [
      { outcome: 'created', object: 'ConfigMap shop/flags', source: 'deploy/flags.yaml:1', diff: '--- /dev/null\n+++ desired/ConfigMap shop/flags\n@@ -0,0 +1,2 @@\n+kind: ConfigMap\n+data: {}' },
      { outcome: 'changed', object: 'Rollout shop/web', source: 'deploy/web.yaml:1', diff: '--- live/Rollout shop/web\n+++ desired/Rollout shop/web\n@@ -1,1 +1,1 @@\n-image: shop/web:1\n+image: shop/web:2 ```' },
      { outcome: 'pruned', object: 'Service shop/old' },
    ],
  };
  const rollout = load('canary-paused.yaml').rollout;
  const text = renderPlanComment({ headSha: COMMIT, plans: [{ repo: 'shop', ref: 'branch main', report, rollouts: [rollout] }, { repo: 'other', ref: 'branch main', error: 'cannot fetch refs/pull/7/head: HTTP 404' }] });
  assert.ok(text.startsWith(`${PLAN_MARKER}\n### 📋 Sluice plan for \`0123456\`\n`));
  assert.match(text, /Nothing was applied\./);
  assert.match(text, /^#### `shop` \(branch main\): 1 to create, 1 to change, 2 unchanged, 1 to prune$/m);
  assert.match(text, /^\| ➕ create \| `ConfigMap shop\/flags` \| `deploy\/flags\.yaml:1` \|$/m);
  assert.match(text, /^\| 🗑️ prune \| `Service shop\/old` \| — \|$/m);
  assert.match(text, /<summary>Diff of <code>Rollout shop\/web<\/code><\/summary>\n\n````diff\n--- live\/Rollout shop\/web\n[^]*\+image: shop\/web:2 ```\n````\n/, 'a longer fence keeps backticks inside the diff');
  assert.match(text, /^- deploy\/bad\.yaml:3: unknown field "spec\.replica"$/m);
  assert.match(text, /^\*\*Rollout `shop\/web`\*\*: an update goes through\n\n\| # \| step \| canary weight \| pods canary \/ stable \|\n\|---\|---\|---\|---\|\n\| 1 \| set weight 25% \| 25% \| 1 \/ 3 \|$/m);
  assert.match(text, /^#### `other` \(branch main\): could not plan\n\n> cannot fetch refs\/pull\/7\/head: HTTP 404$/m);

  // Huge diffs stay within what hosts accept (GitHub: 65,536 characters).
  const huge = { ...report, changes: Array.from({ length: 40 }, (_, i) => ({ outcome: 'changed' as const, object: `ConfigMap shop/c${i}`, diff: `@@\n+${'x'.repeat(20_000)}` })) };
  const big = renderPlanComment({ headSha: COMMIT, plans: [{ repo: 'shop', ref: 'branch main', report: huge, rollouts: [] }] });
  assert.ok(big.length < 60_000, `${big.length} characters`);
  assert.match(big, /diff cut at 8000 characters/);
  assert.match(big, /_Diff of `ConfigMap shop\/c39` left out: the comment would be too long\._/);
});
