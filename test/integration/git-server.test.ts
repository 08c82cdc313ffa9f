// The test Git server against both clients that matter: isomorphic-git (what Sluice uses) and
// native git (what the test helpers author content with). No Kubernetes needed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { startGitServer, type GitServer } from '../testbed/git-server.ts';
import { cloneWorkdir, runGit, seedRepo } from '../helpers/git-repo.ts';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-git-test-'));
  tempDirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; data?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail('expected a rejection');
}

describe('test git server (git-http-backend behind basic auth)', () => {
  let server: GitServer;
  let onAuth: () => { username: string; password: string };

  before(async () => {
    server = await startGitServer();
    onAuth = () => server.credentials;
  });
  after(async () => {
    await server.close();
    assert.equal(fs.existsSync(server.root), false, 'close() removes the temp root it created');
  });

  it('serves a shallow clone, an incremental relative fetch, and refs in one request', async () => {
    const first = await seedRepo(server, 'app', { 'deploy/app.yaml': 'replicas: 1\n', 'README.md': 'hi\n' });
    const url = server.repoUrl('app');
    const dir = await tempDir();

    await git.clone({ fs, http, dir, url, depth: 1, singleBranch: true, onAuth });
    assert.equal(await readFile(join(dir, 'deploy/app.yaml'), 'utf8'), 'replicas: 1\n');
    assert.equal(await git.resolveRef({ fs, dir, ref: 'HEAD' }), first);
    assert.ok(fs.existsSync(join(dir, '.git/shallow')), 'clone is shallow');

    // A second, independent client moves the branch.
    const work = await cloneWorkdir(server, 'app');
    await work.write('deploy/app.yaml', 'replicas: 3\n');
    const second = await work.commit('scale up');
    await work.push();
    await work.cleanup();

    server.resetStats();
    const fetched = await git.fetch({ fs, http, dir, url, depth: 1, relative: true, singleBranch: true, ref: 'main', onAuth });
    assert.equal(fetched.fetchHead, second);
    assert.equal(await git.resolveRef({ fs, dir, ref: 'refs/remotes/origin/main' }), second);
    const { blob } = await git.readBlob({ fs, dir, oid: second, filepath: 'deploy/app.yaml' });
    assert.equal(Buffer.from(blob).toString('utf8'), 'replicas: 3\n');
    // onAuth costs one 401 round trip, then the credentials are reused for the pack request.
    assert.deepEqual(server.stats.requests.map((r) => [r.service, r.status]), [
      ['info-refs', 401],
      ['info-refs', 200],
      ['upload-pack', 200],
    ]);

    // An idle poll: credentials sent up front and protocol v1 give the refs in exactly one request.
    const headers = { authorization: `Basic ${Buffer.from(`${server.credentials.username}:${server.credentials.password}`).toString('base64')}` };
    server.resetStats();
    const refs = await git.listServerRefs({ http, url, headers, protocolVersion: 1, prefix: 'refs/heads/' });
    assert.deepEqual(refs, [{ ref: 'refs/heads/main', oid: second }]);
    assert.equal(server.stats.totals.requests, 1);
    assert.equal(server.stats.totals.infoRefs, 1);
    assert.equal(server.stats.totals.packBytesOut, 0);

    server.resetStats();
    const info = await git.getRemoteInfo2({ http, url, headers, protocolVersion: 1 });
    assert.equal(info.refs?.find((r) => r.ref === 'refs/heads/main')?.oid, second);
    assert.equal(server.stats.totals.requests, 1);

    // The server honours Git-Protocol like a real host: v2 advertises capabilities, not refs.
    const v2 = await git.getRemoteInfo2({ http, url, headers });
    assert.equal(v2.protocolVersion, 2);
    assert.equal(v2.refs, undefined);
    assert.equal(server.stats.requests.at(-1)?.gitProtocol, 'version=2');
  });

  it('accepts an isomorphic-git push that native git then sees', async () => {
    await seedRepo(server, 'pushed', { 'a.txt': 'one\n' });
    const url = server.repoUrl('pushed');
    const dir = await tempDir();
    await git.clone({ fs, http, dir, url, depth: 1, singleBranch: true, onAuth });

    await writeFile(join(dir, 'b.txt'), 'two\n');
    await git.add({ fs, dir, filepath: 'b.txt' });
    const sha = await git.commit({ fs, dir, message: 'from isomorphic-git', author: { name: 'Sluice', email: 'sluice@sluice.invalid' } });
    server.resetStats();
    const result = await git.push({ fs, http, dir, url, ref: 'main', onAuth });
    assert.equal(result.ok, true);
    const push = server.stats.requests.find((r) => r.service === 'receive-pack');
    assert.equal(push?.user, server.credentials.username);
    assert.ok(server.stats.totals.packBytesIn > 0);

    const work = await cloneWorkdir(server, 'pushed');
    assert.equal(await work.head(), sha);
    assert.equal(await readFile(join(work.dir, 'b.txt'), 'utf8'), 'two\n');
    await work.cleanup();
  });

  it('rejects wrong or missing credentials with 401 and a Basic challenge', async () => {
    await seedRepo(server, 'private', { 'x.txt': 'x\n' });
    const url = server.repoUrl('private');

    const wrong = await rejection(git.listServerRefs({ http, url, onAuth: () => ({ username: 'sluice', password: 'nope' }) }));
    assert.equal(wrong.code, 'HttpError');
    assert.equal(wrong.data?.statusCode, 401);

    const none = await rejection(git.getRemoteInfo2({ http, url }));
    assert.equal(none.code, 'HttpError');
    assert.equal(none.data?.statusCode, 401);

    const unknownUser = await rejection(git.getRemoteInfo2({ http, url: server.repoUrl('private').replace('http://', 'http://mallory:sluice-password@') }));
    assert.equal(unknownUser.data?.statusCode, 401);

    const res = await fetch(`${url}/info/refs?service=git-upload-pack`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="sluice-test"');
    await res.body?.cancel();

    // Native git fails fast instead of prompting.
    await assert.rejects(runGit(await tempDir(), ['ls-remote', url]), /Authentication failed|could not read Username/);
  });

  it('carries native git’s gzipped and chunked request bodies', async () => {
    await server.createRepo('native');
    const work = await cloneWorkdir(server, 'native'); // empty repo: the first push creates main
    await work.write('big.bin', randomBytes(2 * 1024 * 1024)); // over http.postBuffer: chunked, no Content-Length
    await work.commit('big');
    await work.push();
    // Many distinct tips (annotated tags are objects of their own) make a clone's want list exceed
    // 1 KiB, which native git gzips.
    for (let i = 0; i < 24; i++) await work.git('tag', '-a', '-m', `t${i}`, `t${i}`);
    await work.git('push', '--quiet', 'origin', '--tags');
    await work.tag('annotated', 'release');
    await work.branch('feature');
    const feature = await work.commit('on a branch');
    await work.push();
    const head = await work.git('rev-parse', 'main');
    await work.cleanup();
    const bigPush = server.stats.requests.find((r) => r.path === '/native.git/git-receive-pack' && r.bytesIn > 2 * 1024 * 1024);
    assert.ok(bigPush, 'the 2 MiB push went through');
    assert.equal(bigPush.status, 200);

    server.resetStats();
    const clone = await cloneWorkdir(server, 'native');
    assert.equal(await clone.head(), head);
    assert.equal(await clone.git('rev-parse', 'origin/feature'), feature);
    assert.equal(await clone.git('cat-file', '-t', 'annotated'), 'tag');
    await clone.cleanup();
    assert.ok(server.stats.requests.some((r) => r.service === 'upload-pack' && r.contentEncoding === 'gzip'), 'a gzipped upload-pack request was served');
  });

  it('serves anonymous reads when asked, but never anonymous pushes', async () => {
    const open = await startGitServer({ anonymousRead: true });
    try {
      await seedRepo(open, 'public', { 'p.txt': 'p\n' });
      const url = open.repoUrl('public');
      const refs = await git.listServerRefs({ http, url, protocolVersion: 1, prefix: 'refs/heads/' });
      assert.equal(refs.length, 1);

      const dir = await tempDir();
      await git.clone({ fs, http, dir, url, singleBranch: true, depth: 1 });
      await git.commit({ fs, dir, message: 'anon', author: { name: 'a', email: 'a@a.invalid' } });
      const err = await rejection(git.push({ fs, http, dir, url, ref: 'main' }));
      assert.equal(err.data?.statusCode, 401);
      // Wrong credentials are still wrong, even where anonymous reads are allowed.
      const wrong = await rejection(git.getRemoteInfo2({ http, url: url.replace('http://', 'http://sluice:bad@') }));
      assert.equal(wrong.data?.statusCode, 401);
    } finally {
      await open.close();
    }
  });

  it('goes down on stop() and comes back on start() at the same URL, repos intact', async () => {
    const flaky = await startGitServer();
    try {
      const sha = await seedRepo(flaky, 'flaky', { 'f.txt': 'f\n' });
      const url = flaky.repoUrl('flaky');
      const dir = await tempDir();
      await git.clone({ fs, http, dir, url, depth: 1, singleBranch: true, onAuth: () => flaky.credentials });
      const port = flaky.port;

      await flaky.stop();
      assert.equal(flaky.listening, false);
      const down = await rejection(git.fetch({ fs, http, dir, url, depth: 1, relative: true, singleBranch: true, onAuth: () => flaky.credentials }));
      assert.equal(down.code, 'ECONNREFUSED');

      await flaky.start();
      assert.equal(flaky.port, port);
      assert.equal(flaky.repoUrl('flaky'), url);
      const back = await git.fetch({ fs, http, dir, url, depth: 1, relative: true, singleBranch: true, onAuth: () => flaky.credentials });
      assert.equal(back.fetchHead, sha);
    } finally {
      await flaky.close();
    }
  });

  it('fails loudly, naming the component, port and stderr, instead of hanging', async () => {
    const taken = await rejection(startGitServer({ port: server.port }));
    assert.match(taken.message, new RegExp(`git server \\(127\\.0\\.0\\.1:${server.port}\\).*already in use`));

    const missing = await rejection(startGitServer({ backendPath: '/nonexistent/git-http-backend' }));
    assert.match(missing.message, /^git server \(127\.0\.0\.1:\d+\): git-http-backend not found/);

    const dir = await tempDir();
    const broken = join(dir, 'broken-backend');
    await writeFile(broken, '#!/bin/sh\necho "fatal: backend exploded" >&2\nexit 3\n');
    await chmod(broken, 0o755);
    const dead = await rejection(startGitServer({ backendPath: broken }));
    assert.match(dead.message, /^git server \(127\.0\.0\.1:\d+\): .*self-check \(exit code 3\)[\s\S]*fatal: backend exploded/);

    // A backend that starts fine but dies on a real request: the client gets an error response, not a hang.
    const flaky = join(dir, 'flaky-backend');
    await writeFile(flaky, `#!/bin/sh\ncase "$PATH_INFO" in *self-check*) exec /usr/lib/git-core/git-http-backend;; esac\necho "fatal: out of cheese" >&2\nexit 4\n`);
    await chmod(flaky, 0o755);
    const shaky = await startGitServer({ backendPath: flaky });
    try {
      const err = await rejection(git.listServerRefs({ http, url: shaky.repoUrl('any'), onAuth: () => shaky.credentials }));
      assert.equal(err.data?.statusCode, 502);
      assert.match(String(err.data?.response), new RegExp(`git server \\(127\\.0\\.0\\.1:${shaky.port}\\)[\\s\\S]*out of cheese`));
      assert.match(shaky.stats.requests.at(-1)?.error ?? '', /out of cheese/);
    } finally {
      await shaky.close();
    }
  });
});
