// The pack file format shared by index-pack.ts (indexing a received pack) and
// packed-object-reader.ts (reading objects back): object types, entry headers, deltas.
// Pure: buffers in, values out.

export type GitObjectType = 'commit' | 'tree' | 'blob' | 'tag';

/** Entry type numbers 1-4; 6 and 7 are deltas. */
export const OBJECT_TYPES: Readonly<Record<number, GitObjectType>> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

export interface EntryHeader {
  type: number;
  /** Inflated size (of the object, or of the delta for 6 and 7). */
  size: number;
  /** Where the zlib data starts. */
  dataOffset: number;
  /** OFS_DELTA: the base entry's offset. */
  baseOffset?: number;
  /** REF_DELTA: the base object's id. */
  baseOid?: string;
}

/** The header of the pack entry at `offset`: type, size, delta base; throws on an unknown type. */
export function readEntryHeader(pack: Buffer, offset: number): EntryHeader {
  let pos = offset;
  let byte = pack[pos++]!;
  const type = (byte >> 4) & 7;
  let size = byte & 15;
  let shift = 4;
  while (byte & 0x80) {
    byte = pack[pos++]!;
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (type === OFS_DELTA) {
    byte = pack[pos++]!;
    let back = byte & 0x7f;
    while (byte & 0x80) {
      byte = pack[pos++]!;
      back = (back + 1) * 128 + (byte & 0x7f);
    }
    return { type, size, dataOffset: pos, baseOffset: offset - back };
  }
  if (type === REF_DELTA) return { type, size, dataOffset: pos + 20, baseOid: pack.toString('hex', pos, pos + 20) };
  if (!OBJECT_TYPES[type]) throw new Error(`pack entry at ${offset}: unknown type ${type}`);
  return { type, size, dataOffset: pos };
}

/** Applies a git delta (copy/insert instructions) to its base. */
export function applyDelta(delta: Buffer, base: Buffer): Buffer {
  let p = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = delta[p++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const baseSize = varint();
  if (baseSize !== base.length) throw new Error(`delta expects a base of ${baseSize} bytes, base has ${base.length}`);
  const size = varint();
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  while (p < delta.length) {
    const op = delta[p++]!;
    if (op & 0x80) {
      let from = 0;
      let len = 0;
      if (op & 0x01) from |= delta[p++]!;
      if (op & 0x02) from |= delta[p++]! << 8;
      if (op & 0x04) from |= delta[p++]! << 16;
      if (op & 0x08) from += delta[p++]! * 0x1000000;
      if (op & 0x10) len |= delta[p++]!;
      if (op & 0x20) len |= delta[p++]! << 8;
      if (op & 0x40) len |= delta[p++]! << 16;
      if (len === 0) len = 0x10000;
      if (from + len > base.length || o + len > size) throw new Error('delta copies past the end of its base or result');
      base.copy(out, o, from, from + len);
      o += len;
    } else if (op) {
      if (p + op > delta.length || o + op > size) throw new Error('delta inserts past its end');
      delta.copy(out, o, p, p + op);
      o += op;
      p += op;
    } else throw new Error('delta has a reserved instruction 0');
  }
  if (o !== size) throw new Error(`delta built ${o} bytes, expected ${size}`);
  return out;
}
