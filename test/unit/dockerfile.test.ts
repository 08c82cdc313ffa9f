// No Docker engine runs here, so the image is checked statically, and its build step (tsc into
// dist/, then `node bin/sluice.js`) is replayed for real in a temporary directory laid out as /app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdtempSync, cpSync, symlinkSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Instruction { op: string; args: string; line: number }

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    const start = i + 1;
    if (!line.trim() || line.trim().startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + (lines[++i] ?? '');
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m) out.push({ op: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: start });
  }
  return out;
}

const instructions = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const stages = instructions.filter((i) => i.op === 'FROM');
const lastStageAt = instructions.lastIndexOf(stages[stages.length - 1] as Instruction);
const finalStage = instructions.slice(lastStageAt);

test('the Dockerfile is multi-stage on Node 24', () => {
  assert.ok(stages.length >= 2, 'at least a build and a runtime stage');
  for (const s of stages) assert.match(s.args, /^node:24[-\w.]*( AS \w+)?$/i, `line ${s.line}: base image pinned to Node 24`);
  const names = stages.map((s) => /\bAS\s+(\w+)/i.exec(s.args)?.[1]);
  for (const copy of instructions.filter((i) => i.op === 'COPY' && i.args.includes('--from='))) {
    const from = /--from=(\w+)/.exec(copy.args)?.[1];
    assert.ok(names.includes(from), `line ${copy.line}: COPY --from=${from} names a stage`);
  }
});

test('the runtime stage runs as a non-root user with `sluice serve` as entrypoint', () => {
  const user = finalStage.filter((i) => i.op === 'USER').at(-1);
  assert.ok(user, 'USER set in the final stage');
  assert.doesNotMatch(user.args, /^(root|0)(:|$)/, 'not root');
  const entry = finalStage.find((i) => i.op === 'ENTRYPOINT');
  assert.ok(entry, 'ENTRYPOINT set');
  const argv = JSON.parse(entry.args) as string[];
  assert.equal(argv.at(-1), 'serve');
  assert.ok(argv.some((a) => a.endsWith('bin/sluice.js')), 'runs the sluice bin');
});

test('everything the Dockerfile copies from the context exists, and nothing is fetched by URL', () => {
  for (const copy of instructions.filter((i) => i.op === 'COPY' && !i.args.includes('--from='))) {
    const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const src of parts.slice(0, -1)) assert.ok(existsSync(join(root, src)), `line ${copy.line}: ${src} exists`);
  }
  assert.ok(!instructions.some((i) => i.op === 'ADD' && /https?:/.test(i.args)), 'no ADD from URLs');
});

test('the image exposes the port the Kubernetes Deployment probes', () => {
  const expose = finalStage.find((i) => i.op === 'EXPOSE');
  const deployment = readFileSync(join(root, 'manifests/deploy/deployment.yaml'), 'utf8');
  assert.ok(expose && deployment.includes(`containerPort: ${expose.args}`), 'EXPOSE matches containerPort');
});

test('the build stage works: tsc output runs as the image would run it', () => {
  const app = mkdtempSync(join(tmpdir(), 'sluice-image-'));
  try {
    symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
    cpSync(join(root, 'package.json'), join(app, 'package.json'));
    cpSync(join(root, 'config'), join(app, 'config'), { recursive: true });
    cpSync(join(root, 'bin'), join(app, 'bin'), { recursive: true });
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(app, 'dist')], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
    assert.ok(existsSync(join(app, 'dist/cli/main.js')));
    const version = spawnSync(process.execPath, [join(app, 'bin/sluice.js'), '--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    writeFileSync(join(app, 'bad.yaml'), 'server:\n  port: nope\n');
    const bad = spawnSync(process.execPath, [join(app, 'bin/sluice.js'), 'serve', '--config', join(app, 'bad.yaml')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim(), `sluice: config error: ${join(app, 'bad.yaml')}:2: server.port: must be an integer, got string "nope"`);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
