import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, sink };
}

test('JSON lines with level, time and service', () => {
  const { lines, sink } = capture();
  createLogger({ level: 'info', format: 'json', destination: sink }).info({ repo: 'apps' }, 'synced');
  const line = JSON.parse(lines[0] ?? '{}');
  assert.equal(line.msg, 'synced');
  assert.equal(line.repo, 'apps');
  assert.equal(line.service, 'sluice');
  assert.equal(line.level, 30);
  assert.match(line.time, /^\d{4}-\d\d-\d\dT/);
});

test('secrets are redacted wherever they sit in a log object', () => {
  const { lines, sink } = capture();
  const log = createLogger({ level: 'info', format: 'json', destination: sink });
  log.info({ token: 'tok-1', config: { api: { token: 'tok-2' } }, auth: { password: 'pw-3' }, req: { headers: { authorization: 'Bearer tok-4' } }, credentials: { username: 'u', token: 'tok-5' } }, 'x');
  const text = lines.join('\n');
  for (const secret of ['tok-1', 'tok-2', 'pw-3', 'tok-4', 'tok-5']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  assert.ok(text.includes('[redacted]'));
  assert.ok(text.includes('"username":"u"'), 'non-secret fields stay');
});

test('pretty format is human-readable, not JSON', () => {
  const { lines, sink } = capture();
  createLogger({ level: 'info', format: 'pretty', destination: sink, isTTY: false }).info({ repo: 'apps' }, 'synced');
  const text = lines.join('\n');
  assert.match(text, /INFO.*synced/);
  assert.throws(() => JSON.parse(lines[0] ?? ''));
});

test('auto picks pretty on a terminal and JSON otherwise', () => {
  const a = capture();
  createLogger({ level: 'info', format: 'auto', destination: a.sink, isTTY: false }).info('hello');
  assert.equal(JSON.parse(a.lines[0] ?? '{}').msg, 'hello');
  const b = capture();
  createLogger({ level: 'info', format: 'auto', destination: b.sink, isTTY: true }).info('hello');
  assert.match(b.lines.join('\n'), /INFO.*hello/);
});

test('the level filters', () => {
  const { lines, sink } = capture();
  const log = createLogger({ level: 'warn', format: 'json', destination: sink });
  log.info('quiet');
  log.warn('loud');
  assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ['loud']);
});
