// Sluice's pack indexer against native `git index-pack`: byte-identical `.idx` files for packs with
// offset deltas, reference deltas (bases before and after them) and no deltas; corrupt packs refused;
// thin packs left to isomorphic-git; the worker-thread path equal to the in-line one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { indexPack, PackNotIndexable } from '../../src/git/index-pack.ts';
import { indexPackOffThread } from '../../src/git/index-pack-off-thread.ts';

let dir: string;
const git = (args: string[], input?: string | Buffer) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'core.bigFileThreshold=100m', ...args], { cwd: dir, input, maxBuffer: 256 << 20 });

// A pack of the objects in `revs` (rev-list --objects input) and git's own index of it.
function pack(revs: string, flags: string[] = []): { pack: Buffer; idx: Buffer } {
  const out = mkdtempSync(join(dir, 'pack-'));
  const objects = git(['rev-list', '--objects', ...revs.split(' ')]);
  const name = git(['pack-objects', ...flags, join(out, 'p')], objects).toString().trim();
  const packPath = join(out, `p-${name}.pack`);
  execFileSync('git', ['index-pack', '-o', join(out, 'git.idx'), packPath], { cwd: dir });
  return { pack: readFileSync(packPath), idx: readFileSync(join(out, 'git.idx')) };
}

// How many entries of each type (6 offset delta, 7 reference delta) a pack holds.
function entryTypes(pack: Buffer): Record<number, number> {
  const counts: Record<number, number> = {};
  let pos = 12;
  for (let i = 0; i < pack.readUInt32BE(8); i++) {
    let byte = pack[pos++]!;
    const type = (byte >> 4) & 7;
    while (byte & 0x80) byte = pack[pos++]!;
    if (type === 6) while (pack[pos++]! & 0x80);
    if (type === 7) pos += 20;
    pos += (inflateSync(pack.subarray(pos), { info: true }) as unknown as { engine: { bytesWritten: number } }).engine.bytesWritten;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-index-pack-'));
  git(['init', '-q', '-b', 'main']);
  // Similar files over several commits, so that pack-objects makes delta chains; one large blob.
  for (let c = 0; c < 5; c++) {
    for (let f = 0; f < 40; f++) writeFileSync(join(dir, `f${f}.yaml`), `kind: ConfigMap\nmetadata:\n  name: cm-${f}\ndata:\n  rev: "${c}"\n${'  line: padding for deltas\n'.repeat(20 + f)}`);
    if (c === 0) writeFileSync(join(dir, 'big.bin'), Buffer.alloc(300_000, 7));
    git(['add', '-A']);
    git(['commit', '-qm', `c${c}`]);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('offset deltas: the .idx is byte for byte what git index-pack writes', () => {
  const p = pack('main', ['--delta-base-offset']);
  assert.equal(p.pack.readUInt32BE(8), 5 * 42 + 1, 'objects: 5 commits, 5 trees, 200 file versions, one large blob');
  assert.ok((entryTypes(p.pack)[6] ?? 0) > 100 && !entryTypes(p.pack)[7]);
  assert.deepEqual(indexPack(p.pack), p.idx);
});

test('reference deltas and a pack without deltas give git index-pack’s .idx too', () => {
  // Without --delta-base-offset, pack-objects names every delta's base by object id.
  const refDeltas = pack('main');
  assert.ok((entryTypes(refDeltas.pack)[7] ?? 0) > 100 && !entryTypes(refDeltas.pack)[6]);
  assert.deepEqual(indexPack(refDeltas.pack), refDeltas.idx);
  const flat = pack('main', ['--depth=0']);
  assert.ok(!entryTypes(flat.pack)[6] && !entryTypes(flat.pack)[7]);
  assert.deepEqual(indexPack(flat.pack), flat.idx);
});

test('a reference delta before its base (git never writes one, the format allows it)', () => {
  const base = Buffer.from('kind: ConfigMap\nmetadata:\n  name: before\n');
  const baseOid = createHash('sha1').update(`blob ${base.length}\0`).update(base).digest();
  // Delta: base size, result size, copy the first 28 bytes, insert "after\n".
  const delta = Buffer.from([base.length, 34, 0x90, 28, 6, ...Buffer.from('after\n')]);
  const entry = (type: number, size: number, body: Buffer, prefix = Buffer.alloc(0)) =>
    Buffer.concat([Buffer.from([(type << 4) | (size & 15) | (size > 15 ? 0x80 : 0), ...(size > 15 ? [size >> 4] : [])]), prefix, deflateSync(body)]);
  const head = Buffer.alloc(12);
  head.write('PACK');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(2, 8);
  const body = Buffer.concat([head, entry(7, delta.length, delta, baseOid), entry(3, base.length, base)]);
  const packBytes = Buffer.concat([body, createHash('sha1').update(body).digest()]);
  const out = mkdtempSync(join(dir, 'order-'));
  writeFileSync(join(out, 'p.pack'), packBytes);
  execFileSync('git', ['index-pack', '-o', join(out, 'git.idx'), join(out, 'p.pack')], { cwd: dir });
  assert.deepEqual(indexPack(packBytes), readFileSync(join(out, 'git.idx')));
});

test('a corrupt or truncated pack is refused with a reason; a thin pack is left to isomorphic-git', () => {
  const p = pack('main', ['--delta-base-offset']);
  const flipped = Buffer.from(p.pack);
  flipped[200] = flipped[200]! ^ 0xff;
  assert.throws(() => indexPack(flipped), /checksum mismatch/);
  assert.throws(() => indexPack(p.pack.subarray(0, 40)), /checksum mismatch|not a pack/);
  assert.throws(() => indexPack(Buffer.from('not a pack at all, not even close to one')), /not a pack/);
  // A thin pack of the last commit against its parent: deltas against objects it does not hold.
  const thin = git(['pack-objects', '--thin', '--stdout', '--revs'], 'main\n^main~1\n');
  assert.throws(() => indexPack(thin), (e: unknown) => e instanceof PackNotIndexable && /not in the pack/.test((e as Error).message));
});

test('the worker-thread path gives the same .idx and the same errors', async () => {
  const p = pack('main', ['--delta-base-offset']);
  assert.deepEqual(await indexPackOffThread(p.pack, 0), p.idx);
  const flipped = Buffer.from(p.pack);
  flipped[100] = flipped[100]! ^ 0xff;
  await assert.rejects(indexPackOffThread(flipped, 0), /checksum mismatch/);
});
