// Commands and approving reviews on in-memory host and Rollouts: who may act, what a bad command
// gets (usage, nothing done), several Rollouts on one pull request, what is possible in the
// current state, redeliveries acting once, and a token without rights answered, not crashed on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import pino from 'pino';
import type { Rollout } from '../../src/engine/types.ts';
import type { CommentEvent, ReviewEvent } from '../../src/ports/webhook-events.ts';
import type { CommandResult } from '../../src/ports/rollout-commands.ts';
import { createApprovals } from '../../src/githost/pr-approvals.ts';
import { createCommentUpserter } from '../../src/githost/comment-upserter.ts';
import { HostApiError } from '../../src/githost/host-client.ts';
import type { HostedRepo } from '../../src/githost/hosted-repo.ts';
import type { TrackedRollout } from '../../src/githost/rollout-reporter.ts';
import type { CommandOutcome } from '../../src/githost/githost-metrics.ts';
import { memoryGitHost } from '../helpers/memory-git-host.ts';

const paused = (parse(readFileSync(new URL('../fixtures/rollout-view/canary-paused.yaml', import.meta.url), 'utf8')) as { rollout: Rollout }).rollout;

/** RolloutCommands' messages, as kubectl-argo-rollouts words them. */
const PAST: Record<string, string> = { promote: 'promoted', 'promote --full': 'fully promoted', abort: 'aborted', retry: 'retried' };

function setup(opts: { approvers?: string[]; rollouts?: Array<{ namespace: string; name: string; rollout: Rollout }> } = {}) {
  const host = memoryGitHost('acme/deploy');
  const repo: HostedRepo = { name: 'shop', client: host.client, upserter: createCommentUpserter(host.client), approvers: opts.approvers ?? [], pullRequests: true };
  const live = new Map((opts.rollouts ?? [{ namespace: 'shop', name: 'web', rollout: paused }]).map((r) => [`${r.namespace}/${r.name}`, r.rollout]));
  const acted: string[] = [];
  const touched: string[] = [];
  const outcomes: Array<[string, CommandOutcome]> = [];
  const result = (verb: string, ns: string, name: string): Promise<CommandResult> => {
    acted.push(`${verb} ${ns}/${name}`);
    const rollout = live.get(`${ns}/${name}`);
    if (!rollout) return Promise.reject(new Error('not found'));
    return Promise.resolve({ rollout, message: `rollout '${name}' ${PAST[verb] ?? verb}` });
  };
  const approvals = createApprovals({
    repos: [repo],
    reporter: {
      async rolloutsOf(names, pr) {
        if (!names.includes('shop') || pr !== 7) return [];
        return [...live.keys()].map((k): TrackedRollout => {
          const [namespace = '', name = ''] = k.split('/');
          return { namespace, name, repo, commit: 'c'.repeat(40), pullRequest: 7 };
        });
      },
      touch: (ns, name) => void touched.push(`${ns}/${name}`),
    },
    commands: {
      promote: (ns, name, o) => result(o?.full ? 'promote --full' : 'promote', ns, name),
      abort: (ns, name) => result('abort', ns, name),
      retry: (ns, name) => result('retry', ns, name),
    },
    readRollout: async (ns, name) => live.get(`${ns}/${name}`),
    log: pino({ level: 'silent' }),
    metrics: { request() {}, command: (c, r) => void outcomes.push([c, r]) },
  });
  let delivery = 0;
  const comment = (user: string, body: string, id?: string): CommentEvent => {
    const c = id ? { id } : host.addComment(7, user, body);
    return { kind: 'comment', host: 'github', deliveryId: `d${delivery++}`, repository: { fullName: 'Acme/Deploy', cloneUrls: [] }, pullRequest: 7, commentId: c.id, body, user, action: 'created' };
  };
  const review = (user: string, state: ReviewEvent['state'] = 'approved'): ReviewEvent => ({ kind: 'review', host: 'github', deliveryId: `d${delivery++}`, repository: { fullName: 'acme/deploy', cloneUrls: [] }, pullRequest: 7, user, state });
  const replies = () => host.comments.filter((c) => c.user === 'sluice-bot').map((c) => c.body);
  return { host, approvals, acted, touched, outcomes, comment, review, replies, live };
}

test('/promote from someone without write access is refused with the reason; from a writer it promotes', async () => {
  const s = setup();
  s.host.permissions.set('reader', 'read');
  s.host.permissions.set('writer', 'write');
  const refused = s.comment('reader', '/promote');
  await s.approvals.comment(refused);
  assert.deepEqual(s.acted, []);
  assert.deepEqual(s.host.comments.find((c) => c.id === refused.commentId)?.reactions, ['seen', 'refused']);
  assert.match(s.replies()[0] ?? '', /^@reader: @reader has read access to acme\/deploy; only people with write access/);

  const ok = s.comment('writer', 'Ship it.\n/promote');
  await s.approvals.comment(ok);
  assert.deepEqual(s.acted, ['promote shop/web']);
  assert.deepEqual(s.touched, ['shop/web']);
  assert.deepEqual(s.host.comments.find((c) => c.id === ok.commentId)?.reactions, ['seen', 'done']);
  assert.equal(s.replies()[1], "@writer: rollout 'web' promoted (`shop/web`, as asked with `/promote`).");
  assert.deepEqual(s.outcomes, [['/promote', 'refused'], ['/promote', 'done']]);

  // The same comment delivered again (the endpoint drops redeliveries; this holds anyway) acts once.
  await s.approvals.comment({ ...ok, deliveryId: 'again' });
  assert.deepEqual(s.acted, ['promote shop/web']);
});

test('approvers act without write access and without asking the host', async () => {
  const s = setup({ approvers: ['Release-Manager'] });
  await s.approvals.comment(s.comment('release-manager', '/promote --full'));
  assert.deepEqual(s.acted, ['promote --full shop/web']);
  assert.ok(!s.host.calls.includes('permissionOf'));
});

test('bad arguments, unknown Rollouts and commands that do not apply now answer with why (and the usage), acting on nothing', async () => {
  const s = setup({ rollouts: [{ namespace: 'shop', name: 'web', rollout: paused }, { namespace: 'shop', name: 'api', rollout: paused }] });
  s.host.permissions.set('writer', 'write');
  await s.approvals.comment(s.comment('writer', '/promote --fulll'));
  await s.approvals.comment(s.comment('writer', '/promote'));
  await s.approvals.comment(s.comment('writer', '/promote checkout'));
  await s.approvals.comment(s.comment('writer', '/retry web'));
  const [bad, which, unknown, notNow] = s.replies();
  assert.match(bad ?? '', /^@writer: unknown option `--fulll`; nothing was done\.\n\nUsage: `\/promote \[--full\] \[ROLLOUT\]`/);
  assert.equal(which, '@writer: this pull request deployed several Rollouts (`shop/web`, `shop/api`); which one? Say `/promote web` or `/promote api`; nothing was done.');
  assert.match(unknown ?? '', /^@writer: no Rollout `checkout` came with this pull request \(it deployed `shop\/web`, `shop\/api`\); nothing was done\.\n\nUsage:/);
  assert.equal(notNow, '@writer: `/retry` does not apply to `shop/web`, which is Paused (possible now: `/promote`, `/promote --full`, `/abort`); nothing was done.');
  assert.deepEqual(s.acted, []);
  assert.deepEqual(s.outcomes.map(([, r]) => r), ['bad_arguments', 'not_possible', 'bad_arguments', 'not_possible']);
  await s.approvals.comment(s.comment('writer', '/abort shop/api'));
  assert.deepEqual(s.acted, ['abort shop/api']);
});

test('a command on a pull request that deployed nothing, or for a repository without host config', async () => {
  const s = setup({ rollouts: [] });
  s.host.permissions.set('writer', 'write');
  await s.approvals.comment(s.comment('writer', '/promote'));
  assert.equal(s.replies()[0], '@writer: no Rollout was deployed from this pull request, so `/promote` has nothing to act on; nothing was done.');
  const calls = s.host.calls.length;
  await s.approvals.comment({ ...s.comment('writer', '/promote'), repository: { fullName: 'someone/else', cloneUrls: [] } });
  await s.approvals.comment({ ...s.comment('writer', 'just talking') });
  assert.equal(s.host.calls.length, calls, 'no API call for either');
});

test('a token that may not read permissions or write comments: refused, logged, never thrown', async () => {
  const s = setup();
  s.host.failWith('permissionOf', new HostApiError(403, 'GET …/permission: HTTP 403'));
  await s.approvals.comment(s.comment('writer', '/promote'));
  assert.match(s.replies()[0] ?? '', /could not check the permission of @writer \(its API token lacks the right/);
  assert.deepEqual(s.acted, []);
  s.host.failWith('permissionOf', undefined);
  s.host.permissions.set('writer', 'write');
  s.host.failWith('createComment', new HostApiError(403, 'POST …/comments: HTTP 403'));
  s.host.failWith('react', new HostApiError(403, 'POST …/reactions: HTTP 403'));
  await s.approvals.comment(s.comment('writer', '/promote'));
  assert.deepEqual(s.acted, ['promote shop/web'], 'the command still acts when only the answer cannot be written');
});

test('an approving review promotes a Rollout waiting for a person; otherwise it is ordinary review', async () => {
  const s = setup();
  s.host.permissions.set('writer', 'write');
  s.host.permissions.set('reader', 'read');
  await s.approvals.review(s.review('writer', 'commented'));
  await s.approvals.review(s.review('reader'));
  assert.deepEqual(s.acted, []);
  assert.match(s.replies()[0] ?? '', /^@reader: thanks for the review, but it does not promote `shop\/web`: @reader has read access/);
  const approved = s.review('writer');
  await s.approvals.review(approved);
  await s.approvals.review(approved);
  assert.deepEqual(s.acted, ['promote shop/web'], 'once per delivery');
  assert.equal(s.replies()[1], "@writer approved this pull request while a Rollout was waiting for a person: rollout 'web' promoted (`shop/web`).");
  // At a timed pause (step 4) nobody is waited for: an approval does nothing and says nothing.
  s.live.set('shop/web', { ...paused, status: { ...paused.status, currentStepIndex: 3 } });
  const before = s.replies().length;
  await s.approvals.review(s.review('writer'));
  assert.deepEqual(s.acted, ['promote shop/web']);
  assert.equal(s.replies().length, before);
});
