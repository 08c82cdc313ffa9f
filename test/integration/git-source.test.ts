// The isomorphic-git source against a real smart-HTTP server: every ref kind, a poll that costs
// one request when nothing moved, incremental shallow fetches, files read from the object store,
// symlinks, a later commit read after an earlier one, a cache that survives restarts, the cache's
// fs client, and a server that goes away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../testbed/git-server.ts';
import { cloneWorkdir, type Workdir } from '../helpers/git-repo.ts';
import git from 'isomorphic-git';
import { createIsomorphicGitSource } from '../../src/git/isomorphic-git-source.ts';
import { gitCacheFs } from '../../src/git/git-cache-fs.ts';
import { GitUnavailableError } from '../../src/ports/git-source.ts';
import type { RefSpec } from '../../src/config/config-types.ts';

let server: GitServer;
let work: Workdir;
let cacheRoot: string;
let first: string;

before(async () => {
  server = await startGitServer();
  await server.createRepo('apps');
  work = await cloneWorkdir(server, 'apps');
  await work.write('deploy/a.yaml', 'kind: A\n');
  await work.write('deploy/b.yml', 'kind: B\n');
  await work.write('deploy/notes.txt', 'not a manifest\n');
  await work.write('deploy/nested/c.yaml', 'kind: C\n');
  await work.write('other/d.yaml', 'kind: D\n');
  symlinkSync('../other/d.yaml', join(work.dir, 'deploy/linked.yaml'));
  symlinkSync('../../../etc/passwd.yaml', join(work.dir, 'deploy/escape.yaml'));
  first = await work.commit('first');
  await work.push();
  await work.tag('v1.0.0', 'release 1.0.0');
  await work.tag('v1.2.0');
  await work.write('deploy/a.yaml', 'kind: A2\n');
  await work.commit('second');
  await work.push();
  await work.tag('v2.0.0');
  cacheRoot = mkdtempSync(join(tmpdir(), 'sluice-gitcache-'));
});

after(async () => {
  await work?.cleanup();
  await server?.close();
  rmSync(cacheRoot, { recursive: true, force: true });
});

const source = (ref: RefSpec, extra: { cacheDir?: string; password?: string; name?: string } = {}) =>
  createIsomorphicGitSource({
    name: extra.name ?? 'apps',
    url: server.repoUrl('apps'),
    ref,
    auth: { username: server.credentials.username, password: extra.password ?? server.credentials.password },
    cacheDir: extra.cacheDir ?? mkdtempSync(join(cacheRoot, 'c-')),
  });

const text = (c: Uint8Array) => Buffer.from(c).toString('utf8');

test('branch: resolve, fetch once, read only manifests under the paths; symlinks inside followed, outside refused', async () => {
  const src = source({ branch: 'main' });
  const rev = await src.resolve();
  assert.equal(rev.sha, await work.head());
  assert.equal(rev.ref, 'refs/heads/main');
  assert.deepEqual(await src.ensureCommit(rev), { fetched: true });
  const { files, errors } = await src.readFiles(rev.sha, ['deploy']);
  assert.deepEqual(files.map((f) => f.path), ['deploy/a.yaml', 'deploy/b.yml', 'deploy/linked.yaml', 'deploy/nested/c.yaml']);
  assert.equal(text(files[0]!.content), 'kind: A2\n');
  assert.equal(text(files[2]!.content), 'kind: D\n');
  assert.deepEqual(errors, [{ file: 'deploy/escape.yaml', message: 'symlink to ../../../etc/passwd.yaml leaves the repository; refused' }]);
  const more = await src.readFiles(rev.sha, ['./other/', 'deploy/nested/c.yaml', 'missing', '../up']);
  assert.deepEqual(more.files.map((f) => f.path), ['deploy/nested/c.yaml', 'other/d.yaml']);
  assert.deepEqual(more.errors, [
    { file: 'missing', message: `path does not exist at commit ${rev.sha.slice(0, 7)}` },
    { file: '../up', message: 'path leaves the repository; refused' },
  ]);
});

test('an idle poll is one request with no pack bytes; a new commit is fetched incrementally', async () => {
  const src = source({ branch: 'main' });
  await src.ensureCommit(await src.resolve());
  server.resetStats();
  const rev = await src.resolve();
  assert.deepEqual(await src.ensureCommit(rev), { fetched: false });
  assert.equal(server.stats.totals.requests, 1, 'one refs request, nothing else');
  assert.equal(server.stats.totals.packBytesOut, 0);
  await work.write('deploy/b.yml', 'kind: B2\n');
  const sha = await work.commit('third');
  await work.push();
  server.resetStats();
  const moved = await src.resolve();
  assert.equal(moved.sha, sha);
  assert.deepEqual(await src.ensureCommit(moved), { fetched: true });
  assert.equal(server.stats.totals.uploadPack, 1);
  // The fetch reuses the ref advertisement resolve() just read: two requests in all.
  assert.equal(server.stats.totals.infoRefs, 1, 'one refs request');
  assert.equal(server.stats.totals.requests, 2, 'refs, then the pack');
  assert.ok(server.stats.totals.packBytesOut < 4096, `incremental fetch sent ${server.stats.totals.packBytesOut} bytes`);
  const { files } = await src.readFiles(sha, ['deploy/b.yml']);
  assert.equal(text(files[0]!.content), 'kind: B2\n');
  // Every later one-commit fetch stays incremental too (the cache's tracking ref gives the haves).
  for (let i = 0; i < 3; i++) {
    await work.write('deploy/b.yml', `kind: B${i + 3}\n`);
    await work.commit(`more ${i}`);
    await work.push();
    server.resetStats();
    assert.deepEqual(await src.ensureCommit(await src.resolve()), { fetched: true });
    assert.ok(server.stats.totals.packBytesOut < 4096, `fetch ${i + 2} sent ${server.stats.totals.packBytesOut} bytes`);
    assert.equal(server.stats.totals.requests, 2, `fetch ${i + 2}: refs, then the pack`);
  }
});

test("a fetched pack is indexed by Sluice as git would, and isomorphic-git's fetch still records the shallow boundary and the tracking ref", async () => {
  // git-cache-fs ends isomorphic-git's fetch once the pack and its .idx are written, which relies on
  // the fetch writing the shallow file and the refs before the pack: this pins that order.
  const cacheDir = mkdtempSync(join(cacheRoot, 'c-'));
  const src = source({ branch: 'main' }, { cacheDir });
  const rev = await src.resolve();
  assert.deepEqual(await src.ensureCommit(rev), { fetched: true });
  const [gitdir] = readdirSync(cacheDir).map((d) => join(cacheDir, d));
  const packs = readdirSync(join(gitdir!, 'objects/pack')).sort();
  assert.equal(packs.length, 2, packs.join(', '));
  const packPath = join(gitdir!, 'objects/pack', packs.find((p) => p.endsWith('.pack'))!);
  execFileSync('git', ['index-pack', '-o', join(cacheDir, 'native.idx'), packPath]);
  assert.deepEqual(readFileSync(packPath.replace(/\.pack$/, '.idx')), readFileSync(join(cacheDir, 'native.idx')));
  assert.equal(readFileSync(join(gitdir!, 'shallow'), 'utf8').trim(), rev.sha);
  assert.equal(await git.resolveRef({ fs: gitCacheFs(gitdir!), gitdir: gitdir!, ref: 'refs/remotes/origin/main' }), rev.sha);
  // And native git reads the cache as a repository.
  assert.match(execFileSync('git', ['--git-dir', gitdir!, 'cat-file', '-t', rev.sha]).toString(), /commit/);
});

test('a cache with maxPacks packs starts afresh with one shallow clone, and reads on', async () => {
  const cacheDir = mkdtempSync(join(cacheRoot, 'c-'));
  const src = createIsomorphicGitSource({ name: 'apps', url: server.repoUrl('apps'), ref: { branch: 'main' }, auth: server.credentials, cacheDir, maxPacks: 3 });
  const packs = () => readdirSync(join(cacheDir, readdirSync(cacheDir)[0]!, 'objects/pack')).filter((n) => n.endsWith('.pack')).length;
  await src.ensureCommit(await src.resolve());
  const counts = [packs()];
  for (let i = 0; i < 3; i++) {
    await work.write('deploy/b.yml', `kind: Packs${i}\n`);
    await work.commit(`packs ${i}`);
    await work.push();
    const rev = await src.resolve();
    assert.deepEqual(await src.ensureCommit(rev), { fetched: true });
    counts.push(packs());
    const { files } = await src.readFiles(rev.sha, ['deploy/b.yml']);
    assert.equal(text(files[0]!.content), `kind: Packs${i}\n`);
  }
  // 1, 2, 3 packs; at 3 the next fetch starts the cache afresh: one pack again.
  assert.deepEqual(counts, [1, 2, 3, 1]);
});

test('tags (annotated and lightweight), semver ranges over tags, pinned commits, the remote HEAD', async () => {
  const annotated = source({ tag: 'v1.0.0' });
  const rev = await annotated.resolve();
  assert.equal(rev.sha, first, 'annotated tags resolve to their commit');
  await annotated.ensureCommit(rev);
  assert.equal(text((await annotated.readFiles(rev.sha, ['deploy/a.yaml'])).files[0]!.content), 'kind: A\n');
  assert.deepEqual(await source({ semver: '>=1.0.0 <2' }).resolve(), { sha: first, ref: 'refs/tags/v1.2.0' });
  assert.equal((await source({ semver: '^2' }).resolve()).ref, 'refs/tags/v2.0.0');
  await assert.rejects(source({ semver: '^3' }).resolve(), /no tag matches the semver range "\^3"/);
  await assert.rejects(source({ tag: 'v9' }).resolve(), /tag "v9" does not exist on the remote/);
  await assert.rejects(source({ branch: 'nope' }).resolve(), /branch "nope" does not exist on the remote/);
  const pinned = source({ commit: first });
  const pin = await pinned.resolve();
  assert.equal(pin.sha, first);
  assert.deepEqual(await pinned.ensureCommit(pin), { fetched: true });
  assert.equal(text((await pinned.readFiles(first, ['deploy/a.yaml'])).files[0]!.content), 'kind: A\n');
  const head = source({ head: true });
  assert.equal((await head.resolve()).sha, await work.head());
});

test('the on-disk cache survives a restart: a new source on the same cache fetches nothing', async () => {
  const cacheDir = mkdtempSync(join(cacheRoot, 'restart-'));
  const a = source({ branch: 'main' }, { cacheDir });
  const rev = await a.resolve();
  await a.ensureCommit(rev);
  const b = source({ branch: 'main' }, { cacheDir });
  assert.deepEqual(await b.ensureCommit(await b.resolve()), { fetched: false });
  assert.equal((await b.readFiles(rev.sha, ['deploy'])).files.length, 4);
});

test('a later commit read by the same source: changed, added, removed and unchanged files, then the older commit again', async () => {
  const src = source({ branch: 'main' });
  const rev1 = await src.resolve();
  await src.ensureCommit(rev1);
  const snapshot = async (sha: string) => {
    const { files, errors } = await src.readFiles(sha, ['deploy', 'other']);
    return { files: Object.fromEntries(files.map((f) => [f.path, text(f.content)])), errors };
  };
  const before = await snapshot(rev1.sha);
  await work.write('deploy/a.yaml', 'kind: A-changed\n');
  await work.write('deploy/nested/e.yaml', 'kind: E\n');
  await work.remove('other/d.yaml');
  await work.commit('change, add, remove');
  await work.push();
  const rev2 = await src.resolve();
  await src.ensureCommit(rev2);
  const after = await snapshot(rev2.sha);
  assert.deepEqual(after.files, {
    'deploy/a.yaml': 'kind: A-changed\n',
    'deploy/b.yml': before.files['deploy/b.yml'],
    'deploy/nested/c.yaml': 'kind: C\n',
    'deploy/nested/e.yaml': 'kind: E\n',
  });
  assert.deepEqual(after.errors, [
    { file: 'deploy/escape.yaml', message: 'symlink to ../../../etc/passwd.yaml leaves the repository; refused' },
    { file: 'deploy/linked.yaml', message: 'symlink to ../other/d.yaml points at nothing' },
    { file: 'other', message: `path does not exist at commit ${rev2.sha.slice(0, 7)}` },
  ]);
  assert.deepEqual(await snapshot(rev1.sha), before, 'the older commit reads as before');
  // Put the tree back for the tests after this one.
  await work.write('deploy/a.yaml', 'kind: A2\n');
  await work.remove('deploy/nested/e.yaml');
  await work.write('other/d.yaml', 'kind: D\n');
  await work.commit('restore');
  await work.push();
});

test("the cache's fs client finds loose objects written through it, also in a new fan-out directory", async () => {
  const gitdir = mkdtempSync(join(cacheRoot, 'loose-'));
  await git.init({ fs: gitCacheFs(gitdir), gitdir, bare: true });
  const fsClient = gitCacheFs(gitdir);
  const oid = await git.hashBlob({ object: 'kind: Loose\n' }).then((r) => r.oid);
  await assert.rejects(git.readBlob({ fs: fsClient, gitdir, oid }), /Could not find/);
  await git.writeBlob({ fs: fsClient, gitdir, blob: Buffer.from('kind: Loose\n') });
  assert.equal(text((await git.readBlob({ fs: fsClient, gitdir, oid })).blob), 'kind: Loose\n');
  assert.equal(text((await git.readBlob({ fs: gitCacheFs(gitdir), gitdir, oid })).blob), 'kind: Loose\n', 'a fresh client lists objects/ anew');
});

test('a server that is down or refuses the credentials gives GitUnavailableError', async () => {
  await assert.rejects(source({ branch: 'main' }, { password: 'wrong' }).resolve(), (e: unknown) => e instanceof GitUnavailableError && /HTTP 401.*check the repository credentials/.test((e as Error).message));
  await server.stop();
  try {
    await assert.rejects(source({ branch: 'main' }).resolve(), (e: unknown) => e instanceof GitUnavailableError && /cannot list refs of .*(ECONNREFUSED|ECONNRESET)/.test((e as Error).message));
  } finally {
    await server.start();
  }
  assert.equal((await source({ branch: 'main' }).resolve()).sha, await work.head());
});
