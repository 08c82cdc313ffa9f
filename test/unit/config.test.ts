import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, loadConfig, ConfigError, ENV_OVERRIDES } from '../../src/config/load-config.ts';
import { readFileSync } from 'node:fs';

const fail = (text: string, env: NodeJS.ProcessEnv = {}): string => {
  try {
    parseConfig(text, 'sluice.yaml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'a config error is one line');
    return err.message;
  }
  assert.fail('expected the config to be rejected');
};

test('a minimal config gets every default from the schema', () => {
  const c = parseConfig('server:\n  port: 8080\n', 'sluice.yaml');
  assert.deepEqual(c, {
    server: { port: 8080, host: '0.0.0.0', shutdownTimeoutSeconds: 10, bodyLimitBytes: 1048576 },
    log: { level: 'info', format: 'auto' },
    kubernetes: { resyncSeconds: 900 },
    git: {},
    sync: { stateNamespace: 'sluice-system', concurrency: 32, maxFileBytes: 1048576, maxRepoBytes: 67108864 },
    analysis: { workers: 100 },
    repos: [],
    webhooks: { maxBodyBytes: 5242880 },
    api: {},
  });
});

test('an unknown key is named with its file and line, and the allowed keys', () => {
  assert.equal(fail('server:\n  port: 1\n  prot: 2\n'), 'sluice.yaml:3: server.prot: unknown key (allowed: host, port, shutdownTimeoutSeconds, bodyLimitBytes)');
  assert.equal(fail('server:\n  port: 1\nlogging: {}\n'), 'sluice.yaml:3: logging: unknown key (allowed: server, log, kubernetes, api, git, sync, analysis, repos, webhooks)');
});

test('a wrong type names the key, the expected type and what was found', () => {
  assert.equal(fail('server:\n  port: "eighty"\n'), 'sluice.yaml:2: server.port: must be an integer, got string "eighty"');
  assert.equal(fail('server:\n  port: 1\nlog:\n  level: loud\n'), 'sluice.yaml:4: log.level: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
  assert.equal(fail('server: 5\n'), 'sluice.yaml:1: server: must be an object, got number 5');
});

test('a missing required value points at its parent', () => {
  assert.equal(fail('log:\n  level: info\n'), 'sluice.yaml:1: server: required value missing');
  assert.equal(fail('server:\n  host: localhost\n'), 'sluice.yaml:1: server.port: required value missing');
  assert.equal(fail(''), 'sluice.yaml:1: server: required value missing');
});

test('out-of-range values are rejected', () => {
  assert.match(fail('server:\n  port: 70000\n'), /^sluice\.yaml:2: server\.port: must be <= 65535$/);
  assert.match(fail('server:\n  port: 1\napi:\n  token: short\n'), /^sluice\.yaml:4: api\.token: must NOT have fewer than 16 characters$/);
});

test('YAML syntax errors carry the line', () => {
  assert.match(fail('server:\n  port: 1\n  host: [a\n'), /^sluice\.yaml:\d+: YAML syntax error: /);
  assert.match(fail('server:\n  port: 1\n  port: 2\n'), /^sluice\.yaml:3: YAML syntax error: Map keys must be unique/);
  assert.equal(fail('- a\n- b\n'), 'sluice.yaml:1: the config must be a mapping of keys (server, log, kubernetes, api)');
});

test('environment variables override the file, and bad values name the variable', () => {
  const c = parseConfig('server:\n  port: 1\n', 'sluice.yaml', { SLUICE_SERVER_PORT: '9090', SLUICE_LOG_LEVEL: 'debug', SLUICE_API_TOKEN: 'x'.repeat(20) });
  assert.equal(c.server.port, 9090);
  assert.equal(c.log.level, 'debug');
  assert.equal(c.api.token, 'x'.repeat(20));
  // An env var can also supply a required value the file lacks.
  assert.equal(parseConfig('{}', 'sluice.yaml', { SLUICE_SERVER_PORT: '80' }).server.port, 80);
  assert.equal(fail('server:\n  port: 1\n', { SLUICE_SERVER_PORT: 'abc' }), 'SLUICE_SERVER_PORT (server.port): must be an integer, got "abc"');
  assert.equal(fail('server:\n  port: 1\n', { SLUICE_LOG_LEVEL: 'loud' }), 'SLUICE_LOG_LEVEL (log.level): must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
});

test('every environment override is documented in README.md', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const o of ENV_OVERRIDES) assert.ok(readme.includes(o.env), `${o.env} missing from README.md`);
});

test('the API token can come from a file, and an unreadable file is reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
  writeFileSync(join(dir, 'token'), 'a-very-secret-token-value\n');
  writeFileSync(join(dir, 'c.yaml'), `server:\n  port: 1\napi:\n  tokenFile: ${join(dir, 'token')}\n`);
  assert.equal(loadConfig(join(dir, 'c.yaml'), {}).api.token, 'a-very-secret-token-value');
  writeFileSync(join(dir, 'd.yaml'), `server:\n  port: 1\napi:\n  tokenFile: ${join(dir, 'missing')}\n`);
  assert.throws(() => loadConfig(join(dir, 'd.yaml'), {}), (e: Error) => e.message === `${join(dir, 'd.yaml')}:4: api.tokenFile: cannot read ${join(dir, 'missing')} (ENOENT)`);
  assert.throws(() => loadConfig(join(dir, 'nope.yaml'), {}), (e: Error) => e.message === `${join(dir, 'nope.yaml')}: cannot read config file (no such file)`);
});

test('the example config in config/ is valid', () => {
  const c = loadConfig(new URL('../../config/sluice.example.yaml', import.meta.url).pathname, {});
  assert.equal(typeof c.server.port, 'number');
});

const repo = (extra: string) => `server:\n  port: 1\nrepos:\n  - name: apps\n    url: https://git.example.com/org/apps.git\n${extra}`;

test('a repo gets its defaults, and no ref means the remote HEAD', () => {
  const c = parseConfig(repo(''), 'sluice.yaml');
  assert.deepEqual(c.repos, [{ name: 'apps', url: 'https://git.example.com/org/apps.git', paths: ['.'], schedule: '* * * * *', prune: true, namespace: 'default', ref: { head: true } }]);
});

test('refs: branch, tag, semver, commit (optionally with its branch); never two kinds at once', () => {
  assert.deepEqual(parseConfig(repo('    ref:\n      branch: main\n'), 's').repos[0]?.ref, { branch: 'main' });
  assert.deepEqual(parseConfig(repo('    ref:\n      tag: v1.2.3\n'), 's').repos[0]?.ref, { tag: 'v1.2.3' });
  assert.deepEqual(parseConfig(repo('    ref:\n      semver: ">=1.2.0 <2"\n'), 's').repos[0]?.ref, { semver: '>=1.2.0 <2' });
  const sha = 'a'.repeat(40);
  assert.deepEqual(parseConfig(repo(`    ref:\n      commit: ${sha}\n      branch: release\n`), 's').repos[0]?.ref, { commit: sha, branch: 'release' });
  assert.equal(fail(repo('    ref:\n      branch: main\n      tag: v1\n')), 'sluice.yaml:6: repos[0].ref: give exactly one of branch, tag, semver, commit (commit may name the branch it is on), not branch and tag');
  assert.equal(fail(repo('    ref:\n      semver: banana\n')), 'sluice.yaml:7: repos[0].ref.semver: "banana" is not a semver range');
  assert.equal(fail(repo('    ref:\n      commit: abc\n')), 'sluice.yaml:7: repos[0].ref.commit: must be a full 40-character lowercase commit id');
  assert.equal(fail(repo('    ref: {}\n')), 'sluice.yaml:6: repos[0].ref: must NOT have fewer than 1 properties');
});

test('repo names are unique and well-formed; URLs are http(s); schedules are cron expressions', () => {
  assert.equal(fail(repo('  - name: apps\n    url: https://x/y.git\n')), 'sluice.yaml:6: repos[1].name: "apps" is already used by repos[0]');
  assert.equal(fail('server:\n  port: 1\nrepos:\n  - name: Apps\n    url: https://x/y.git\n'), 'sluice.yaml:4: repos[0].name: must be lowercase letters, digits and "-", starting and ending with a letter or digit, at most 40 characters');
  assert.equal(fail('server:\n  port: 1\nrepos:\n  - name: apps\n    url: git@github.com:o/r.git\n'), 'sluice.yaml:5: repos[0].url: must be an http:// or https:// URL');
  assert.equal(fail('server:\n  port: 1\nrepos:\n  - url: https://x/y.git\n'), 'sluice.yaml:4: repos[0].name: required value missing');
  assert.equal(fail(repo('    schedule: every minute\n')), 'sluice.yaml:6: repos[0].schedule: "every minute" is not a cron expression');
  assert.equal(parseConfig(repo('    schedule: "*/15 * * * * *"\n'), 's').repos[0]?.schedule, '*/15 * * * * *');
  assert.equal(fail(repo('    prune: maybe\n')), 'sluice.yaml:6: repos[0].prune: must be a boolean, got string "maybe"');
});

test('credentials come from env or file, are checked at load, and stay out of serialised config', () => {
  const c = parseConfig(repo('    credentials:\n      username: bot\n      tokenEnv: GIT_TOKEN\n'), 's', { GIT_TOKEN: 'hunter2-token' });
  assert.deepEqual(c.repos[0]?.auth, { username: 'bot', password: 'hunter2-token' });
  assert.ok(!JSON.stringify(c).includes('hunter2-token'), 'the resolved token is not enumerable');
  assert.equal(fail(repo('    credentials:\n      tokenEnv: GIT_TOKEN\n')), 'sluice.yaml:7: repos[0].credentials.tokenEnv: environment variable GIT_TOKEN is not set');
  assert.equal(fail(repo('    credentials:\n      username: bot\n')), 'sluice.yaml:6: repos[0].credentials: give exactly one of tokenEnv, tokenFile');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cred-'));
  writeFileSync(join(dir, 'tok'), 'file-token\n');
  const f = parseConfig(repo(`    credentials:\n      usernameEnv: GIT_USER\n      tokenFile: ${join(dir, 'tok')}\n`), 's', { GIT_USER: 'me' });
  assert.deepEqual(f.repos[0]?.auth, { username: 'me', password: 'file-token' });
  assert.equal(fail(repo(`    credentials:\n      tokenFile: ${join(dir, 'missing')}\n`)), `sluice.yaml:7: repos[0].credentials.tokenFile: cannot read ${join(dir, 'missing')} (ENOENT)`);
});

test('repos[].host: API URL and repository from the clone URL, the token resolved and never serialised', () => {
  const gh = parseConfig(repo('    host:\n      type: github\n      tokenEnv: GH_TOKEN\n'), 's', { GH_TOKEN: 'ghp_secret' });
  assert.equal(gh.repos[0]?.host?.apiUrl, 'https://api.github.com');
  assert.equal(gh.repos[0]?.host?.repository, 'org/apps');
  assert.equal(gh.repos[0]?.host?.token, 'ghp_secret');
  assert.deepEqual(gh.repos[0]?.host?.approvers, []);
  assert.equal(gh.repos[0]?.host?.pullRequests, true);
  assert.ok(!JSON.stringify(gh).includes('ghp_secret'));
  const gitea = parseConfig(repo('    host:\n      type: gitea\n      tokenEnv: T\n      approvers: [alice]\n'), 's', { T: 'x' });
  assert.equal(gitea.repos[0]?.host?.apiUrl, 'https://git.example.com/api/v1');
  assert.equal(fail(repo('    host:\n      type: gitlab\n')), 'sluice.yaml:6: repos[0].host: give exactly one of tokenEnv, tokenFile');
  assert.equal(fail(repo('    host:\n      type: gitlab\n      tokenEnv: NOPE\n')), 'sluice.yaml:8: repos[0].host.tokenEnv: environment variable NOPE is not set');
  assert.equal(fail(repo('    host:\n      type: bitbucket\n      tokenEnv: T\n'), { T: 'x' }), 'sluice.yaml:7: repos[0].host.type: must be one of github, gitlab, gitea, got "bitbucket"');
});

test('repos[].writeback gets its defaults and may not write to the branch it syncs from', () => {
  const c = parseConfig(repo('    writeback: {}\n'), 's');
  assert.deepEqual(c.repos[0]?.writeback, { branch: 'sluice-status', path: 'status', batchWindowMs: 2000, authorName: 'Sluice', authorEmail: 'sluice@localhost', maxPushAttempts: 5 });
  assert.equal(parseConfig(repo(''), 's').repos[0]?.writeback, undefined, 'no writeback unless configured');
  assert.equal(fail(repo('    ref:\n      branch: main\n    writeback:\n      branch: main\n')), 'sluice.yaml:9: repos[0].writeback.branch: "main" is the branch Sluice syncs from; status commits need a branch of their own');
});

test('webhooks: a secret per host from env or file, never serialised', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-hook-'));
  writeFileSync(join(dir, 'gl'), 'gitlab-token\n');
  const c = parseConfig(`server:\n  port: 1\nwebhooks:\n  github:\n    secretEnv: GH_HOOK\n  gitlab:\n    secretFile: ${join(dir, 'gl')}\n`, 's', { GH_HOOK: 'hook-secret' });
  assert.equal(c.webhooks.github?.secret, 'hook-secret');
  assert.equal(c.webhooks.gitlab?.secret, 'gitlab-token');
  assert.equal(c.webhooks.maxBodyBytes, 5242880);
  assert.ok(!JSON.stringify(c).includes('hook-secret'));
  assert.equal(fail('server:\n  port: 1\nwebhooks:\n  gitea:\n    secretEnv: NOPE\n'), 'sluice.yaml:5: webhooks.gitea.secretEnv: environment variable NOPE is not set');
  assert.equal(fail('server:\n  port: 1\nwebhooks:\n  bitbucket: {}\n'), 'sluice.yaml:4: webhooks.bitbucket: give exactly one of secretEnv, secretFile');
});
