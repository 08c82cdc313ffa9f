// Normalisation of each host's payloads into the port's events. GitHub: the real payloads of
// @octokit/webhooks-examples 7.6 (api.github.com). GitLab, Gitea and Bitbucket: payloads written
// after each host's published examples, trimmed to the fields around what Sluice reads (the doc
// version is named above each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseGithub } from '../../src/webhooks/normalise-github.ts';
import { normaliseGitea } from '../../src/webhooks/normalise-gitea.ts';
import { normaliseGitlab } from '../../src/webhooks/normalise-gitlab.ts';
import { normaliseBitbucket } from '../../src/webhooks/normalise-bitbucket.ts';
import { MalformedPayloadError } from '../../src/webhooks/payload-fields.ts';
import type { Normalised } from '../../src/webhooks/normalised.ts';
import type { WebhookEvent } from '../../src/ports/webhook-events.ts';
import { githubExample } from '../helpers/webhook-payloads.ts';

const GH_REPO = { fullName: 'Codertocat/Hello-World', cloneUrls: ['https://github.com/Codertocat/Hello-World.git', 'git@github.com:Codertocat/Hello-World.git', 'git://github.com/Codertocat/Hello-World.git', 'https://github.com/Codertocat/Hello-World'] };

function events(n: Normalised): WebhookEvent[] {
  assert.ok('events' in n, `expected events, got ${JSON.stringify(n)}`);
  return n.events;
}
function ignored(n: Normalised): string {
  assert.ok('ignored' in n, `expected ignored, got ${JSON.stringify(n)}`);
  return n.ignored;
}

// ---------------------------------------------------------------- GitHub (real payloads)

test('github push: branch push and tag deletion from the real examples', () => {
  const branch = githubExample('push', (p) => p.ref === 'refs/heads/master');
  assert.deepEqual(events(normaliseGithub('push', branch, 'd-1')), [
    { host: 'github', deliveryId: 'd-1', repository: GH_REPO, kind: 'push', ref: 'refs/heads/master', after: '6113728f27ae82c7b1a177c8d03f9e96e0adf246' },
  ]);
  const deletedTag = githubExample('push', (p) => p.ref === 'refs/tags/simple-tag' && p.deleted === true);
  const [tag] = events(normaliseGithub('push', deletedTag, 'd-2'));
  assert.equal(tag?.kind === 'push' && tag.ref, 'refs/tags/simple-tag');
  assert.equal(tag?.kind === 'push' && tag.after, '0000000000000000000000000000000000000000');
});

test('github pull_request: opened and synchronize carry number, head and base', () => {
  for (const action of ['opened', 'synchronize'] as const) {
    const [pr] = events(normaliseGithub('pull_request', githubExample('pull_request', (p) => p.action === action), 'd'));
    assert.deepEqual(pr, {
      host: 'github',
      deliveryId: 'd',
      repository: GH_REPO,
      kind: 'pull_request',
      action,
      number: 2,
      headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      headRef: 'changes',
      baseRef: 'master',
      merged: false,
    });
  }
  const [labeled] = events(normaliseGithub('pull_request', githubExample('pull_request', (p) => p.action === 'labeled'), 'd'));
  assert.equal(labeled?.kind === 'pull_request' && labeled.action, 'other');
});

test('github issue_comment: on a pull request it is a comment; on an issue it is ignored', () => {
  const onIssue = githubExample('issue_comment', (p) => p.action === 'created');
  assert.equal((onIssue.issue as Record<string, unknown>).pull_request, undefined, 'the example is a comment on a plain issue');
  assert.equal(ignored(normaliseGithub('issue_comment', onIssue, 'd')), 'comment on an issue, not on a pull request');

  // The examples hold no comment on a pull request; GitHub marks one by issue.pull_request
  // (docs: "issue_comment" event), which is all that differs.
  const onPr = githubExample('issue_comment', (p) => p.action === 'created');
  (onPr.issue as Record<string, unknown>).pull_request = { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1', html_url: 'https://github.com/Codertocat/Hello-World/pull/1', merged_at: null };
  assert.deepEqual(events(normaliseGithub('issue_comment', onPr, 'd')), [
    { host: 'github', deliveryId: 'd', repository: GH_REPO, kind: 'comment', action: 'created', pullRequest: 1, commentId: '492700400', body: "You are totally right! I'll get this fixed right away.", user: 'Codertocat' },
  ]);
  const edited = githubExample('issue_comment', (p) => p.action === 'edited');
  (edited.issue as Record<string, unknown>).pull_request = { url: 'x' };
  const [e] = events(normaliseGithub('issue_comment', edited, 'd'));
  assert.equal(e?.kind === 'comment' && e.action, 'other');
});

test('github pull_request_review: submitted reviews become review events; dismissed ones are ignored', () => {
  const submitted = githubExample('pull_request_review', (p) => p.action === 'submitted');
  const [commented] = events(normaliseGithub('pull_request_review', submitted, 'd'));
  assert.deepEqual(commented, { host: 'github', deliveryId: 'd', repository: GH_REPO, kind: 'review', pullRequest: 2, user: 'Codertocat', state: 'commented' });
  // The examples hold only "commented" reviews; an approval differs only in review.state.
  const approved = githubExample('pull_request_review', (p) => p.action === 'submitted');
  (approved.review as Record<string, unknown>).state = 'approved';
  const [a] = events(normaliseGithub('pull_request_review', approved, 'd'));
  assert.equal(a?.kind === 'review' && a.state, 'approved');
  assert.match(ignored(normaliseGithub('pull_request_review', githubExample('pull_request_review', (p) => p.action === 'dismissed'), 'd')), /dismissed/);
});

test('github ping and unused events are ignored; a push without ref is malformed', () => {
  assert.match(ignored(normaliseGithub('ping', githubExample('ping'), 'd')), /^ping/);
  assert.equal(ignored(normaliseGithub('star', githubExample('star'), 'd')), 'event "star" is not used by Sluice');
  assert.equal(ignored(normaliseGithub('issues', githubExample('issues'), 'd')), 'event "issues" is not used by Sluice');
  const broken = githubExample('push', (p) => p.ref === 'refs/heads/master');
  delete broken.ref;
  assert.throws(() => normaliseGithub('push', broken, 'd'), (err: Error) => err instanceof MalformedPayloadError && /payload field ref/.test(err.message));
  assert.throws(() => normaliseGithub('push', [1, 2], 'd'), MalformedPayloadError);
});

// ---------------------------------------------------------------- GitLab
// After docs.gitlab.com "Webhook events" (doc/user/project/integrations/webhook_events.md, GitLab 17.x/18.x).

const GL_PROJECT = {
  id: 15,
  name: 'Diaspora',
  web_url: 'http://example.com/mike/diaspora',
  git_ssh_url: 'git@example.com:mike/diaspora.git',
  git_http_url: 'http://example.com/mike/diaspora.git',
  namespace: 'Mike',
  path_with_namespace: 'mike/diaspora',
  default_branch: 'master',
};
const GL_REPO = { fullName: 'mike/diaspora', cloneUrls: ['http://example.com/mike/diaspora.git', 'git@example.com:mike/diaspora.git', 'http://example.com/mike/diaspora'] };

test('gitlab Push Hook and Tag Push Hook', () => {
  const push = { object_kind: 'push', event_name: 'push', before: '95790bf891e76fee5e1747ab589903a6a1f80f22', after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', ref: 'refs/heads/master', checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', user_username: 'jsmith', project_id: 15, project: GL_PROJECT, commits: [], total_commits_count: 4 };
  assert.deepEqual(events(normaliseGitlab('Push Hook', push, 'uuid-1')), [{ host: 'gitlab', deliveryId: 'uuid-1', repository: GL_REPO, kind: 'push', ref: 'refs/heads/master', after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' }]);
  const tag = { ...push, object_kind: 'tag_push', event_name: 'tag_push', before: '0000000000000000000000000000000000000000', after: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7', ref: 'refs/tags/v1.0.0' };
  const [t] = events(normaliseGitlab('Tag Push Hook', tag, 'uuid-2'));
  assert.equal(t?.kind === 'push' && t.ref, 'refs/tags/v1.0.0');
});

test('gitlab Merge Request Hook: open, update with new commits, merge, and one user\'s approval', () => {
  const mr = (attrs: Record<string, unknown>) => ({
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 1, name: 'Administrator', username: 'root' },
    project: GL_PROJECT,
    object_attributes: { id: 99, iid: 1, target_branch: 'master', source_branch: 'ms-viewport', state: 'opened', last_commit: { id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' }, ...attrs },
  });
  const [opened] = events(normaliseGitlab('Merge Request Hook', mr({ action: 'open' }), 'u'));
  assert.deepEqual(opened, { host: 'gitlab', deliveryId: 'u', repository: GL_REPO, kind: 'pull_request', action: 'opened', number: 1, headSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', headRef: 'ms-viewport', baseRef: 'master', merged: false });
  const [pushed] = events(normaliseGitlab('Merge Request Hook', mr({ action: 'update', oldrev: '95790bf891e76fee5e1747ab589903a6a1f80f22' }), 'u'));
  assert.equal(pushed?.kind === 'pull_request' && pushed.action, 'synchronize');
  const [retitled] = events(normaliseGitlab('Merge Request Hook', mr({ action: 'update' }), 'u'));
  assert.equal(retitled?.kind === 'pull_request' && retitled.action, 'other', 'an update without oldrev changed no code');
  const [merged] = events(normaliseGitlab('Merge Request Hook', mr({ action: 'merge', state: 'merged' }), 'u'));
  assert.deepEqual(merged?.kind === 'pull_request' && [merged.action, merged.merged], ['closed', true]);
  assert.deepEqual(events(normaliseGitlab('Merge Request Hook', mr({ action: 'approval' }), 'u')), [{ host: 'gitlab', deliveryId: 'u', repository: GL_REPO, kind: 'review', state: 'approved', pullRequest: 1, user: 'root' }]);
  assert.equal(ignored(normaliseGitlab('Merge Request Hook', mr({ action: 'approved' }), 'u')), 'merge request approved');
  assert.equal(ignored(normaliseGitlab('Merge Request Hook', mr({ action: 'unapproval' }), 'u')), 'merge request unapproval');
});

test('gitlab Note Hook: a comment on a merge request; on an issue or commit it is ignored', () => {
  const note = (type: string, extra: Record<string, unknown>, action?: string) => ({
    object_kind: 'note',
    event_type: 'note',
    user: { id: 1, name: 'Administrator', username: 'root' },
    project_id: 5,
    project: GL_PROJECT,
    object_attributes: { id: 1244, note: '/promote', noteable_type: type, ...(action ? { action } : {}) },
    ...extra,
  });
  assert.deepEqual(events(normaliseGitlab('Note Hook', note('MergeRequest', { merge_request: { id: 7, iid: 1, target_branch: 'markdown', source_branch: 'master' } }, 'create'), 'u')), [
    { host: 'gitlab', deliveryId: 'u', repository: GL_REPO, kind: 'comment', action: 'created', pullRequest: 1, commentId: '1244', body: '/promote', user: 'root' },
  ]);
  // Before GitLab 16.11 notes carry no action: they are new.
  const [old] = events(normaliseGitlab('Note Hook', note('MergeRequest', { merge_request: { iid: 3 } }), 'u'));
  assert.equal(old?.kind === 'comment' && old.action, 'created');
  const [edited] = events(normaliseGitlab('Note Hook', note('MergeRequest', { merge_request: { iid: 3 } }, 'update'), 'u'));
  assert.equal(edited?.kind === 'comment' && edited.action, 'other');
  assert.equal(ignored(normaliseGitlab('Note Hook', note('Issue', { issue: { iid: 17 } }, 'create'), 'u')), 'comment on Issue (not a merge request)');
  assert.equal(ignored(normaliseGitlab('Note Hook', note('Commit', {}, 'create'), 'u')), 'comment on Commit (not a merge request)');
  assert.equal(ignored(normaliseGitlab('Pipeline Hook', { object_kind: 'pipeline' }, 'u')), 'event "Pipeline Hook" is not used by Sluice');
});

// ---------------------------------------------------------------- Gitea
// After docs.gitea.com "Webhooks" (1.21–1.24) and modules/structs/hook.go (PushPayload,
// PullRequestPayload, IssueCommentPayload); review events from modules/webhook/type.go Event().

const GITEA_REPO = { id: 140, name: 'webhooks', full_name: 'gitea/webhooks', html_url: 'http://localhost:3000/gitea/webhooks', ssh_url: 'ssh://gitea@localhost:2222/gitea/webhooks.git', clone_url: 'http://localhost:3000/gitea/webhooks.git', default_branch: 'master' };
const GITEA_NORM = { fullName: 'gitea/webhooks', cloneUrls: ['http://localhost:3000/gitea/webhooks.git', 'ssh://gitea@localhost:2222/gitea/webhooks.git', 'http://localhost:3000/gitea/webhooks'] };
const giteaPr = { id: 1, number: 4, head: { ref: 'feature', sha: 'bffeb74224043ba2feb48d137756c8a9331c449a' }, base: { ref: 'master', sha: '28e1879d029cb852e4844d9c718537df08844e03' }, merged: false };

test('gitea push, pull_request (synchronized) and comments on pull requests only', () => {
  const push = { ref: 'refs/heads/develop', before: '28e1879d029cb852e4844d9c718537df08844e03', after: 'bffeb74224043ba2feb48d137756c8a9331c449a', compare_url: '', commits: [], repository: GITEA_REPO, pusher: { login: 'gitea' }, sender: { login: 'gitea' } };
  assert.deepEqual(events(normaliseGitea('push', push, 'g-1')), [{ host: 'gitea', deliveryId: 'g-1', repository: GITEA_NORM, kind: 'push', ref: 'refs/heads/develop', after: 'bffeb74224043ba2feb48d137756c8a9331c449a' }]);

  const [sync] = events(normaliseGitea('pull_request', { action: 'synchronized', number: 4, pull_request: giteaPr, repository: GITEA_REPO, sender: { login: 'gitea' } }, 'g-2'));
  assert.deepEqual(sync, { host: 'gitea', deliveryId: 'g-2', repository: GITEA_NORM, kind: 'pull_request', action: 'synchronize', number: 4, headSha: 'bffeb74224043ba2feb48d137756c8a9331c449a', headRef: 'feature', baseRef: 'master', merged: false });

  const comment = (isPull: boolean) => ({ action: 'created', issue: { id: 9, number: 4, pull_request: isPull ? { merged: false } : null }, comment: { id: 77, body: '/abort', user: { login: 'alice' } }, repository: GITEA_REPO, sender: { login: 'alice' }, is_pull: isPull });
  assert.deepEqual(events(normaliseGitea('issue_comment', comment(true), 'g-3')), [{ host: 'gitea', deliveryId: 'g-3', repository: GITEA_NORM, kind: 'comment', action: 'created', pullRequest: 4, commentId: '77', body: '/abort', user: 'alice' }]);
  assert.equal(ignored(normaliseGitea('issue_comment', comment(false), 'g-4')), 'comment on an issue, not on a pull request');
});

test('gitea review events: approved, rejected and comment by the sender', () => {
  const review = (type: string) => ({ action: 'reviewed', number: 4, pull_request: giteaPr, repository: GITEA_REPO, sender: { login: 'bob' }, review: { type, content: 'LGTM' } });
  assert.deepEqual(events(normaliseGitea('pull_request_approved', review('pull_request_review_approved'), 'g')), [{ host: 'gitea', deliveryId: 'g', repository: GITEA_NORM, kind: 'review', state: 'approved', pullRequest: 4, user: 'bob' }]);
  const [rejected] = events(normaliseGitea('pull_request_rejected', review('pull_request_review_rejected'), 'g'));
  assert.equal(rejected?.kind === 'review' && rejected.state, 'changes_requested');
  assert.equal(ignored(normaliseGitea('create', { ref: 'v1', ref_type: 'tag', repository: GITEA_REPO }, 'g')), 'event "create" is not used by Sluice');
});

// ---------------------------------------------------------------- Bitbucket
// Cloud: support.atlassian.com/bitbucket-cloud/docs/event-payloads (2024). Data Center/Server:
// confluence.atlassian.com "Event payload" for Bitbucket Data Center 8.x.

const BB_CLOUD_REPO = { type: 'repository', full_name: 'team/deploy', name: 'deploy', uuid: '{1}', links: { html: { href: 'https://bitbucket.org/team/deploy' } } };
const BB_CLOUD_NORM = { fullName: 'team/deploy', cloneUrls: ['https://bitbucket.org/team/deploy', 'git@bitbucket.org:team/deploy.git'] };
const BB_ACTOR = { type: 'user', display_name: 'Alice A', nickname: 'alice', account_id: '557058:1', uuid: '{u1}' };

test('bitbucket cloud repo:push: one push per change, a deleted branch has a zero sha', () => {
  const payload = {
    actor: BB_ACTOR,
    repository: BB_CLOUD_REPO,
    push: {
      changes: [
        { new: { type: 'branch', name: 'main', target: { type: 'commit', hash: '709d658dc5b6d6afcd46049c2f332ee3f515a67d' } }, old: { type: 'branch', name: 'main', target: { hash: '1e65c05c1d5171631d92438a13901ca7dae9618c' } }, created: false, closed: false },
        { new: { type: 'tag', name: 'v1.2.0', target: { type: 'commit', hash: '709d658dc5b6d6afcd46049c2f332ee3f515a67d' } }, old: null, created: true, closed: false },
        { new: null, old: { type: 'branch', name: 'old-feature', target: { hash: '1e65c05c1d5171631d92438a13901ca7dae9618c' } }, created: false, closed: true },
      ],
    },
  };
  const pushes = events(normaliseBitbucket('repo:push', payload, 'r-1'));
  assert.deepEqual(
    pushes.map((p) => p.kind === 'push' && [p.ref, p.after]),
    [
      ['refs/heads/main', '709d658dc5b6d6afcd46049c2f332ee3f515a67d'],
      ['refs/tags/v1.2.0', '709d658dc5b6d6afcd46049c2f332ee3f515a67d'],
      ['refs/heads/old-feature', '0000000000000000000000000000000000000000'],
    ],
  );
  assert.deepEqual(pushes[0]?.repository, BB_CLOUD_NORM);
});

test('bitbucket cloud pull requests, comments and approvals', () => {
  const pr = { id: 12, title: 'x', state: 'OPEN', source: { branch: { name: 'feature' }, commit: { hash: 'd3022fc0ca3d' } }, destination: { branch: { name: 'main' }, commit: { hash: 'ce5965ddd289' } } };
  const [created] = events(normaliseBitbucket('pullrequest:created', { actor: BB_ACTOR, pullrequest: pr, repository: BB_CLOUD_REPO }, 'r'));
  assert.deepEqual(created, { host: 'bitbucket', deliveryId: 'r', repository: BB_CLOUD_NORM, kind: 'pull_request', action: 'opened', number: 12, headSha: 'd3022fc0ca3d', headRef: 'feature', baseRef: 'main', merged: false });
  const [fulfilled] = events(normaliseBitbucket('pullrequest:fulfilled', { actor: BB_ACTOR, pullrequest: { ...pr, state: 'MERGED' }, repository: BB_CLOUD_REPO }, 'r'));
  assert.deepEqual(fulfilled?.kind === 'pull_request' && [fulfilled.action, fulfilled.merged], ['closed', true]);
  const comment = { id: 17, content: { raw: '/promote --full', markup: 'markdown' }, user: BB_ACTOR };
  assert.deepEqual(events(normaliseBitbucket('pullrequest:comment_created', { actor: BB_ACTOR, comment, pullrequest: pr, repository: BB_CLOUD_REPO }, 'r')), [
    { host: 'bitbucket', deliveryId: 'r', repository: BB_CLOUD_NORM, kind: 'comment', action: 'created', pullRequest: 12, commentId: '17', body: '/promote --full', user: 'alice' },
  ]);
  assert.deepEqual(events(normaliseBitbucket('pullrequest:approved', { actor: BB_ACTOR, approval: { date: '2024-01-01T00:00:00Z', user: BB_ACTOR }, pullrequest: pr, repository: BB_CLOUD_REPO }, 'r')), [
    { host: 'bitbucket', deliveryId: 'r', repository: BB_CLOUD_NORM, kind: 'review', state: 'approved', pullRequest: 12, user: 'alice' },
  ]);
});

test('bitbucket server repo:refs_changed, pr:comment:added, pr:reviewer:approved and the test ping', () => {
  const repo = { slug: 'test-repo', id: 656, name: 'test-repo', project: { key: 'MYPROJECT', id: 389 }, links: { clone: [{ href: 'ssh://git@bitbucketserver:7999/myproject/test-repo.git', name: 'ssh' }, { href: 'https://admin@bitbucketserver/scm/myproject/test-repo.git', name: 'http' }] } };
  const norm = { fullName: 'MYPROJECT/test-repo', cloneUrls: ['ssh://git@bitbucketserver:7999/myproject/test-repo.git', 'https://admin@bitbucketserver/scm/myproject/test-repo.git'] };
  const refs = {
    eventKey: 'repo:refs_changed',
    actor: { name: 'admin', slug: 'admin' },
    repository: repo,
    changes: [
      { ref: { id: 'refs/heads/master', displayId: 'master', type: 'BRANCH' }, refId: 'refs/heads/master', fromHash: 'ecddabb624f6f5ba43816f5926e580a5f680a932', toHash: '178864a7d521b6f5e720b386b2c2b0ef8563e0dc', type: 'UPDATE' },
      { ref: { id: 'refs/tags/v2', displayId: 'v2', type: 'TAG' }, refId: 'refs/tags/v2', fromHash: '178864a7d521b6f5e720b386b2c2b0ef8563e0dc', toHash: '0000000000000000000000000000000000000000', type: 'DELETE' },
    ],
  };
  assert.deepEqual(events(normaliseBitbucket('repo:refs_changed', refs, 'x-1')), [
    { host: 'bitbucket', deliveryId: 'x-1', repository: norm, kind: 'push', ref: 'refs/heads/master', after: '178864a7d521b6f5e720b386b2c2b0ef8563e0dc' },
    { host: 'bitbucket', deliveryId: 'x-1', repository: norm, kind: 'push', ref: 'refs/tags/v2', after: '0000000000000000000000000000000000000000' },
  ]);
  const pullRequest = { id: 1, state: 'OPEN', fromRef: { id: 'refs/heads/feature', displayId: 'feature', latestCommit: '178864a7d521b6f5e720b386b2c2b0ef8563e0dc', repository: repo }, toRef: { id: 'refs/heads/master', displayId: 'master', latestCommit: 'ecddabb6', repository: repo } };
  assert.deepEqual(events(normaliseBitbucket('pr:comment:added', { eventKey: 'pr:comment:added', actor: { name: 'admin' }, pullRequest, comment: { id: 62, text: '/retry', author: { name: 'admin' } } }, 'x-2')), [
    { host: 'bitbucket', deliveryId: 'x-2', repository: norm, kind: 'comment', action: 'created', pullRequest: 1, commentId: '62', body: '/retry', user: 'admin' },
  ]);
  assert.deepEqual(events(normaliseBitbucket('pr:reviewer:approved', { eventKey: 'pr:reviewer:approved', actor: { name: 'bob' }, pullRequest, participant: { user: { name: 'bob' }, role: 'REVIEWER', approved: true, status: 'APPROVED' } }, 'x-3')), [
    { host: 'bitbucket', deliveryId: 'x-3', repository: norm, kind: 'review', state: 'approved', pullRequest: 1, user: 'bob' },
  ]);
  const [synced] = events(normaliseBitbucket('pr:from_ref_updated', { eventKey: 'pr:from_ref_updated', actor: { name: 'bob' }, pullRequest }, 'x-4'));
  assert.deepEqual(synced?.kind === 'pull_request' && [synced.action, synced.headRef, synced.baseRef, synced.headSha], ['synchronize', 'feature', 'master', '178864a7d521b6f5e720b386b2c2b0ef8563e0dc']);
  assert.match(ignored(normaliseBitbucket('diagnostics:ping', { test: true }, 'x-5')), /^ping/);
  assert.equal(ignored(normaliseBitbucket('repo:fork', { repository: BB_CLOUD_REPO }, 'x-6')), 'event "repo:fork" is not used by Sluice');
  assert.throws(() => normaliseBitbucket('repo:refs_changed', { repository: repo, changes: 'nope' }, 'x-7'), MalformedPayloadError);
});
