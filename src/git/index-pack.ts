// `git index-pack` for the packs a fetch receives: reads a pack (version 2 or 3) and builds its
// version-2 `.idx`, byte for byte what native git writes. isomorphic-git's own indexer does the
// same in JavaScript, with a WebCrypto SHA-1 (a thread-pool job and a promise) and a new pako
// inflater per object: on a 10,000-file clone that was 80-90 % of the fetch (bench/RESULTS.md).
// Here every entry is inflated once by node:zlib (whose engine reports how many compressed bytes
// the entry took, which is where the next one starts), hashed by node:crypto, and checksummed by
// zlib.crc32. Pure: a buffer in, a buffer out.
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { ByteBoundedCache } from './byte-bounded-cache.ts';
import { applyDelta, OBJECT_TYPES, OFS_DELTA, readEntryHeader, REF_DELTA } from './pack-format.ts';

/** The pack holds something this indexer leaves to isomorphic-git (a delta against an object outside the pack). */
export class PackNotIndexable extends Error {}

/** Resolved objects kept as delta bases (oldest out first); evicted ones are rebuilt from the pack when needed. */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;

interface Entry {
  offset: number;
  /** Offset of the compressed data (after the entry header and any delta base reference). */
  dataOffset: number;
  /** Offset just past the entry: the next entry's offset, or the trailer's. */
  end: number;
  type: number;
  /** Expected inflated size, from the entry header. */
  size: number;
  baseOffset?: number;
  baseOid?: string;
}

interface Resolved {
  type: number;
  data: Buffer;
}

/** Builds the `.idx` (version 2) of `pack`. Throws on a corrupt pack, PackNotIndexable on a thin one. */
export function indexPack(pack: Buffer): Buffer {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new Error('not a pack file');
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new Error(`pack version ${version} is not supported`);
  const count = pack.readUInt32BE(8);
  const trailer = pack.length - 20;
  const packSha = pack.subarray(trailer);
  if (!createHash('sha1').update(pack.subarray(0, trailer)).digest().equals(packSha)) throw new Error('pack checksum mismatch');

  const entries: Entry[] = new Array(count);
  const byOffset = new Map<number, Entry>();
  const oids: Buffer[] = new Array(count);
  const crcs = new Uint32Array(count);
  const indexByOid = new Map<string, number>();
  const cache = new ByteBoundedCache<number, Resolved>(BASE_CACHE_BYTES);
  const inflateAt = (e: Entry): Buffer => zlib.inflateSync(pack.subarray(e.dataOffset, e.end), { chunkSize: Math.max(64, e.size) });
  // The content and type of the object at an entry, through its delta chain.
  const resolve = (e: Entry, raw?: Buffer): Resolved => {
    const hit = cache.get(e.offset);
    if (hit) return hit;
    const data = raw ?? inflateAt(e);
    if (data.length !== e.size) throw new Error(`pack entry at ${e.offset}: ${data.length} bytes inflated, header says ${e.size}`);
    let r: Resolved;
    if (e.type < OFS_DELTA) r = { type: e.type, data };
    else {
      const base = e.type === OFS_DELTA ? byOffset.get(e.baseOffset!) : entries[indexByOid.get(e.baseOid!) ?? -1];
      if (!base) {
        if (e.type === REF_DELTA) throw new PackNotIndexable(`delta against ${e.baseOid}, which is not in the pack`);
        throw new Error(`pack entry at ${e.offset}: delta base at ${e.baseOffset} is not an entry`);
      }
      const b = resolve(base);
      r = { type: b.type, data: applyDelta(data, b.data) };
    }
    cache.set(e.offset, r);
    return r;
  };
  const hashObject = (r: Resolved): Buffer =>
    createHash('sha1').update(`${OBJECT_TYPES[r.type]} ${r.data.length}\0`).update(r.data).digest();

  // Pass 1: walk the entries (inflating each once to find where it ends), hash every object
  // whose base is known by then; ref-deltas to later entries wait for pass 2.
  const waiting: number[] = [];
  let pos = 12;
  for (let i = 0; i < count; i++) {
    if (pos >= trailer) throw new Error(`pack ends after ${i} of ${count} entries`);
    const offset = pos;
    const header = readEntryHeader(pack, offset);
    const { type, size } = header;
    const e: Entry = { offset, dataOffset: header.dataOffset, end: 0, type, size };
    if (header.baseOffset !== undefined) e.baseOffset = header.baseOffset;
    if (header.baseOid !== undefined) e.baseOid = header.baseOid;
    pos = header.dataOffset;
    const { buffer: raw, engine } = zlib.inflateSync(pack.subarray(pos, trailer), { info: true, chunkSize: Math.max(64, size) }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    pos += engine.bytesWritten;
    e.end = pos;
    entries[i] = e;
    byOffset.set(offset, e);
    crcs[i] = zlib.crc32(pack.subarray(offset, pos));
    if (type === REF_DELTA && !indexByOid.has(e.baseOid!)) {
      waiting.push(i);
      continue;
    }
    const oid = hashObject(resolve(e, raw));
    oids[i] = oid;
    indexByOid.set(oid.toString('hex'), i);
  }
  if (pos !== trailer) throw new Error(`pack has ${trailer - pos} bytes after its ${count} entries`);

  // Pass 2: ref-deltas whose base came later in the pack (rare; git writes bases first).
  while (waiting.length) {
    const ready = waiting.filter((i) => indexByOid.has(entries[i]!.baseOid!));
    if (!ready.length) throw new PackNotIndexable(`delta against ${entries[waiting[0]!]!.baseOid}, which is not in the pack`);
    for (const i of ready) {
      waiting.splice(waiting.indexOf(i), 1);
      const oid = hashObject(resolve(entries[i]!));
      oids[i] = oid;
      indexByOid.set(oid.toString('hex'), i);
    }
  }
  return writeIdx(entries, oids, crcs, packSha);
}

// idx v2: magic, version, 256-entry fan-out, sorted object names, their CRC32s, their 31-bit
// offsets (MSB set: an index into the 64-bit table that follows), pack checksum, idx checksum.
function writeIdx(entries: Entry[], oids: Buffer[], crcs: Uint32Array, packSha: Buffer): Buffer {
  const n = entries.length;
  const hex = oids.map((oid) => oid.toString('hex'));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (hex[a]! < hex[b]! ? -1 : 1));
  const large = order.filter((i) => entries[i]!.offset >= 0x80000000).length;
  const out = Buffer.alloc(8 + 256 * 4 + n * 28 + large * 8 + 40);
  out.writeUInt32BE(0xff744f63, 0);
  out.writeUInt32BE(2, 4);
  const fanout = new Uint32Array(256);
  for (const oid of oids) fanout[oid[0]!]!++;
  let running = 0;
  for (let b = 0; b < 256; b++) {
    running += fanout[b]!;
    out.writeUInt32BE(running, 8 + b * 4);
  }
  const names = 8 + 1024;
  const crcAt = names + n * 20;
  const offAt = crcAt + n * 4;
  const largeAt = offAt + n * 4;
  let nextLarge = 0;
  order.forEach((i, k) => {
    oids[i]!.copy(out, names + k * 20);
    out.writeUInt32BE(crcs[i]!, crcAt + k * 4);
    const offset = entries[i]!.offset;
    if (offset < 0x80000000) out.writeUInt32BE(offset, offAt + k * 4);
    else {
      out.writeUInt32BE((0x80000000 | nextLarge) >>> 0, offAt + k * 4);
      out.writeBigUInt64BE(BigInt(offset), largeAt + nextLarge * 8);
      nextLarge++;
    }
  });
  const tail = largeAt + large * 8;
  packSha.copy(out, tail);
  createHash('sha1').update(out.subarray(0, tail + 20)).digest().copy(out, tail + 20);
  return out;
}
