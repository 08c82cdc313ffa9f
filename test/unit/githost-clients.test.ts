// The three host clients through the one interface, each against its double: GitHub's checks every
// request against GitHub's OpenAPI description, GitLab's and Gitea's against their documented
// routes. Same scenario for all: the pull request of a commit, comments (paged), edits, commit
// statuses, permissions, reactions, and a token without rights (an error with the status, never
// the token, and a metric).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { RepoHostConfig, GitHostType } from '../../src/config/config-types.ts';
import { createHostClient } from '../../src/githost/host-registry.ts';
import { HostApiError, isForbidden } from '../../src/githost/host-client.ts';
import type { GitHostMetrics, HostRequestResult } from '../../src/githost/githost-metrics.ts';
import { startGitHubDouble } from '../helpers/github-double.ts';
import { startGitLabDouble } from '../helpers/gitlab-double.ts';
import { startGiteaDouble } from '../helpers/gitea-double.ts';

const HEAD = 'a'.repeat(40);
const MERGE = 'b'.repeat(40);
const log = pino({ level: 'silent' });

function hostConfig(type: GitHostType, apiUrl: string, repository: string, token: string): RepoHostConfig {
  const config: RepoHostConfig = { type, apiUrl, repository, approvers: [], pullRequests: true };
  Object.defineProperty(config, 'token', { value: token, enumerable: false });
  return config;
}

function countingMetrics() {
  const requests: Array<[GitHostType, HostRequestResult]> = [];
  const metrics: GitHostMetrics = { request: (host, result) => void requests.push([host, result]), command() {} };
  return { metrics, requests };
}

test('GitHub: every operation Sluice uses, valid against GitHub\'s OpenAPI description', async (t) => {
  const gh = await startGitHubDouble();
  t.after(() => gh.close());
  gh.addPullRequest({ number: 7, state: 'closed', headSha: HEAD, headRef: 'feature', baseRef: 'main', mergedAt: '2026-01-01T00:00:00Z', mergeCommitSha: MERGE, commits: [HEAD] });
  gh.setRole('alice', 'maintain');
  gh.setRole('bob', 'triage');
  gh.setRole('carol', 'admin');
  const { metrics, requests } = countingMetrics();
  const client = createHostClient(hostConfig('github', gh.url, gh.repository, gh.token), { log, metrics });

  assert.deepEqual(await client.pullRequestsForCommit(MERGE), [{ number: 7, state: 'merged', headSha: HEAD, headRef: 'feature', baseRef: 'main', url: 'https://github.com/acme/deploy/pull/7', mergeCommitSha: MERGE }]);
  assert.deepEqual(await client.pullRequestsForCommit('c'.repeat(40)), []);

  // 120 comments: more than one page of 100, followed through the Link header.
  for (let i = 0; i < 119; i++) gh.addComment(7, 'someone', `comment ${i}`);
  const created = await client.createComment(7, '<!-- sluice:plan -->\nplan');
  assert.equal(created.user, gh.botLogin);
  const listed = await client.listComments(7);
  assert.equal(listed.length, 120);
  assert.deepEqual(listed.at(-1), { id: created.id, body: '<!-- sluice:plan -->\nplan', user: gh.botLogin });
  await client.updateComment(7, created.id, '<!-- sluice:plan -->\nplan 2');
  assert.deepEqual(gh.comments(7).at(-1)?.history, ['<!-- sluice:plan -->\nplan', '<!-- sluice:plan -->\nplan 2']);

  await client.setCommitStatus(MERGE, { state: 'pending', context: 'sluice/shop/web', description: `Paused at step 2/4: ${'x'.repeat(200)}` });
  const [status] = gh.statuses(MERGE);
  assert.equal(status?.state, 'pending');
  assert.equal(status?.context, 'sluice/shop/web');
  assert.equal(status?.description?.length, 140, 'GitHub caps descriptions at 140 characters');

  assert.equal(await client.permissionOf('alice'), 'write');
  assert.equal(await client.permissionOf('carol'), 'write');
  assert.equal(await client.permissionOf('bob'), 'read');
  assert.equal(await client.permissionOf('nobody'), 'none');

  const command = gh.addComment(7, 'alice', '/promote');
  await client.react(7, String(command.id), 'seen');
  await client.react(7, String(command.id), 'done');
  await client.react(7, String(command.id), 'done');
  assert.deepEqual(command.reactions.map((r) => r.content), ['eyes', '+1']);
  assert.equal(client.pullRequestHeadRef(7), 'refs/pull/7/head');

  gh.failNext('issues/create-comment', 403);
  await assert.rejects(client.createComment(7, 'x'), (err: unknown) => {
    assert.ok(err instanceof HostApiError && isForbidden(err));
    assert.match(err.message, /^POST \/repos\/acme\/deploy\/issues\/7\/comments: HTTP 403 Resource not accessible/);
    assert.ok(!err.message.includes(gh.token));
    return true;
  });
  assert.ok(requests.some(([host, result]) => host === 'github' && result === 'forbidden'));
  assert.ok(requests.some(([, result]) => result === 'not_found'), 'the 404 of a non-collaborator is counted');
  assert.ok(requests.filter(([, r]) => r === 'success').length >= 10);
  assert.deepEqual(gh.violations, []);
});

test('GitLab: merge requests, notes (system notes skipped, paged), award emoji, statuses, member access levels', async (t) => {
  const gl = await startGitLabDouble();
  t.after(() => gl.close());
  gl.mergeRequests.push({ iid: 12, state: 'merged', sha: HEAD, sourceBranch: 'feature', targetBranch: 'main', mergeCommitSha: MERGE, commits: [HEAD] });
  gl.addUser('dev', 30);
  gl.addUser('reporter', 20);
  gl.addUser('outsider');
  const { metrics, requests } = countingMetrics();
  const client = createHostClient(hostConfig('gitlab', gl.url, gl.project, gl.token), { log, metrics });

  assert.deepEqual(await client.pullRequestsForCommit(MERGE), [{ number: 12, state: 'merged', headSha: HEAD, headRef: 'feature', baseRef: 'main', url: `${gl.url.replace(/\/api\/v4$/, '')}/${gl.project}/-/merge_requests/12`, mergeCommitSha: MERGE }]);
  gl.addNote(12, 'gitlab', 'added 1 commit', true);
  for (let i = 0; i < 104; i++) gl.addNote(12, 'someone', `note ${i}`);
  const created = await client.createComment(12, '<!-- m -->\nA');
  const listed = await client.listComments(12);
  assert.equal(listed.length, 105, 'two pages, the system note left out');
  assert.ok(!listed.some((n) => n.body === 'added 1 commit'));
  await client.updateComment(12, created.id, '<!-- m -->\nB');
  assert.deepEqual(gl.notes.find((n) => String(n.id) === created.id)?.history, ['<!-- m -->\nA', '<!-- m -->\nB']);

  await client.setCommitStatus(MERGE, { state: 'pending', context: 'sluice/shop/web', description: 'Progressing' });
  await client.setCommitStatus(MERGE, { state: 'pending', context: 'sluice/shop/web', description: 'Paused' });
  await client.setCommitStatus(MERGE, { state: 'success', context: 'sluice/shop/web', description: 'Healthy' });
  assert.deepEqual(gl.statuses.map((s) => s.state), ['running', 'success'], 'running → running is GitLab\'s "no transition", taken as done');

  assert.equal(await client.permissionOf('dev'), 'write');
  assert.equal(await client.permissionOf('reporter'), 'read');
  assert.equal(await client.permissionOf('outsider'), 'none');
  assert.equal(await client.permissionOf('ghost'), 'none');
  const note = gl.addNote(12, 'dev', '/promote');
  await client.react(12, String(note.id), 'seen');
  await client.react(12, String(note.id), 'refused');
  assert.deepEqual(note.awards, ['eyes', 'confused']);
  assert.equal(client.pullRequestHeadRef(12), 'refs/merge-requests/12/head');

  const wrong = createHostClient(hostConfig('gitlab', gl.url, gl.project, 'not-the-token'), { log, metrics });
  await assert.rejects(wrong.listComments(12), (err: unknown) => err instanceof HostApiError && err.status === 401 && !err.message.includes('not-the-token'));
  assert.ok(requests.some(([host, result]) => host === 'gitlab' && result === 'forbidden'));
  gl.violations.splice(gl.violations.findIndex((v) => v.includes('wrong or missing token')), 1);
  assert.deepEqual(gl.violations, []);
});

test('Gitea: the pull request of a commit, comments, reactions, statuses, collaborator permissions', async (t) => {
  const gt = await startGiteaDouble();
  t.after(() => gt.close());
  gt.pulls.push({ number: 3, state: 'closed', merged: true, headSha: HEAD, headRef: 'feature', baseRef: 'main', mergeCommitSha: MERGE, commits: [HEAD] });
  gt.setPermission('owner1', 'owner');
  gt.setPermission('writer', 'write');
  gt.setPermission('reader', 'read');
  const client = createHostClient(hostConfig('gitea', gt.url, gt.repository, gt.token), { log });

  assert.deepEqual(await client.pullRequestsForCommit(MERGE), [{ number: 3, state: 'merged', headSha: HEAD, headRef: 'feature', baseRef: 'main', url: `${gt.url.replace(/\/api\/v1$/, '')}/acme/deploy/pulls/3`, mergeCommitSha: MERGE }]);
  assert.deepEqual(await client.pullRequestsForCommit('c'.repeat(40)), [], '404: no pull request');
  const created = await client.createComment(3, '<!-- m -->\nA');
  await client.updateComment(3, created.id, '<!-- m -->\nB');
  assert.deepEqual((await client.listComments(3)).map((c) => c.body), ['<!-- m -->\nB']);
  await client.setCommitStatus(MERGE, { state: 'failure', context: 'sluice/shop/web', description: 'Degraded' });
  assert.deepEqual(gt.statuses, [{ sha: MERGE, state: 'failure', context: 'sluice/shop/web', description: 'Degraded' }]);
  assert.equal(await client.permissionOf('owner1'), 'write');
  assert.equal(await client.permissionOf('writer'), 'write');
  assert.equal(await client.permissionOf('reader'), 'read');
  assert.equal(await client.permissionOf('stranger'), 'none');
  const c = gt.addComment(3, 'writer', '/abort');
  await client.react(3, String(c.id), 'seen');
  await client.react(3, String(c.id), 'done');
  assert.deepEqual(c.reactions, ['eyes', '+1']);
  assert.deepEqual(gt.violations, []);
});

test('a host that does not answer in time is an error with status 0, counted as error', async () => {
  const { metrics, requests } = countingMetrics();
  const hanging = (async (_input: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)))) as typeof fetch;
  const client = createHostClient(hostConfig('gitea', 'http://gitea.invalid/api/v1', 'acme/deploy', 't'), { log, metrics, timeoutMs: 50, fetch: hanging });
  await assert.rejects(client.listComments(1), (err: unknown) => err instanceof HostApiError && err.status === 0 && /timed out/.test(err.message));
  assert.deepEqual(requests, [['gitea', 'error']]);
});
