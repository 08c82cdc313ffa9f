// The `fs` client handed to isomorphic-git for one bare cache (its documented plugin point, see
// isomorphic-git's docs/fs.md): node:fs/promises, minus three lookups that isomorphic-git repeats
// for every object it reads and that cannot change behind Sluice's back in a cache only it writes:
//
// - every call wraps the client and probes it with a `readFile()` without a path (see NO_PATH);
// - every `readBlob`/`readTree`/`readCommit` first stats the gitdir (to find out whether it is a
//   `.git` file pointing elsewhere): the gitdir's stat is kept once it has been seen;
// - every object is first looked up as a loose file `objects/xx/yyyy…` (a failed open and an
//   ENOENT error with a stack trace each time), although fetches only ever write packs: a loose
//   path whose fan-out directory `objects/xx` does not exist is refused without a system call;
// - every packed lookup lists `objects/pack`: the listing is kept until a file in that directory
//   is written or removed through this client.
//
// And one replacement: a pack a fetch writes is indexed here (src/git/index-pack.ts, native zlib and
// SHA-1) instead of by isomorphic-git's JavaScript indexer, which took 80-90 % of a large clone.
// isomorphic-git's fetch writes the shallow file and the remote refs first, then the pack, then
// builds and writes the `.idx`; so once the pack and its `.idx` are written here, the write throws
// PackIndexed, which ends that fetch with nothing left undone, and the caller takes it as success
// (isomorphic-git-source.ts; a test pins that order). A pack this indexer cannot take (a thin pack
// with deltas against objects outside it) is written and left to isomorphic-git as before.
//
// Writes, creations and removals through this client update or drop what is kept, so isomorphic-git
// sees exactly what node:fs would show as long as nothing else writes into the cache directory
// (it is private to one Sluice process; README, git.cacheDir). Measured on the 1,000-file
// benchmark repository: reading the files of a new commit took about half the time with it.
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { PromiseFsClient } from 'isomorphic-git';
import { PackNotIndexable } from './index-pack.ts';
import { indexPackOffThread } from './index-pack-off-thread.ts';

/** Thrown by a pack write once the pack and its index are on disk: the fetch has nothing left to do. */
export class PackIndexed extends Error {
  readonly packPath: string;
  constructor(packPath: string) {
    super(`pack ${packPath} written and indexed`);
    this.packPath = packPath;
  }
}

const FANOUT = /^[0-9a-f]{2}$/;
const PACK_FILE = /\/pack-[0-9a-f]{40}\.pack$/;
// isomorphic-git wraps the client anew on every call and probes it with `readFile()` (no path) to
// see whether it returns promises. node:fs answers with a fresh TypeError and its stack trace each
// time, about 15 µs; this shared rejection costs nothing.
const NO_PATH = Object.freeze(Object.assign(new TypeError('readFile: path must be a string'), { code: 'ERR_INVALID_ARG_TYPE' }));

export function gitCacheFs(gitdir: string): PromiseFsClient {
  const objectsDir = join(gitdir, 'objects');
  const packDir = join(objectsDir, 'pack');
  let gitdirStat: Stats | undefined;
  let fanout: Promise<Set<string>> | undefined;
  let packList: Promise<string[]> | undefined;
  // How the last pack write ended: isomorphic-git retries a failed write once with the same data
  // (after creating the directory), and that retry must end the same way without doing it again.
  let lastPack: { path: string; data: Uint8Array; outcome: Error } | undefined;

  // The `objects/xx` directories that exist (read once; kept current by mkdir/writeFile below).
  const fanoutDirs = () =>
    (fanout ??= fsp.readdir(objectsDir).then(
      (names) => new Set(names.filter((n) => FANOUT.test(n))),
      () => new Set<string>(),
    ));
  // `xx` when `path` is a loose object path in this cache, else undefined.
  const looseFanout = (path: string): string | undefined => {
    if (!path.startsWith(objectsDir) || path.charCodeAt(objectsDir.length) !== 47 /* / */) return undefined;
    const rest = path.slice(objectsDir.length + 1);
    return rest.length === 41 && rest.charCodeAt(2) === 47 && FANOUT.test(rest.slice(0, 2)) ? rest.slice(0, 2) : undefined;
  };
  const missing = (syscall: string, path: string) =>
    Object.assign(new Error(`ENOENT: no such file or directory, ${syscall} '${path}'`), { code: 'ENOENT', errno: -2, syscall, path });
  const absentLoose = async (path: string): Promise<boolean> => {
    const xx = looseFanout(path);
    return xx !== undefined && !(await fanoutDirs()).has(xx);
  };
  // After any change under objects/: what a write added, or forget everything on removals.
  const wrote = (path: string) => {
    const xx = looseFanout(path);
    if (xx !== undefined) void fanoutDirs().then((s) => s.add(xx));
    if (path.startsWith(packDir)) packList = undefined;
  };
  const forget = () => {
    fanout = undefined;
    packList = undefined;
    gitdirStat = undefined;
  };

  const indexWrittenPack = async (path: string, data: Uint8Array) => {
    let idx: Buffer;
    try {
      idx = await indexPackOffThread(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    } catch (err) {
      if (err instanceof PackNotIndexable) return; // isomorphic-git indexes it
      // A corrupt pack: leave no pack without an index behind, and fail the fetch.
      await fsp.rm(path, { force: true });
      packList = undefined;
      const e = new Error(`received pack is unusable: ${(err as Error).message}`);
      lastPack = { path, data, outcome: e };
      throw e;
    }
    const idxPath = path.replace(/\.pack$/, '.idx');
    await fsp.writeFile(idxPath, idx);
    wrote(idxPath);
    lastPack = { path, data, outcome: new PackIndexed(path) };
    throw new PackIndexed(path);
  };

  return {
    promises: {
      async readFile(path: string, options?: unknown) {
        if (typeof path !== 'string') throw NO_PATH;
        if (await absentLoose(path)) throw missing('open', path);
        return await fsp.readFile(path, options as Parameters<typeof fsp.readFile>[1]);
      },
      async writeFile(path: string, data: Uint8Array | string, options?: unknown) {
        if (lastPack?.path === path && lastPack.data === data) {
          const { outcome } = lastPack;
          lastPack = undefined;
          throw outcome instanceof PackIndexed ? new PackIndexed(path) : outcome;
        }
        await fsp.writeFile(path, data, options as Parameters<typeof fsp.writeFile>[2]);
        wrote(path);
        if (path.startsWith(packDir) && PACK_FILE.test(path) && typeof data !== 'string') await indexWrittenPack(path, data);
      },
      async mkdir(path: string, options?: unknown) {
        await fsp.mkdir(path, options as Parameters<typeof fsp.mkdir>[1]);
        if (path.startsWith(objectsDir)) {
          const rest = path.slice(objectsDir.length + 1);
          if (FANOUT.test(rest)) void fanoutDirs().then((s) => s.add(rest));
        }
      },
      async readdir(path: string, options?: unknown) {
        if (path === packDir && options === undefined) {
          const list = (packList ??= fsp.readdir(packDir));
          list.catch(() => {
            if (packList === list) packList = undefined;
          });
          return [...(await list)];
        }
        return await fsp.readdir(path, options as Parameters<typeof fsp.readdir>[1]);
      },
      async stat(path: string, options?: unknown) {
        if (path === gitdir && gitdirStat) return gitdirStat;
        if (await absentLoose(path)) throw missing('stat', path);
        const s = await fsp.stat(path, options as Parameters<typeof fsp.stat>[1]);
        if (path === gitdir) gitdirStat = s as Stats;
        return s;
      },
      async lstat(path: string, options?: unknown) {
        if (await absentLoose(path)) throw missing('lstat', path);
        return await fsp.lstat(path, options as Parameters<typeof fsp.lstat>[1]);
      },
      async unlink(path: string) {
        forget();
        await fsp.unlink(path);
      },
      // One parameter on purpose: isomorphic-git then removes trees itself through unlink/rmdir.
      async rmdir(path: string) {
        forget();
        await fsp.rmdir(path);
      },
      readlink: (path: string, options?: unknown) => fsp.readlink(path, options as Parameters<typeof fsp.readlink>[1]),
      symlink: (target: string, path: string, type?: unknown) => fsp.symlink(target, path, type as Parameters<typeof fsp.symlink>[2]),
      chmod: (path: string, mode: number) => fsp.chmod(path, mode),
    },
  };
}
