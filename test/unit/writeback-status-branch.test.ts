// The status branch against a real Git smart-HTTP server (git-http-backend, basic auth), with
// native git as the other writer: orphan creation, commits built in memory on the tip, unchanged
// content writing nothing, foreign pushes before and during ours re-applied, and 20 concurrent
// status changes with a foreign push in between all landing, in one Sluice commit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { startGitServer, type GitServer } from '../testbed/git-server.ts';
import { cloneWorkdir, runGit, seedRepo } from '../helpers/git-repo.ts';
import { createStatusBranch, type StatusBranchOptions } from '../../src/writeback/status-branch.ts';
import { createStatusWriter } from '../../src/writeback/status-writer.ts';
import { sameStatus } from '../../src/writeback/status-document.ts';

const BRANCH = 'sluice-status';
let server: GitServer;
let cache: string;
let repoCount = 0;

before(async () => {
  server = await startGitServer();
  cache = await mkdtemp(join(tmpdir(), 'sluice-wb-cache-'));
});
after(async () => {
  await server.close();
  await rm(cache, { recursive: true, force: true });
});

/** A repository with a deploy commit on main; resolves to its name, bare directory and main's sha. */
async function deployRepo() {
  const name = `apps-${++repoCount}`;
  const main = await seedRepo(server, name, { 'deploy/web.yaml': 'kind: ConfigMap\n' }, 'deploy');
  return { name, dir: join(server.root, `${name}.git`), main };
}

function branchFor(name: string, over: Partial<StatusBranchOptions> = {}) {
  return createStatusBranch({
    url: server.repoUrl(name),
    branch: BRANCH,
    auth: server.credentials,
    gitdir: join(cache, `${name}-${Math.random().toString(36).slice(2)}.git`),
    author: { name: 'Sluice', email: 'sluice@localhost' },
    ...over,
  });
}

// What the server holds, read with native git from the bare repository.
const git = (dir: string, ...args: string[]) => runGit(dir, args);
const files = async (dir: string, ref = BRANCH) => (await git(dir, 'ls-tree', '-r', '--name-only', ref)).split('\n').filter(Boolean);
const show = (dir: string, path: string) => git(dir, 'show', `${BRANCH}:${path}`);
const log = async (dir: string) => (await git(dir, 'log', '--format=%an|%P|%s', BRANCH)).split('\n');

/** Someone else pushes to the status branch with native git. */
async function foreignPush(name: string, path: string, content: string) {
  const work = await cloneWorkdir(server, name);
  try {
    await work.git('fetch', '--quiet', 'origin', BRANCH);
    await work.git('checkout', '--quiet', '-B', BRANCH, `origin/${BRANCH}`);
    await work.write(path, content);
    await work.commit(`foreign: ${path}`);
    await work.push(BRANCH);
  } finally {
    await work.cleanup();
  }
}

const quiet = pino({ level: 'silent' });
// A window no test waits for: the tests flush by hand, so no timer-started flush races theirs.
const MANUAL = 600_000;

test('creates the status branch as an orphan, then commits only what changed on its tip', async () => {
  const repo = await deployRepo();
  const branch = branchFor(repo.name);
  const first = await branch.commitFiles(new Map([['status/shop/web.yaml', 'phase: Paused\n'], ['status/shop/api.yaml', 'phase: Healthy\n']]));
  assert.equal(first.kind, 'pushed');
  assert.ok(first.kind === 'pushed' && first.created);
  assert.deepEqual(await files(repo.dir), ['status/shop/api.yaml', 'status/shop/web.yaml']);
  const [root] = await log(repo.dir);
  assert.match(root ?? '', /^Sluice\|\|/, 'authored by Sluice, no parent');
  assert.equal(await git(repo.dir, 'rev-parse', 'main'), repo.main, 'the deploy branch is untouched');
  assert.deepEqual(await files(repo.dir, 'main'), ['deploy/web.yaml']);

  server.resetStats();
  const same = await branch.commitFiles(new Map([['status/shop/web.yaml', 'phase: Paused\n'], ['status/other/gone.yaml', null]]));
  assert.deepEqual(same, { kind: 'unchanged' });
  assert.equal(server.stats.totals.requests, 0, 'the known tip is read from the cache: no request');

  const next = await branch.commitFiles(new Map([['status/shop/web.yaml', 'phase: Healthy\n'], ['status/shop/api.yaml', null]]));
  assert.ok(next.kind === 'pushed');
  assert.deepEqual(next.changed, ['status/shop/api.yaml', 'status/shop/web.yaml']);
  assert.deepEqual(await files(repo.dir), ['status/shop/web.yaml']);
  assert.equal(await show(repo.dir, 'status/shop/web.yaml'), 'phase: Healthy');
  assert.equal((await log(repo.dir)).length, 2);
  assert.equal(await git(repo.dir, 'rev-parse', `${BRANCH}^`), first.kind === 'pushed' ? first.commit : '', 'built on the previous tip');
  assert.equal(server.stats.totals.receivePack, 1, 'one push');
  assert.equal(server.stats.totals.uploadPack, 0, 'no fetch while Sluice is the only writer');

  // Removing the last file leaves an empty tree, not a missing directory error.
  await branch.commitFiles(new Map([['status/shop/web.yaml', null]]));
  assert.deepEqual(await files(repo.dir), []);
});

test('a cache that knows nothing builds on the branch as it is on the server', async () => {
  const repo = await deployRepo();
  await branchFor(repo.name).commitFiles(new Map([['status/a/one.yaml', '1\n']]));
  const fresh = branchFor(repo.name);
  const r = await fresh.commitFiles(new Map([['status/b/two.yaml', '2\n']]));
  assert.ok(r.kind === 'pushed' && !r.created);
  assert.deepEqual(await files(repo.dir), ['status/a/one.yaml', 'status/b/two.yaml']);
});

test('a push rejected because someone else pushed first is fetched, re-applied on their commit and pushed', async () => {
  const repo = await deployRepo();
  const branch = branchFor(repo.name);
  await branch.commitFiles(new Map([['status/shop/web.yaml', 'phase: Progressing\n']]));
  await foreignPush(repo.name, 'status/shop/web.yaml', 'edited by hand\n');
  await foreignPush(repo.name, 'NOTES.md', 'kept\n');

  const writer = createStatusWriter({ repo: repo.name, branch, batchWindowMs: MANUAL, maxPushAttempts: 3, log: quiet });
  writer.set('status/shop/web.yaml', 'phase: Paused\n');
  const result = await writer.flush();
  assert.equal(result.outcome, 'pushed');
  assert.equal(result.outcome === 'pushed' && result.attempts, 2, 'rejected once, then re-applied');
  assert.deepEqual(await files(repo.dir), ['NOTES.md', 'status/shop/web.yaml']);
  assert.equal(await show(repo.dir, 'status/shop/web.yaml'), 'phase: Paused', 'our change on top of theirs');
  assert.deepEqual((await log(repo.dir)).map((l) => l.split('|')[2]), ['Update 1 status file(s)', 'foreign: NOTES.md', 'foreign: status/shop/web.yaml', 'Update 1 status file(s)']);
});

test('a push the server refuses because the branch moved while it was on the wire is retried', async () => {
  const repo = await deployRepo();
  await branchFor(repo.name).commitFiles(new Map([['status/shop/a.yaml', 'a\n']]));
  // The other writer pushes between our ref discovery and our pack upload.
  let raced = 0;
  const racing: HttpClient = {
    async request(req) {
      if (req.method === 'POST' && req.url.endsWith('/git-receive-pack') && raced++ === 0) await foreignPush(repo.name, 'status/shop/theirs.yaml', 'theirs\n');
      return nodeHttp.request(req);
    },
  };
  const branch = branchFor(repo.name, { http: racing });
  const writer = createStatusWriter({ repo: repo.name, branch, batchWindowMs: MANUAL, maxPushAttempts: 3, log: quiet });
  writer.set('status/shop/b.yaml', 'b\n');
  server.resetStats();
  const result = await writer.flush();
  assert.equal(result.outcome, 'pushed');
  assert.equal(result.outcome === 'pushed' && result.attempts, 2);
  const uploads = server.stats.requests.filter((r) => r.service === 'receive-pack' && r.path.includes(`/${repo.name}.git/`));
  assert.equal(uploads.length, 3, 'both our packs reached the server (the first one refused there), and the foreign one');
  assert.deepEqual(await files(repo.dir), ['status/shop/a.yaml', 'status/shop/b.yaml', 'status/shop/theirs.yaml']);
});

test('20 concurrent status writes with a foreign push in between: all 20 land, in one Sluice commit', async () => {
  const repo = await deployRepo();
  const branch = branchFor(repo.name);
  await branch.commitFiles(new Map([['status/shop/seed.yaml', 'seed\n']]));
  const writer = createStatusWriter({ repo: repo.name, branch, batchWindowMs: MANUAL, maxPushAttempts: 5, log: quiet, same: sameStatus });
  const status = (i: number, day: string) => `rollout: web-${i}\nphase: Paused\nupdatedAt: 2025-01-${day}T00:00:00Z\n`;
  const writeAll = (from: number, to: number, day: string) =>
    Promise.all(
      Array.from({ length: to - from }, async (_, k) => {
        await new Promise((r) => setTimeout(r, (k * 7) % 30));
        writer.set(`status/shop/web-${from + k}.yaml`, status(from + k, day));
      }),
    );
  await writeAll(0, 10, '01');
  await foreignPush(repo.name, 'status/ops/manual.yaml', 'manual\n');
  await writeAll(10, 20, '01');
  const result = await writer.flush();
  assert.equal(result.outcome, 'pushed');
  assert.equal(result.outcome === 'pushed' && result.attempts, 2, 'the foreign push made the first attempt stale');
  const names = await files(repo.dir);
  for (let i = 0; i < 20; i++) assert.ok(names.includes(`status/shop/web-${i}.yaml`), `web-${i} is on the branch`);
  assert.ok(names.includes('status/ops/manual.yaml') && names.includes('status/shop/seed.yaml'));
  const sluiceCommits = (await log(repo.dir)).filter((l) => l.startsWith('Sluice|'));
  assert.equal(sluiceCommits.length, 2, 'the seed commit and one commit for all 20');
  assert.deepEqual(writer.pending, []);

  // The same statuses again, only later: nothing to commit.
  await writeAll(0, 20, '02');
  assert.equal((await writer.flush()).outcome, 'unchanged');
  await writer.stop();
});

test('refuses to write when the sync follows the remote HEAD and HEAD is the status branch', async () => {
  const name = `apps-${++repoCount}`;
  await server.createRepo(name, { defaultBranch: BRANCH });
  const work = await cloneWorkdir(server, name);
  await work.write('status/x.yaml', 'x\n');
  await work.commit('x');
  await work.push();
  await work.cleanup();
  const branch = branchFor(name, { refuseIfRemoteHead: true });
  await assert.rejects(branch.commitFiles(new Map([['status/y.yaml', 'y\n']])), /the remote's HEAD is refs\/heads\/sluice-status, the branch Sluice syncs from/);
  assert.deepEqual(await files(join(server.root, `${name}.git`)), ['status/x.yaml']);
});

test('a server that is down fails the attempt; the files stay pending and land once it is back', async () => {
  const repo = await deployRepo();
  const branch = branchFor(repo.name);
  await branch.commitFiles(new Map([['status/a.yaml', 'a\n']]));
  const writer = createStatusWriter({ repo: repo.name, branch, batchWindowMs: MANUAL, maxPushAttempts: 5, log: quiet, retryDelayMs: MANUAL });
  await server.stop();
  writer.set('status/b.yaml', 'b\n');
  const down = await writer.flush();
  assert.equal(down.outcome, 'failed');
  assert.equal(down.outcome === 'failed' && down.attempts, 1, 'a network error is not retried at once');
  assert.deepEqual(writer.pending, ['status/b.yaml']);
  await server.start();
  assert.equal((await writer.flush()).outcome, 'pushed');
  assert.deepEqual(await files(repo.dir), ['status/a.yaml', 'status/b.yaml']);
  await writer.stop();
});
