// GitSource on isomorphic-git with an on-disk bare cache: a poll is one ref-advertisement request;
// a fetch happens only when the resolved commit is not cached yet, shallow (depth 1) and for one
// ref, incremental fetches `relative` (otherwise the server resends the whole tree); files are read
// from the object store, never checked out (performance-notes.md).
import nodeFs from 'node:fs';
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import git from 'isomorphic-git';
import type { RefSpec } from '../config/config-types.ts';
import { GitUnavailableError, type GitSource, type RepoFile, type RepoFileError, type ResolvedRevision } from '../ports/git-source.ts';
import { countingHttpClient, type GitRequestKind } from './counting-http-client.ts';
import { refAdvertisementReuse } from './ref-advertisement-reuse.ts';
import { gitCacheFs, PackIndexed } from './git-cache-fs.ts';
import { resolveRef } from './resolve-ref.ts';
import { commitTree, packedObjectReader, parseTree } from './packed-object-reader.ts';

export interface IsomorphicGitSourceOptions {
  name: string;
  url: string;
  ref: RefSpec;
  auth?: { username: string; password: string } | undefined;
  cacheDir: string;
  /**
   * Packs in the cache before the next fetch starts it afresh (default 50). Every fetch adds one;
   * each object lookup searches them all and each loaded pack stays in memory, so a cache that
   * follows a busy branch for weeks is rebuilt by one shallow clone instead of growing for ever.
   */
  maxPacks?: number;
  /** Called once per HTTP response, for metrics. */
  onRequest?: (kind: GitRequestKind, status: number, bytes: number) => void;
}

const MANIFEST_EXT = /\.ya?ml$/i;
/** Default for IsomorphicGitSourceOptions.maxPacks. */
const MAX_PACKS = 50;
/** Blob reads in flight at once in readFiles. */
const READ_CONCURRENCY = 32;

type Entry = { mode: string; oid: string; type: 'blob' | 'tree' | 'commit' };
type TreeEntry = Entry & { path: string };

export function createIsomorphicGitSource(opts: IsomorphicGitSourceOptions): GitSource {
  const gitdir = join(opts.cacheDir, `${opts.name}-${createHash('sha256').update(opts.url).digest('hex').slice(0, 12)}.git`);
  const http = countingHttpClient((kind, status, bytes) => opts.onRequest?.(kind, status, bytes));
  // resolve() keeps the ref advertisement; the fetch right after it reuses it (ref-advertisement-reuse.ts).
  const adverts = refAdvertisementReuse(http);
  // Credentials up front: with onAuth every operation would first take a 401 round trip.
  const headers: Record<string, string> = { 'user-agent': 'sluice' };
  if (opts.auth) headers.authorization = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;
  let fs = gitCacheFs(gitdir);
  // Packed objects are read natively (packed-object-reader.ts); isomorphic-git reads the rest.
  let objects = packedObjectReader(gitdir);
  const cache = {};
  // The trees and manifest blobs the last readFiles read, by oid (see readFiles).
  let lastTrees = new Map<string, TreeEntry[]>();
  let lastBlobs = new Map<string, Uint8Array>();
  let initialised: Promise<void> | undefined;

  const init = () =>
    (initialised ??= (async () => {
      await nodeFs.promises.mkdir(gitdir, { recursive: true });
      if (!nodeFs.existsSync(join(gitdir, 'HEAD'))) await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
      // fetch needs a remote with a fetch refspec; keep its URL current if the config changed.
      await git.addRemote({ fs, gitdir, remote: 'origin', url: opts.url, force: true });
    })());

  const packCount = async () => (await nodeFs.promises.readdir(join(gitdir, 'objects', 'pack')).catch(() => [])).filter((n) => n.endsWith('.pack')).length;
  // Drops the cache; the next fetch is a first (shallow) clone. Trees and blobs read before stay
  // valid in readFiles' reuse maps: they are keyed by object id.
  const startAfresh = async () => {
    await nodeFs.promises.rm(gitdir, { recursive: true, force: true });
    fs = gitCacheFs(gitdir);
    objects = packedObjectReader(gitdir);
    initialised = undefined;
    await init();
  };

  const hasCommit = async (sha: string) => (await commitTreeOf(sha).then(() => true, () => false));
  // The tree of a commit; rejects when the commit is not in the cache.
  const commitTreeOf = async (sha: string): Promise<string> => {
    const packed = await objects.read(sha);
    if (packed?.type === 'commit') return commitTree(packed.data);
    return (await git.readCommit({ fs, gitdir, oid: sha, cache })).commit.tree;
  };

  // Network and HTTP failures mean "source unavailable"; anything else is a real error and kept.
  const network = (what: string, err: unknown): Error => {
    const e = err as { code?: string; syscall?: string; data?: { statusCode?: number; statusMessage?: string }; message?: string };
    if (e.code !== 'HttpError' && !e.syscall && !/^E[A-Z]+$/.test(e.code ?? '')) return new Error(`${what}: ${e.message ?? String(err)}`);
    if (e.code === 'HttpError') {
      const status = e.data?.statusCode;
      const hint = status === 401 || status === 403 ? ' (check the repository credentials)' : '';
      return new GitUnavailableError(`${what}: HTTP ${status} ${e.data?.statusMessage ?? ''}`.trimEnd() + hint);
    }
    return new GitUnavailableError(`${what}: ${e.code && !e.message?.includes(e.code) ? `${e.code} ` : ''}${e.message ?? String(err)}`);
  };

  const ensureCommitNow = async (rev: ResolvedRevision, options: { history?: boolean }): Promise<{ fetched: boolean }> => {
    await init();
    if (await hasCommit(rev.sha)) return { fetched: false };
    if ((await packCount()) >= (opts.maxPacks ?? MAX_PACKS)) await startAfresh();
    const pinned = ('commit' in opts.ref && opts.ref.commit !== undefined) || options.history === true;
    const shallow = nodeFs.existsSync(join(gitdir, 'shallow'));
    // fetch takes its `have` lines from the local ref named `ref`; a bare cache only holds the
    // remote-tracking ref, so name it when it exists, or the server gets no haves at all.
    const remoteRef = fetchRefName(rev.ref);
    const tracking = rev.ref === 'HEAD' ? 'refs/remotes/origin/HEAD' : rev.ref.startsWith('refs/heads/') ? `refs/remotes/origin/${remoteRef}` : undefined;
    const tracked = tracking !== undefined && (await git.resolveRef({ fs, gitdir, ref: tracking }).then(() => true, () => false));
    try {
      await git.fetch({
        fs,
        http: adverts.replaying,
        gitdir,
        url: opts.url,
        headers,
        // Its own cache: what isomorphic-git loads while fetching is not kept (reads are native).
        cache: {},
        remote: 'origin',
        ref: tracked ? tracking : remoteRef,
        remoteRef,
        singleBranch: true,
        tags: false,
        // A pinned commit may be anywhere in the branch's history, so its branch is fetched whole.
        // Incremental fetches are relative even when the cache is no longer shallow (a relative
        // deepen reached the root): a plain depth 1 makes the server resend the whole tree.
        ...(pinned ? {} : { depth: 1, relative: shallow || tracked }),
      });
    } catch (err) {
      // The cache's fs indexed the received pack itself and ended the fetch there (git-cache-fs.ts).
      if (!(err instanceof PackIndexed)) throw network(`cannot fetch ${rev.ref} from ${opts.url}`, err);
    } finally {
      objects.refresh();
    }
    if (!(await hasCommit(rev.sha))) throw new Error(`commit ${rev.sha} is not on ${rev.ref} at ${opts.url}`);
    return { fetched: true };
  };

  // The short name fetch wants: isomorphic-git looks it up among the remote's refs.
  const fetchRefName = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, '');

  return {
    async resolve() {
      if ('commit' in opts.ref && opts.ref.commit) return resolveRef(opts.ref, []);
      let refs;
      try {
        // Protocol v1: refs in one request (v2 needs a second round trip for ls-refs).
        refs = await git.listServerRefs({ http: adverts.recording, url: opts.url, headers, protocolVersion: 1, peelTags: true });
      } catch (err) {
        throw network(`cannot list refs of ${opts.url}`, err);
      }
      return resolveRef(opts.ref, refs);
    },

    async ensureCommit(rev: ResolvedRevision, options: { history?: boolean } = {}) {
      try {
        return await ensureCommitNow(rev, options);
      } finally {
        adverts.forget();
      }
    },

    async readFiles(sha: string, paths: string[]) {
      await init();
      const files = new Map<string, RepoFile>();
      const errors: RepoFileError[] = [];
      const rootTree = await commitTreeOf(sha);

      // Trees and blobs are immutable by oid: what the last call read is reused, so a new commit
      // costs only the trees and manifests it changed. Only this call's objects are kept for the next.
      const treesNow = new Map<string, TreeEntry[]>();
      const blobsNow = new Map<string, Uint8Array>();
      const readTreeAt = async (oid: string) => {
        let t = treesNow.get(oid) ?? lastTrees.get(oid);
        if (!t) {
          const packed = await objects.read(oid);
          t = packed?.type === 'tree' ? parseTree(packed.data) : (await git.readTree({ fs, gitdir, oid, cache })).tree;
        }
        treesNow.set(oid, t);
        return t;
      };
      // Finds the entry at a repository path, or undefined.
      const lookup = async (path: string): Promise<Entry | undefined> => {
        let entry: Entry = { mode: '040000', oid: rootTree, type: 'tree' };
        if (path === '') return entry;
        for (const part of path.split('/')) {
          if (entry.type !== 'tree') return undefined;
          const next = (await readTreeAt(entry.oid)).find((e) => e.path === part);
          if (!next) return undefined;
          entry = next;
        }
        return entry;
      };
      const readBlob = async (oid: string) => {
        let blob = blobsNow.get(oid) ?? lastBlobs.get(oid);
        if (!blob) {
          const packed = await objects.read(oid);
          blob = packed?.type === 'blob' ? packed.data : (await git.readBlob({ fs, gitdir, oid, cache })).blob;
        }
        blobsNow.set(oid, blob);
        return blob;
      };

      // First the tree walk, which decides which file each path is (and reports symlink and path
      // problems in walk order); then the blobs, read concurrently: each read waits on file system
      // calls, and one after another they took most of the time on 1,000 files.
      const wanted: Array<{ path: string; oid: string }> = [];
      const claimed = new Set<string>();
      const addFile = async (path: string, entry: Entry) => {
        if (!MANIFEST_EXT.test(path) || claimed.has(path)) return;
        claimed.add(path);
        if (entry.mode === '120000') {
          // A symlink's blob is its target. Follow it only when it stays inside the repository.
          const target = Buffer.from(await readBlob(entry.oid)).toString('utf8');
          const resolved = posix.normalize(posix.join(posix.dirname(path), target));
          if (target.startsWith('/') || resolved === '..' || resolved.startsWith('../')) {
            errors.push({ file: path, message: `symlink to ${target} leaves the repository; refused` });
            return;
          }
          const to = await lookup(resolved);
          if (!to) errors.push({ file: path, message: `symlink to ${target} points at nothing` });
          else if (to.type !== 'blob' || to.mode === '120000') errors.push({ file: path, message: `symlink to ${target} is not a regular file; refused` });
          else wanted.push({ path, oid: to.oid });
          return;
        }
        wanted.push({ path, oid: entry.oid });
      };
      const walk = async (dir: string, treeOid: string) => {
        for (const e of await readTreeAt(treeOid)) {
          const p = dir ? `${dir}/${e.path}` : e.path;
          if (e.type === 'tree') await walk(p, e.oid);
          else if (e.type === 'blob') await addFile(p, e);
          // Submodules (type commit) are not followed.
        }
      };

      for (const raw of paths) {
        const normal = posix.normalize(raw).replace(/\/$/, '');
        if (normal === '..' || normal.startsWith('../') || normal.startsWith('/')) {
          errors.push({ file: raw, message: 'path leaves the repository; refused' });
          continue;
        }
        const path = normal === '.' ? '' : normal;
        const entry = await lookup(path);
        if (!entry) errors.push({ file: raw, message: `path does not exist at commit ${sha.slice(0, 7)}` });
        else if (entry.type === 'tree') await walk(path, entry.oid);
        else if (entry.type === 'blob') await addFile(path, entry);
      }

      let next = 0;
      const reader = async () => {
        while (next < wanted.length) {
          const w = wanted[next++] as { path: string; oid: string };
          files.set(w.path, { path: w.path, content: await readBlob(w.oid) });
        }
      };
      await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, wanted.length) }, reader));
      lastTrees = treesNow;
      lastBlobs = blobsNow;
      return { files: [...files.values()].sort((a, b) => a.path.localeCompare(b.path)), errors };
    },
  };
}
