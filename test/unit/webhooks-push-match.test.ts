// Which repositories a push concerns: clone-URL keys (https/ssh, case, .git, credentials), the ref
// rules per kind of ref, the status branch, and the bounded window of recent delivery ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneUrlKey } from '../../src/webhooks/clone-url.ts';
import { matchPush } from '../../src/webhooks/match-push.ts';
import { RecentDeliveries } from '../../src/webhooks/recent-deliveries.ts';
import type { RepoConfig, RefSpec } from '../../src/config/config-types.ts';

test('cloneUrlKey: https, ssh and scp forms of one repository share a key', () => {
  const same = [
    'https://github.com/Codertocat/Hello-World.git',
    'https://github.com/codertocat/hello-world',
    'https://github.com/Codertocat/Hello-World/',
    'https://x-access-token:ghs_secret@github.com/Codertocat/Hello-World.git',
    'HTTPS://GITHUB.COM:443/Codertocat/Hello-World.git',
    'git@github.com:Codertocat/Hello-World.git',
    'ssh://git@github.com/Codertocat/Hello-World.git',
    'ssh://git@github.com:22/Codertocat/Hello-World.git',
    'git://github.com/Codertocat/Hello-World.git',
  ];
  for (const url of same) assert.equal(cloneUrlKey(url), 'github.com/codertocat/hello-world', url);
  assert.equal(cloneUrlKey('http://127.0.0.1:8080/apps.git'), '127.0.0.1:8080/apps');
  assert.notEqual(cloneUrlKey('http://127.0.0.1:8080/apps.git'), cloneUrlKey('http://127.0.0.1:8081/apps.git'), 'two http servers on one host differ');
  assert.equal(cloneUrlKey('https://gitlab.com/group/sub/project.git'), 'gitlab.com/group/sub/project');
  assert.notEqual(cloneUrlKey('https://github.com/a/b'), cloneUrlKey('https://github.com/a/bc'));
  for (const bad of ['', 'not a url', 'file:///srv/repo.git', 'https://github.com/']) assert.equal(cloneUrlKey(bad), undefined, bad);
});

const repo = (name: string, url: string, ref: RefSpec, writeback?: string): RepoConfig => ({
  name,
  url,
  ref,
  paths: ['.'],
  schedule: '* * * * *',
  prune: true,
  namespace: 'default',
  ...(writeback ? { writeback: { branch: writeback, path: 'status', batchWindowMs: 2000, authorName: 'Sluice', authorEmail: 'sluice@localhost', maxPushAttempts: 5 } } : {}),
});
const push = (ref: string, cloneUrls = ['https://git.example.com/team/deploy.git', 'git@git.example.com:team/deploy.git']) => ({ ref, repository: { fullName: 'team/deploy', cloneUrls } });

test('matchPush: the ref rules for branch, tag, semver, commit pin and HEAD', () => {
  const url = 'https://git.example.com/team/deploy';
  const repos = [
    repo('on-main', url, { branch: 'main' }),
    repo('on-tag', `${url}.git`, { tag: 'v1.2.0' }),
    repo('on-semver', url, { semver: '^1.0.0' }),
    repo('pinned', url, { commit: '0123456789abcdef0123456789abcdef01234567', branch: 'main' }),
    repo('on-head', url, { head: true }),
    repo('elsewhere', 'https://git.example.com/team/other', { branch: 'main' }),
  ];
  assert.deepEqual(matchPush(repos, push('refs/heads/main')).repos, ['on-main', 'on-head']);
  assert.deepEqual(matchPush(repos, push('refs/heads/feature')).repos, ['on-head']);
  assert.deepEqual(matchPush(repos, push('refs/tags/v1.2.0')).repos, ['on-tag', 'on-semver']);
  assert.deepEqual(matchPush(repos, push('refs/tags/v2.0.0')).repos, ['on-semver'], 'any tag may change the highest semver match');
  const none = matchPush([repos[0] as RepoConfig, repos[3] as RepoConfig], push('refs/heads/dev'));
  assert.deepEqual(none.repos, []);
  assert.equal(none.reason, 'on-main: it follows branch main, not refs/heads/dev; pinned: it is pinned to commit 0123456');
});

test('matchPush: an unknown repository and the status branch are never synced', () => {
  const repos = [repo('apps', 'https://user:token@GIT.example.com/Team/Deploy.git', { head: true }, 'sluice-status')];
  assert.deepEqual(matchPush(repos, push('refs/heads/main', ['git@git.example.com:team/deploy.git'])).repos, ['apps'], 'the ssh form matches an https config URL with credentials');
  const status = matchPush(repos, push('refs/heads/sluice-status'));
  assert.deepEqual(status.repos, []);
  assert.equal(status.reason, 'apps: refs/heads/sluice-status is its status branch');
  const unknown = matchPush(repos, { ref: 'refs/heads/main', repository: { fullName: 'someone/else', cloneUrls: ['https://git.example.com/someone/else.git'] } });
  assert.deepEqual(unknown, { repos: [], reason: 'no repository in the config has the URL of someone/else' });
});

test('RecentDeliveries: a repeat within the window is not first; the window is bounded in count and age', () => {
  let t = 0;
  const recent = new RecentDeliveries({ max: 3, ttlMs: 1000, now: () => t });
  assert.equal(recent.firstTime('a'), true);
  assert.equal(recent.firstTime('a'), false);
  assert.equal(recent.firstTime('b'), true);
  assert.equal(recent.firstTime('c'), true);
  assert.equal(recent.firstTime('d'), true, 'a fourth id evicts the oldest');
  assert.equal(recent.size, 3);
  assert.equal(recent.firstTime('a'), true, 'a was evicted, so it counts as new');
  t = 999;
  assert.equal(recent.firstTime('d'), false, 'still within the window');
  t = 1500;
  assert.equal(recent.firstTime('d'), true, 'expired after the window');
  assert.ok(recent.size <= 3);
});
