// One repository's status branch, written with isomorphic-git from a bare working cache of its own
// (never the sync's cache): files are committed on top of the branch's tip by writing blobs, trees
// and a commit object directly (no checkout), then pushed. The tip is fetched only when unknown
// (first use, or after a rejected or failed push); otherwise Sluice builds on its own last commit,
// and a push that is not a fast-forward any more is refused by isomorphic-git before any pack is
// sent, so a foreign push costs one extra request, a fetch and a second commit.
//
// Not safe for concurrent use: the caller (status-writer.ts) runs one commitFiles at a time.
import nodeFs from 'node:fs';
import { join } from 'node:path';
import git, { type HttpClient, type TreeEntry } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';

export interface StatusBranchOptions {
  url: string;
  branch: string;
  auth?: { username: string; password: string } | undefined;
  /** The bare working cache, e.g. `<git.cacheDir>/writeback/<repo>.git`. */
  gitdir: string;
  author: { name: string; email: string };
  /** The sync follows the remote's HEAD: refuse to write if HEAD is the status branch. */
  refuseIfRemoteHead?: boolean | undefined;
  http?: HttpClient | undefined;
  now?: () => Date;
}

/** A file's new content, or null to remove it. */
export type FileChanges = ReadonlyMap<string, string | null>;

export type CommitOutcome =
  | { kind: 'pushed'; commit: string; changed: string[]; created: boolean }
  | { kind: 'unchanged' }
  /** Someone else moved the branch: the tip is fetched again on the next call. */
  | { kind: 'rejected'; reason: string };

export interface StatusBranch {
  /**
   * Commits the files whose content differs (by `same`, default byte equality) on top of the
   * branch and pushes; creates the branch as an orphan when it does not exist.
   */
  commitFiles(files: FileChanges, opts?: { message?: (changed: string[]) => string; same?: (old: string, next: string) => boolean }): Promise<CommitOutcome>;
}

// Every commit adds loose objects and every fetch a pack to the working cache; isomorphic-git has
// no gc, so the cache is started afresh (costing one shallow fetch) when the process starts and
// after this many commits.
const FRESH_CACHE_AFTER_COMMITS = 500;

export function createStatusBranch(opts: StatusBranchOptions): StatusBranch {
  const { gitdir, branch } = opts;
  const fs = nodeFs;
  const http = opts.http ?? nodeHttp;
  const now = opts.now ?? (() => new Date());
  const localRef = `refs/heads/${branch}`;
  // Credentials up front: with onAuth every request would first take a 401 round trip.
  const headers: Record<string, string> = { 'user-agent': 'sluice' };
  if (opts.auth) headers.authorization = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;

  let initialised = false;
  // The branch's tip as last seen or pushed; undefined = unknown (fetch first), null = no branch.
  let tip: string | null | undefined;
  let headChecked = false;
  // Starts at the limit, so the first call clears what an earlier process left behind.
  let commitsInCache = FRESH_CACHE_AFTER_COMMITS;

  const init = async () => {
    if (initialised) return;
    await fs.promises.mkdir(gitdir, { recursive: true });
    if (!fs.existsSync(join(gitdir, 'HEAD'))) await git.init({ fs, gitdir, bare: true, defaultBranch: branch });
    await git.addRemote({ fs, gitdir, remote: 'origin', url: opts.url, force: true });
    initialised = true;
  };

  const hasCommit = (oid: string) => git.readCommit({ fs, gitdir, oid }).then(() => true, () => false);

  // The remote's tip of the branch, fetched (one commit deep) when not in the cache yet.
  const refreshTip = async (): Promise<string | null> => {
    const refs = await git.listServerRefs({ http, url: opts.url, headers, protocolVersion: 1, symrefs: opts.refuseIfRemoteHead === true && !headChecked });
    if (opts.refuseIfRemoteHead && !headChecked) {
      const head = refs.find((r) => r.ref === 'HEAD');
      if (head?.target === localRef) throw new Error(`the remote's HEAD is ${localRef}, the branch Sluice syncs from; status commits need a branch of their own (set repos[].ref or writeback.branch)`);
      headChecked = true;
    }
    const remote = refs.find((r) => r.ref === localRef)?.oid;
    if (!remote) return null;
    if (!(await hasCommit(remote))) {
      await git.fetch({ fs, http, gitdir, url: opts.url, headers, remote: 'origin', ref: branch, remoteRef: branch, singleBranch: true, tags: false, depth: 1 });
      if (!(await hasCommit(remote))) throw new Error(`fetching ${branch} from ${opts.url} did not bring ${remote}`);
    }
    return remote;
  };

  const readBlobText = async (oid: string) => Buffer.from((await git.readBlob({ fs, gitdir, oid })).blob).toString('utf8');

  // The entry at `path` under tree `treeOid`, or undefined.
  const entryAt = async (treeOid: string | undefined, path: string): Promise<TreeEntry | undefined> => {
    let oid = treeOid;
    let entry: TreeEntry | undefined;
    for (const part of path.split('/')) {
      if (oid === undefined) return undefined;
      entry = (await git.readTree({ fs, gitdir, oid })).tree.find((e) => e.path === part);
      oid = entry?.type === 'tree' ? entry.oid : undefined;
    }
    return entry;
  };

  // A new tree: `treeOid`'s entries with `changes` (relative path → blob oid, or null to remove)
  // applied; directories left empty disappear. undefined when the tree ends up empty.
  const updateTree = async (treeOid: string | undefined, changes: Map<string, string | null>): Promise<string | undefined> => {
    const entries = new Map<string, TreeEntry>();
    if (treeOid) for (const e of (await git.readTree({ fs, gitdir, oid: treeOid })).tree) entries.set(e.path, e);
    const nested = new Map<string, Map<string, string | null>>();
    for (const [path, blob] of changes) {
      const slash = path.indexOf('/');
      if (slash < 0) {
        if (blob === null) entries.delete(path);
        else entries.set(path, { mode: '100644', path, oid: blob, type: 'blob' });
        continue;
      }
      const dir = path.slice(0, slash);
      const inner = nested.get(dir) ?? new Map<string, string | null>();
      inner.set(path.slice(slash + 1), blob);
      nested.set(dir, inner);
    }
    for (const [dir, inner] of nested) {
      const existing = entries.get(dir);
      const sub = await updateTree(existing?.type === 'tree' ? existing.oid : undefined, inner);
      if (sub === undefined) entries.delete(dir);
      else entries.set(dir, { mode: '040000', path: dir, oid: sub, type: 'tree' });
    }
    if (entries.size === 0) return undefined;
    return await git.writeTree({ fs, gitdir, tree: [...entries.values()] });
  };

  const freshCache = async () => {
    await fs.promises.rm(gitdir, { recursive: true, force: true });
    initialised = false;
    tip = undefined;
    commitsInCache = 0;
    await init();
  };

  return {
    async commitFiles(files, options = {}) {
      const same = options.same ?? ((a: string, b: string) => a === b);
      if (commitsInCache >= FRESH_CACHE_AFTER_COMMITS) await freshCache();
      await init();
      try {
        if (tip === undefined) tip = await refreshTip();
        const base = tip;
        const baseTree = base ? (await git.readCommit({ fs, gitdir, oid: base })).commit.tree : undefined;

        // Only files whose content differs from the tip's go into the commit.
        const blobs = new Map<string, string | null>();
        for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          const existing = await entryAt(baseTree, path);
          const old = existing?.type === 'blob' ? await readBlobText(existing.oid) : undefined;
          if (content === null ? old === undefined : old !== undefined && same(old, content)) continue;
          blobs.set(path, content === null ? null : await git.writeBlob({ fs, gitdir, blob: Buffer.from(content, 'utf8') }));
        }
        if (blobs.size === 0) return { kind: 'unchanged' };

        const tree = (await updateTree(baseTree, blobs)) ?? (await git.writeTree({ fs, gitdir, tree: [] }));
        const changed = [...blobs.keys()];
        const when = now();
        const person = { name: opts.author.name, email: opts.author.email, timestamp: Math.floor(when.getTime() / 1000), timezoneOffset: 0 };
        const message = options.message?.(changed) ?? `Update ${changed.length} status file(s)\n`;
        const commit = await git.writeCommit({ fs, gitdir, commit: { message, tree, parent: base ? [base] : [], author: person, committer: person } });
        commitsInCache++;
        await git.writeRef({ fs, gitdir, ref: localRef, value: commit, force: true });
        try {
          await git.push({ fs, http, gitdir, url: opts.url, headers, remote: 'origin', ref: localRef, remoteRef: localRef });
        } catch (err) {
          const code = (err as { code?: string }).code;
          // Refused as not a fast-forward before sending (PushRejectedError), or by the server
          // because the ref moved meanwhile (GitPushError with the server's reason).
          if (code === 'PushRejectedError' || code === 'GitPushError') {
            tip = undefined;
            const reason = code === 'PushRejectedError' ? `not a fast-forward: ${base ?? 'no branch'} is no longer the tip of ${branch}` : (err as Error).message.trim();
            return { kind: 'rejected', reason };
          }
          throw err;
        }
        tip = commit;
        return { kind: 'pushed', commit, changed, created: base === null };
      } catch (err) {
        // Whatever failed, the next call starts from the remote's tip again.
        tip = undefined;
        throw err;
      }
    },
  };
}
