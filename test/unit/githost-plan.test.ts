// The plan of an open pull request: only for repositories that follow its base branch, one comment
// edited on each update, updates of one pull request collapsing to the newest head, and a planning
// failure reported in the comment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { PullRequestEvent } from '../../src/ports/webhook-events.ts';
import type { SyncReport } from '../../src/ports/repo-sync.ts';
import { createPullRequestPlans } from '../../src/githost/pr-plan.ts';
import { createCommentUpserter } from '../../src/githost/comment-upserter.ts';
import type { HostedRepo } from '../../src/githost/hosted-repo.ts';
import { deploysFrom } from '../../src/service/pull-requests.ts';
import { memoryGitHost } from '../helpers/memory-git-host.ts';

const sha = (c: string) => c.repeat(40);
const report = (commit: string): SyncReport => ({
  trigger: 'diff', startedAt: '', finishedAt: '', durationMs: 1, result: 'succeeded', commit,
  objects: { created: 0, changed: 1, unchanged: 0, pruned: 0, failed: 0 }, driftRepaired: [], errors: [],
  changes: [{ outcome: 'changed', object: 'ConfigMap shop/flags', source: 'deploy/flags.yaml:1' }],
});

function setup(fail?: string) {
  const host = memoryGitHost();
  const repo: HostedRepo = { name: 'shop', client: host.client, upserter: createCommentUpserter(host.client), approvers: [], pullRequests: true };
  const planned: string[] = [];
  let release: (() => void) | undefined;
  const plans = createPullRequestPlans({
    repos: [repo],
    async planRevision(name, commit, ref) {
      planned.push(`${name} ${commit.slice(0, 1)} ${ref}`);
      if (commit === sha('1')) await new Promise<void>((r) => (release = r));
      if (fail) throw new Error(fail);
      return { report: report(commit), rollouts: [] };
    },
    deploysFrom: (_name, base) => base === 'main',
    describeRef: () => 'branch main',
    log: pino({ level: 'silent' }),
  });
  const event = (action: PullRequestEvent['action'], head: string, baseRef = 'main'): PullRequestEvent => ({
    kind: 'pull_request', host: 'github', deliveryId: head, repository: { fullName: 'acme/deploy', cloneUrls: [] }, action, number: 7, headSha: head, headRef: 'feature', baseRef, merged: false,
  });
  return { host, plans, planned, event, release: () => release?.() };
}

test('opened, then two updates while the first plan runs: the newest is planned next, into the same comment', async () => {
  const s = setup();
  const first = s.plans.pullRequest(s.event('opened', sha('1')));
  await new Promise((r) => setImmediate(r));
  await s.plans.pullRequest(s.event('synchronize', sha('2')));
  await s.plans.pullRequest(s.event('synchronize', sha('3')));
  s.release();
  await first;
  assert.deepEqual(s.planned, ['shop 1 refs/pull/7/head', 'shop 3 refs/pull/7/head']);
  const comments = s.host.comments.filter((c) => c.body.startsWith('<!-- sluice:plan -->'));
  assert.equal(comments.length, 1);
  assert.match(comments[0]?.body ?? '', /Sluice plan for `3333333`/);
  assert.equal(comments[0]?.history.length, 2);
});

test('a pull request into a branch no repository follows, or closed, plans nothing', async () => {
  const s = setup();
  await s.plans.pullRequest(s.event('opened', sha('2'), 'release-1'));
  await s.plans.pullRequest(s.event('closed', sha('2')));
  await s.plans.pullRequest({ ...s.event('opened', sha('2')), repository: { fullName: 'other/repo', cloneUrls: [] } });
  assert.deepEqual(s.planned, []);
  assert.deepEqual(s.host.calls, []);
});

test('a plan that fails says so in the comment', async () => {
  const s = setup('cannot fetch refs/pull/7/head from https://git.example/acme/deploy.git: HTTP 404');
  await s.plans.pullRequest(s.event('reopened', sha('2')));
  assert.match(s.host.comments[0]?.body ?? '', /^#### `shop` \(branch main\): could not plan\n\n> cannot fetch refs\/pull\/7\/head from .*HTTP 404$/m);
});

test('which base branches deploy: the followed branch, any for HEAD, none for pinned commits, tags and ranges', () => {
  assert.equal(deploysFrom({ branch: 'main' }, 'main'), true);
  assert.equal(deploysFrom({ branch: 'main' }, 'dev'), false);
  assert.equal(deploysFrom({ head: true }, 'trunk'), true);
  assert.equal(deploysFrom({ commit: sha('a'), branch: 'main' }, 'main'), false);
  assert.equal(deploysFrom({ tag: 'v1' }, 'main'), false);
  assert.equal(deploysFrom({ semver: '^1' }, 'main'), false);
});
