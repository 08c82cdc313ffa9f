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
// Writes, creations and removals through this client update or drop what is kept, so isomorphic-git
// sees exactly what node:fs would show as long as nothing else writes into the cache directory
// (it is private to one Sluice process; README, git.cacheDir). Measured on the 1,000-file
// benchmark repository: reading the files of a new commit took about half the time with it.
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { PromiseFsClient } from 'isomorphic-git';

const FANOUT = /^[0-9a-f]{2}$/;
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

  return {
    promises: {
      async readFile(path: string, options?: unknown) {
        if (typeof path !== 'string') throw NO_PATH;
        if (await absentLoose(path)) throw missing('open', path);
        return await fsp.readFile(path, options as Parameters<typeof fsp.readFile>[1]);
      },
      async writeFile(path: string, data: Uint8Array | string, options?: unknown) {
        await fsp.writeFile(path, data, options as Parameters<typeof fsp.writeFile>[2]);
        wrote(path);
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
