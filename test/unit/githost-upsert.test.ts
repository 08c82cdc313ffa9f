// One comment per marker, edited in place: found by the marker on its first line (also after a
// restart), created once, edited only when the body changed, recreated when someone deleted it,
// one write in flight per comment with the newest body winning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCommentUpserter, carriesMarker } from '../../src/githost/comment-upserter.ts';
import { HostApiError, type GitHostClient, type HostComment } from '../../src/githost/host-client.ts';

/** An in-memory host that records calls and can hold writes until released. */
function memoryHost() {
  const comments: Array<HostComment & { pr: number }> = [];
  const calls: string[] = [];
  let nextId = 1;
  let gate: Promise<void> | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  const write = async <T>(what: string, fn: () => T): Promise<T> => {
    calls.push(what);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (gate) await gate;
      return fn();
    } finally {
      inFlight--;
    }
  };
  const fail = () => Promise.reject(new Error('not used'));
  const client: GitHostClient = {
    type: 'github',
    repository: 'acme/deploy',
    async listComments(pr) {
      calls.push(`list ${pr}`);
      return comments.filter((c) => c.pr === pr).map(({ id, body, user }) => ({ id, body, user }));
    },
    createComment: (pr, body) =>
      write(`create ${pr}`, () => {
        const c = { pr, id: String(nextId++), body, user: 'sluice-bot' };
        comments.push(c);
        return { id: c.id, body, user: c.user };
      }),
    updateComment: (pr, id, body) =>
      write(`update ${id}`, () => {
        const c = comments.find((x) => x.id === id);
        if (!c) throw new HostApiError(404, 'Not Found');
        c.body = body;
      }),
    pullRequestsForCommit: fail,
    setCommitStatus: fail,
    permissionOf: fail,
    react: fail,
    pullRequestHeadRef: (n) => `refs/pull/${n}/head`,
  };
  return {
    client,
    comments,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const M = '<!-- sluice:rollout shop/web -->';

test('created once, then edited in place; an unchanged body is not written', async () => {
  const host = memoryHost();
  const upserter = createCommentUpserter(host.client);
  assert.equal(await upserter.upsert(7, M, `${M}\nstep 1`), 'created');
  assert.equal(await upserter.upsert(7, M, `${M}\nstep 2`), 'updated');
  assert.equal(await upserter.upsert(7, M, `${M}\nstep 2`), 'unchanged');
  assert.equal(await upserter.upsert(7, '<!-- sluice:rollout shop/api -->', '<!-- sluice:rollout shop/api -->\nx'), 'created');
  assert.deepEqual(host.calls, ['list 7', 'create 7', 'update 1', 'list 7', 'create 7']);
  assert.deepEqual(host.comments.map((c) => c.body), [`${M}\nstep 2`, '<!-- sluice:rollout shop/api -->\nx']);
});

test('after a restart the comment is found by its marker, never by a quote of it', async () => {
  const host = memoryHost();
  await host.client.createComment(7, `> ${M}\n> quoting the bot`);
  await host.client.createComment(7, `${M}\nold body`);
  host.calls.length = 0;
  const upserter = createCommentUpserter(host.client);
  assert.equal(await upserter.upsert(7, M, `${M}\nnew body`), 'updated');
  assert.deepEqual(host.calls, ['list 7', 'update 2']);
  assert.equal(host.comments[0]?.body, `> ${M}\n> quoting the bot`);
  assert.equal(carriesMarker(`\n  ${M}\nx`, M), true);
  assert.equal(carriesMarker(`text ${M}`, M), false);
});

test('createIfMissing false only edits; a deleted comment is written anew', async () => {
  const host = memoryHost();
  const upserter = createCommentUpserter(host.client);
  assert.equal(await upserter.upsert(7, M, `${M}\na`, { createIfMissing: false }), 'missing');
  assert.equal(host.comments.length, 0);
  assert.equal(await upserter.upsert(7, M, `${M}\nb`), 'created');
  host.comments.length = 0; // someone deleted it on the host
  assert.equal(await upserter.upsert(7, M, `${M}\nc`), 'created');
  assert.deepEqual(host.comments.map((c) => c.body), [`${M}\nc`]);
});

test('one write in flight per comment; bodies arriving meanwhile collapse into the newest', async () => {
  const host = memoryHost();
  const upserter = createCommentUpserter(host.client);
  await upserter.upsert(7, M, `${M}\n0`);
  const release = host.hold();
  const first = upserter.upsert(7, M, `${M}\n1`);
  await new Promise((r) => setImmediate(r));
  const second = upserter.upsert(7, M, `${M}\n2`);
  const third = upserter.upsert(7, M, `${M}\n3`);
  release();
  assert.deepEqual(await Promise.all([first, second, third]), ['updated', 'superseded', 'updated']);
  assert.equal(host.maxInFlight, 1);
  assert.deepEqual(host.calls.filter((c) => c.startsWith('update')), ['update 1', 'update 1']);
  assert.equal(host.comments[0]?.body, `${M}\n3`);
});

test('a failed write rejects its caller and the next write tries again', async () => {
  const host = memoryHost();
  const upserter = createCommentUpserter(host.client);
  const original = host.client.createComment;
  host.client.createComment = () => Promise.reject(new HostApiError(403, 'Resource not accessible by personal access token'));
  await assert.rejects(upserter.upsert(7, M, `${M}\na`), (err: unknown) => err instanceof HostApiError && err.status === 403);
  host.client.createComment = original;
  assert.equal(await upserter.upsert(7, M, `${M}\na`), 'created');
});
