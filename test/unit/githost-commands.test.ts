// Pull-request commands: what is a command, what is a bad one (answered with the usage, never
// acted on), and who may act.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseComment, commandLabel } from '../../src/githost/pr-commands.ts';
import { authorize, decide } from '../../src/githost/authorize.ts';
import { HostApiError, type GitHostClient, type Permission } from '../../src/githost/host-client.ts';

test('commands: the verb alone, --full, a Rollout by name or namespace/name, anywhere in the comment', () => {
  assert.deepEqual(parseComment('/promote'), { kind: 'command', command: { verb: 'promote', full: false } });
  assert.deepEqual(parseComment('/promote --full'), { kind: 'command', command: { verb: 'promote', full: true } });
  assert.deepEqual(parseComment('  /promote   web  '), { kind: 'command', command: { verb: 'promote', full: false, target: { name: 'web' } } });
  assert.deepEqual(parseComment('/promote shop/web --full'), { kind: 'command', command: { verb: 'promote', full: true, target: { namespace: 'shop', name: 'web' } } });
  assert.deepEqual(parseComment('/abort'), { kind: 'command', command: { verb: 'abort', full: false } });
  assert.deepEqual(parseComment('Looks good to me.\r\n\r\n/retry api-v2\r\nthanks'), { kind: 'command', command: { verb: 'retry', full: false, target: { name: 'api-v2' } } });
  assert.equal(commandLabel({ verb: 'promote', full: true }), '/promote --full');
  assert.equal(commandLabel({ verb: 'abort', full: false }), '/abort');
});

test('not commands: prose, quotes, code blocks, other bots\' commands, a verb inside a word', () => {
  for (const body of [
    'please promote this',
    'we should /promote later',
    '> /promote',
    '```\n/promote\n```',
    '~~~\n/abort\n~~~',
    '/promoted',
    '/lgtm',
    '/approve',
    '- `/promote` — go on to the next step',
    '',
  ]) {
    assert.deepEqual(parseComment(body), { kind: 'none' }, body);
  }
});

test('bad arguments are errors that name the problem', () => {
  const invalid = (body: string) => {
    const parsed = parseComment(body);
    assert.equal(parsed.kind, 'invalid', body);
    return parsed.kind === 'invalid' ? parsed : undefined;
  };
  assert.match(invalid('/promote --fulll')?.error ?? '', /unknown option `--fulll`/);
  assert.match(invalid('/promote -f')?.error ?? '', /unknown option `-f`/);
  assert.match(invalid('/abort --full')?.error ?? '', /`\/abort` takes no `--full`/);
  assert.match(invalid('/promote web api')?.error ?? '', /one Rollout at a time/);
  assert.match(invalid('/promote Web_1')?.error ?? '', /`Web_1` is not a Rollout name/);
  assert.match(invalid('/promote a/b/c')?.error ?? '', /not a Rollout name/);
  assert.match(invalid('/promote\n/abort')?.error ?? '', /one command per comment/);
  assert.equal(invalid('/retry --now')?.verb, 'retry');
});

function permissionClient(answer: Permission | Error): GitHostClient & { asked: string[] } {
  const asked: string[] = [];
  const fail = () => Promise.reject(new Error('not used'));
  return {
    type: 'github',
    repository: 'acme/deploy',
    asked,
    async permissionOf(user) {
      asked.push(user);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    pullRequestsForCommit: fail,
    listComments: fail,
    createComment: fail,
    updateComment: fail,
    setCommitStatus: fail,
    react: fail,
    pullRequestHeadRef: (n) => `refs/pull/${n}/head`,
  };
}

test('who may act: approvers (without asking the host), write access; everyone else is told why', async () => {
  assert.deepEqual(decide('Alice', 'acme/deploy', ['@alice'], undefined), { allowed: true, via: 'approvers' });
  assert.deepEqual(decide('bob', 'acme/deploy', [], 'write'), { allowed: true, via: 'permission' });
  const read = decide('carol', 'acme/deploy', ['alice'], 'read');
  assert.equal(read.allowed, false);
  assert.match(read.allowed ? '' : read.reason, /^@carol has read access to acme\/deploy; only people with write access .* or listed as approvers/);
  const none = decide('mallory', 'acme/deploy', [], 'none');
  assert.match(none.allowed ? '' : none.reason, /^@mallory is not a collaborator with write access to acme\/deploy/);

  const approverClient = permissionClient('none');
  assert.deepEqual(await authorize('alice', ['alice'], approverClient), { allowed: true, via: 'approvers' });
  assert.deepEqual(approverClient.asked, [], 'an approver needs no API call');
  assert.deepEqual(await authorize('bob', ['alice'], permissionClient('write')), { allowed: true, via: 'permission' });
  const refused = await authorize('bob', [], permissionClient('read'));
  assert.equal(refused.allowed, false);
});

test('a token without rights to read permissions refuses (nothing acts) and says so', async () => {
  const forbidden = await authorize('bob', [], permissionClient(new HostApiError(403, 'GET …/permission: HTTP 403')));
  assert.equal(forbidden.allowed, false);
  assert.match(forbidden.allowed ? '' : forbidden.reason, /could not check the permission of @bob \(its API token lacks the right to read collaborator permissions\), so nothing was done/);
  assert.ok(!forbidden.allowed && forbidden.error instanceof HostApiError);
  const down = await authorize('bob', [], permissionClient(new HostApiError(0, 'timed out')));
  assert.match(down.allowed ? '' : down.reason, /the host API did not answer/);
});
