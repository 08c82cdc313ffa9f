// Authoring Git content for tests with native git over HTTP, so the test Git server is exercised by
// a second client independent of the isomorphic-git code under test.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GitServer } from '../testbed/git-server.ts';

/** What the helpers need from a server: its URLs and an account that may push. */
export type GitRemote = Pick<GitServer, 'repoUrl' | 'credentials'>;

export interface Workdir {
  /** The working clone's directory. */
  dir: string;
  /** Runs native git in the clone; resolves to trimmed stdout. */
  git(...args: string[]): Promise<string>;
  write(path: string, content: string | Uint8Array): Promise<void>;
  remove(path: string): Promise<void>;
  /** Stages everything and commits (empty commits allowed); resolves to the new sha. */
  commit(message: string): Promise<string>;
  /** Pushes `ref` (default: the current branch to the same name). */
  push(ref?: string): Promise<void>;
  /** Creates a lightweight tag on HEAD (annotated with `message`) and pushes it. */
  tag(name: string, message?: string): Promise<void>;
  /** Switches to branch `name`, creating it from HEAD if needed. */
  branch(name: string): Promise<void>;
  head(): Promise<string>;
  cleanup(): Promise<void>;
}

// Hermetic and never interactive: no user config, no credential prompt, no askpass.
const ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: '',
  SSH_ASKPASS: '',
  LC_ALL: 'C',
};

export async function runGit(cwd: string, args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: ENV, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr.trim() || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

/** A temporary working clone of `repoName`; an empty repo is fine (first push creates its default branch). */
export async function cloneWorkdir(server: GitRemote, repoName: string, opts: { branch?: string } = {}): Promise<Workdir> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-work-'));
  const { username, password } = server.credentials;
  // Sent with every request, so credentials never sit in the URL or need a prompt.
  const auth = `http.extraHeader=Authorization: Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const git = (...args: string[]): Promise<string> => runGit(dir, args);
  try {
    await runGit(dir, ['-c', auth, 'clone', '--quiet', server.repoUrl(repoName), '.']);
    await git('config', 'http.extraHeader', auth.slice('http.extraHeader='.length));
    await git('config', 'user.name', 'Sluice Test');
    await git('config', 'user.email', 'test@sluice.invalid');
    // An empty clone already follows the server's unborn HEAD (protocol v2); `branch` overrides it.
    const hasCommits = await git('rev-parse', '--verify', '--quiet', 'HEAD').then(() => true, () => false);
    if (!hasCommits && opts.branch) await git('symbolic-ref', 'HEAD', `refs/heads/${opts.branch}`);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    dir,
    git,
    async write(path, content) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    },
    async remove(path) {
      await rm(join(dir, path), { recursive: true, force: true });
    },
    async commit(message) {
      await git('add', '--all');
      await git('commit', '--quiet', '--allow-empty', '-m', message);
      return await git('rev-parse', 'HEAD');
    },
    async push(ref = 'HEAD') {
      await git('push', '--quiet', 'origin', ref);
    },
    async tag(name, message) {
      await git('tag', ...(message ? ['-a', '-m', message] : []), name);
      await git('push', '--quiet', 'origin', `refs/tags/${name}`);
    },
    async branch(name) {
      const exists = await git('rev-parse', '--verify', '--quiet', `refs/heads/${name}`).then(() => true, () => false);
      await git('checkout', '--quiet', ...(exists ? [] : ['-b']), name);
    },
    head: () => git('rev-parse', 'HEAD'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Creates the repo (if needed), commits `files` on its default branch, pushes; resolves to the sha. */
export async function seedRepo(
  server: GitRemote & Pick<GitServer, 'createRepo'>,
  name: string,
  files: Record<string, string>,
  message = 'seed',
): Promise<string> {
  await server.createRepo(name);
  const work = await cloneWorkdir(server, name);
  try {
    for (const [path, content] of Object.entries(files)) await work.write(path, content);
    const sha = await work.commit(message);
    await work.push();
    return sha;
  } finally {
    await work.cleanup();
  }
}
