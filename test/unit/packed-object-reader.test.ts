// The native reader of packed objects against native git and isomorphic-git: every object of packs
// with offset deltas and with reference deltas reads back as `git cat-file` shows it; trees parse
// as isomorphic-git's readTree gives them (subdirectories, executables, symlinks, submodules);
// an object that is not packed is undefined; a pack added later is found after refresh().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import nodeFs from 'node:fs';
import { commitTree, packedObjectReader, parseTree } from '../../src/git/packed-object-reader.ts';

let dir: string;
const run = (args: string[], input?: string) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, input, maxBuffer: 64 << 20 });

// A bare gitdir holding one pack of `revs` made with `flags`, indexed by git.
function packedGitdir(revs: string, flags: string[]): string {
  const gitdir = mkdtempSync(join(dir, 'bare-'));
  execFileSync('git', ['init', '-q', '--bare', gitdir]);
  const objects = run(['rev-list', '--objects', ...revs.split(' ')]);
  run(['pack-objects', ...flags, join(gitdir, 'objects/pack/pack')], objects.toString());
  return gitdir;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-packed-reader-'));
  run(['init', '-q', '-b', 'main']);
  for (let c = 0; c < 4; c++) {
    mkdirSync(join(dir, 'deploy/nested'), { recursive: true });
    for (let f = 0; f < 20; f++) writeFileSync(join(dir, `deploy/f${f}.yaml`), `kind: ConfigMap\nmetadata:\n  name: cm-${f}\ndata:\n  rev: "${c}"\n${'  pad: delta material\n'.repeat(10 + f)}`);
    writeFileSync(join(dir, 'deploy/nested/run.sh'), `#!/bin/sh\necho ${c}\n`);
    chmodSync(join(dir, 'deploy/nested/run.sh'), 0o755);
    if (c === 0) symlinkSync('f1.yaml', join(dir, 'deploy/link.yaml'));
    run(['add', '-A']);
    // A submodule (gitlink): add -A drops it again each time, as it has no directory.
    run(['update-index', '--add', '--cacheinfo', `160000,${'a'.repeat(40)},deploy/submodule`]);
    run(['commit', '-qm', `c${c}`]);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const [label, flags] of [['offset deltas', ['--delta-base-offset']], ['reference deltas', []]] as const) {
  test(`every object of a pack with ${label} reads back as git cat-file shows it`, async () => {
    const gitdir = packedGitdir('main', [...flags]);
    const reader = packedObjectReader(gitdir);
    const oids = run(['rev-list', '--objects', 'main']).toString().trim().split('\n').map((l) => l.slice(0, 40));
    assert.ok(oids.length > 80);
    // git cat-file --batch: "<oid> <type> <size>\n<content>\n" per object.
    const batch = run(['cat-file', '--batch'], oids.join('\n') + '\n');
    let pos = 0;
    for (const oid of oids) {
      const eol = batch.indexOf(10, pos);
      const [, type, size] = batch.toString('latin1', pos, eol).split(' ');
      const content = batch.subarray(eol + 1, eol + 1 + Number(size));
      pos = eol + 2 + Number(size);
      const obj = await reader.read(oid);
      assert.ok(obj, `${oid} found`);
      assert.equal(obj.type, type);
      assert.deepEqual(obj.data, content);
    }
    assert.equal(await reader.read('0'.repeat(40)), undefined);
    assert.equal(await reader.read('not an oid'), undefined);
  });
}

test('trees parse as isomorphic-git reads them; a commit gives its tree', async () => {
  const gitdir = packedGitdir('main', ['--delta-base-offset']);
  const reader = packedObjectReader(gitdir);
  const head = run(['rev-parse', 'main']).toString().trim();
  const commit = await reader.read(head);
  assert.equal(commit?.type, 'commit');
  const tree = commitTree(commit!.data);
  assert.equal(tree, run(['rev-parse', 'main^{tree}']).toString().trim());
  for (const path of ['', 'deploy', 'deploy/nested']) {
    const oid = run(['rev-parse', `main:${path}`]).toString().trim();
    const ours = parseTree((await reader.read(oid))!.data);
    const theirs = (await git.readTree({ fs: nodeFs, gitdir, oid })).tree;
    assert.deepEqual(ours, theirs, path || '(root)');
  }
  const deploy = parseTree((await reader.read(run(['rev-parse', 'main:deploy']).toString().trim()))!.data);
  assert.deepEqual(
    deploy.filter((e) => !e.path.startsWith('f')).map((e) => `${e.mode} ${e.type} ${e.path}`),
    ['120000 blob link.yaml', '040000 tree nested', '160000 commit submodule'],
  );
});

test('a pack added after the first read is found after refresh(); loose objects are left to the caller', async () => {
  const gitdir = packedGitdir('main~2', ['--delta-base-offset']);
  const reader = packedObjectReader(gitdir);
  const head = run(['rev-parse', 'main']).toString().trim();
  assert.equal((await reader.read(run(['rev-parse', 'main~2']).toString().trim()))?.type, 'commit');
  const later = packedGitdir('main~2..main', ['--delta-base-offset']);
  for (const f of readdirSync(join(later, 'objects/pack'))) copyFileSync(join(later, 'objects/pack', f), join(gitdir, 'objects/pack', f));
  assert.equal(await reader.read(head), undefined, 'the listing is kept until refresh()');
  reader.refresh();
  assert.equal((await reader.read(head))?.type, 'commit');
  const loose = run(['hash-object', '-w', '--stdin'], 'loose\n').toString().trim();
  assert.equal(await reader.read(loose), undefined);
});
