// Reads objects straight from the packs of a bare cache (the `.idx` files index-pack.ts writes):
// binary search in the index, node:zlib to inflate, deltas applied from their base. isomorphic-git
// reads the same objects through pako and a WebCrypto hash check per object, which made reading
// the files of a commit (1,000 changed manifests) cost as much as fetching them. Objects that are
// not packed (loose objects, written by nothing but tests) return undefined: the caller asks
// isomorphic-git then.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { ByteBoundedCache } from './byte-bounded-cache.ts';
import { applyDelta, OBJECT_TYPES, OFS_DELTA, readEntryHeader, REF_DELTA, type GitObjectType } from './pack-format.ts';

export interface GitObject {
  type: GitObjectType;
  data: Buffer;
}

/** Resolved delta bases kept per reader (oldest out first). */
const BASE_CACHE_BYTES = 16 * 1024 * 1024;

interface Pack {
  idx: Buffer;
  pack: Buffer;
  count: number;
}

export interface PackedObjectReader {
  read(oid: string): Promise<GitObject | undefined>;
  /** Forget the list of packs (a fetch added one). Packs already loaded stay loaded. */
  refresh(): void;
}

export function packedObjectReader(gitdir: string): PackedObjectReader {
  const packDir = join(gitdir, 'objects', 'pack');
  const loaded = new Map<string, Promise<Pack>>();
  let listing: Promise<Array<{ name: string; pack: Pack }>> | undefined;
  const bases = new ByteBoundedCache<string, GitObject>(BASE_CACHE_BYTES, BASE_CACHE_BYTES / 4);

  const loadPack = (name: string) => {
    let p = loaded.get(name);
    if (!p) {
      p = (async () => {
        const [idx, pack] = await Promise.all([fsp.readFile(join(packDir, `${name}.idx`)), fsp.readFile(join(packDir, `${name}.pack`))]);
        if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) throw new Error(`${name}.idx is not a version 2 pack index`);
        return { idx, pack, count: idx.readUInt32BE(8 + 255 * 4) };
      })();
      loaded.set(name, p);
      p.catch(() => loaded.delete(name));
    }
    return p;
  };
  const packs = () => {
    if (!listing) {
      const list = fsp.readdir(packDir).then(
        (names) => Promise.all(names.filter((n) => n.endsWith('.idx')).sort().map(async (n) => ({ name: n.slice(0, -4), pack: await loadPack(n.slice(0, -4)) }))),
        () => [], // no pack directory yet: nothing fetched
      );
      listing = list;
      list.catch(() => {
        if (listing === list) listing = undefined;
      });
    }
    return listing;
  };

  // The entry's offset in the pack, or -1.
  const find = (p: Pack, oid: Buffer): number => {
    const first = oid[0]!;
    let lo = first === 0 ? 0 : p.idx.readUInt32BE(8 + (first - 1) * 4);
    let hi = p.idx.readUInt32BE(8 + first * 4);
    const names = 8 + 1024;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = oid.compare(p.idx, names + mid * 20, names + mid * 20 + 20);
      if (cmp === 0) {
        const offsets = names + p.count * 24;
        const off = p.idx.readUInt32BE(offsets + mid * 4);
        if (!(off & 0x80000000)) return off;
        return Number(p.idx.readBigUInt64BE(offsets + p.count * 4 + (off & 0x7fffffff) * 8));
      }
      if (cmp < 0) hi = mid;
      else lo = mid + 1;
    }
    return -1;
  };

  const readAt = async (p: Pack, offset: number, name: string): Promise<GitObject> => {
    const { type, size, dataOffset, baseOffset, baseOid } = readEntryHeader(p.pack, offset);
    let base: GitObject | undefined;
    if (type === OFS_DELTA) base = await baseAt(p, baseOffset!, name);
    else if (type === REF_DELTA) {
      base = await read(baseOid!);
      if (!base) throw new Error(`pack ${name}: delta base ${baseOid} not found`);
    }
    // The entry's end is not recorded; inflate stops at the end of its zlib stream.
    const data = zlib.inflateSync(p.pack.subarray(dataOffset, p.pack.length - 20), { chunkSize: Math.max(64, size) });
    if (data.length !== size) throw new Error(`pack ${name}: entry at ${offset} inflated to ${data.length} bytes, header says ${size}`);
    return base ? { type: base.type, data: applyDelta(data, base.data) } : { type: OBJECT_TYPES[type]!, data };
  };
  const baseAt = async (p: Pack, offset: number, name: string): Promise<GitObject> => {
    const key = `${name}:${offset}`;
    const hit = bases.get(key);
    if (hit) return hit;
    const obj = await readAt(p, offset, name);
    bases.set(key, obj);
    return obj;
  };

  const read = async (oid: string): Promise<GitObject | undefined> => {
    const want = Buffer.from(oid, 'hex');
    if (want.length !== 20) return undefined;
    for (const { name, pack } of await packs()) {
      const offset = find(pack, want);
      if (offset >= 0) return await readAt(pack, offset, name);
    }
    return undefined;
  };

  return {
    read,
    refresh() {
      listing = undefined;
    },
  };
}

/** A tree's entries, as isomorphic-git's readTree gives them (mode with a leading zero for trees). */
export function parseTree(data: Buffer): Array<{ mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }> {
  const entries: Array<{ mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }> = [];
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const nul = data.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > data.length) throw new Error('malformed tree object');
    const mode = data.toString('latin1', pos, space).padStart(6, '0');
    const path = data.toString('utf8', space + 1, nul);
    const oid = data.toString('hex', nul + 1, nul + 21);
    entries.push({ mode, path, oid, type: mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob' });
    pos = nul + 21;
  }
  return entries;
}

/** The tree a commit object points at. */
export function commitTree(data: Buffer): string {
  const m = /^tree ([0-9a-f]{40})\n/.exec(data.toString('latin1', 0, 46));
  if (!m) throw new Error('malformed commit object');
  return m[1]!;
}
