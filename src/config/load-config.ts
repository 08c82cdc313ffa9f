// Reads the YAML config, applies environment overrides, validates it against
// config/config.schema.json (filling defaults) and resolves secrets. Any problem becomes one
// ConfigError whose message is a single line naming the file, the line and the key.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument, LineCounter, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import { validate as isValidCron } from 'node-cron';
import semver from 'semver';
const semverValidRange = semver.validRange;
import type { SluiceConfig, RepoConfig, RefSpec } from './config-types.ts';
import configSchema from '../../config/config.schema.json' with { type: 'json' };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variables that override config keys. Documented in README.md. */
export const ENV_OVERRIDES = [
  { env: 'SLUICE_SERVER_HOST', path: ['server', 'host'], type: 'string' },
  { env: 'SLUICE_SERVER_PORT', path: ['server', 'port'], type: 'integer' },
  { env: 'SLUICE_LOG_LEVEL', path: ['log', 'level'], type: 'string' },
  { env: 'SLUICE_LOG_FORMAT', path: ['log', 'format'], type: 'string' },
  { env: 'SLUICE_KUBECONFIG', path: ['kubernetes', 'kubeconfig'], type: 'string' },
  { env: 'SLUICE_KUBE_CONTEXT', path: ['kubernetes', 'context'], type: 'string' },
  { env: 'SLUICE_NAMESPACE', path: ['kubernetes', 'namespace'], type: 'string' },
  { env: 'SLUICE_API_TOKEN', path: ['api', 'token'], type: 'string' },
] as const;

// allErrors so that a misspelt key is reported as unknown rather than as a missing required one.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true });
// Our own annotation keyword: a human sentence for a pattern, instead of the regular expression.
ajv.addVocabulary(['patternMessage']);
const validate = ajv.compile<SluiceConfig>(configSchema);

type Path = (string | number)[];

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): SluiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read config file (${code === 'ENOENT' ? 'no such file' : (err as Error).message})`);
  }
  return parseConfig(text, file, env);
}

export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = {}): SluiceConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    throw new ConfigError(`${source}:${line}: YAML syntax error: ${firstError.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 50 });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}:1: the config must be a mapping of keys (server, log, kubernetes, api)`);
  }
  const config = raw as Record<string, unknown>;
  // A section whose keys are all commented out reads as null; treat it as absent (defaults apply).
  for (const [key, value] of Object.entries(config)) if (value === null) delete config[key];
  const fromEnv = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const value = env[o.env];
    if (value === undefined || value === '') continue;
    let parsed: string | number = value;
    if (o.type === 'integer') {
      if (!/^-?\d+$/.test(value.trim())) throw new ConfigError(`${o.env} (${o.path.join('.')}): must be an integer, got "${value}"`);
      parsed = Number(value);
    }
    setIn(config, [...o.path], parsed);
    fromEnv.set(o.path.join('.'), o.env);
  }
  if (!validate(config)) {
    const errors = validate.errors ?? [];
    const err = errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0];
    if (err) throw new ConfigError(describe(err, source, doc, lineCounter, fromEnv, config));
    throw new ConfigError(`${source}: invalid config`);
  }
  const result = config as unknown as SluiceConfig;
  const at = (path: Path, keyNode = true) => `${source}:${lineOf(doc, lineCounter, path, keyNode)}`;
  checkRepos(result.repos, at, env);
  checkWebhooks(result, at, env);
  if (result.api.tokenFile && !result.api.token) {
    try {
      result.api.token = readFileSync(result.api.tokenFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(`${source}:${lineOf(doc, lineCounter, ['api', 'tokenFile'])}: api.tokenFile: cannot read ${result.api.tokenFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (result.api.token.length < 16) throw new ConfigError(`${result.api.tokenFile}: api.tokenFile: the token must be at least 16 characters`);
  }
  return result;
}

function setIn(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1] as string] = value;
}

function describe(err: ErrorObject, source: string, doc: Document, lc: LineCounter, fromEnv: Map<string, string>, config: unknown): string {
  const path: Path = err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let problem: string;
  let where: Path = path;
  let keyOnly = false;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = (err.params as { additionalProperty: string }).additionalProperty;
      where = [...path, key];
      keyOnly = true;
      const allowed = Object.keys(schemaAt(path)?.properties ?? {});
      problem = `unknown key${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`;
      break;
    }
    case 'required':
      where = [...path, (err.params as { missingProperty: string }).missingProperty];
      problem = 'required value missing';
      break;
    case 'type':
      problem = `must be ${article((err.params as { type: string }).type)}, got ${typeName(valueAt(config, path))}`;
      break;
    case 'enum':
      problem = `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}, got ${JSON.stringify(valueAt(config, path))}`;
      break;
    case 'pattern':
      problem = (err.parentSchema as { patternMessage?: string } | undefined)?.patternMessage ?? err.message ?? 'invalid value';
      break;
    default:
      problem = err.message ?? 'invalid value';
  }
  const key = formatKey(where);
  const envName = fromEnv.get(key);
  if (envName) return `${envName} (${key}): ${problem}`;
  // A missing key has no line of its own: point at its parent mapping.
  const line = err.keyword === 'required' ? lineOf(doc, lc, path, true) : lineOf(doc, lc, where, keyOnly);
  return `${source}:${line}: ${key}: ${problem}`;
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}

function schemaAt(path: Path): SchemaNode | undefined {
  let node: SchemaNode | undefined = configSchema as SchemaNode;
  for (const seg of path) node = node?.properties?.[String(seg)];
  return node;
}

function valueAt(config: unknown, path: Path): unknown {
  let v: unknown = config;
  for (const seg of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[String(seg)] : undefined;
  return v;
}

function lineOf(doc: Document, lc: LineCounter, path: Path, keyNode = false): number {
  // Walk down the mappings; for an unknown key we want the key's own line.
  let node: unknown = doc.contents;
  let line = 1;
  for (const seg of path) {
    if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) break;
      if (item.range) line = lc.linePos(item.range[0]).line;
      node = item;
      continue;
    }
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
    if (!pair) break;
    const target = keyNode || !(pair.value as Node | null)?.range ? (pair.key as Node) : (pair.value as Node);
    if (target?.range) line = lc.linePos(target.range[0]).line;
    node = pair.value;
  }
  return line;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Checks the schema cannot express: unique names, one kind of ref, cron syntax, credentials. */
function checkRepos(repos: RepoConfig[], at: (path: Path, keyNode?: boolean) => string, env: NodeJS.ProcessEnv): void {
  const seen = new Map<string, number>();
  repos.forEach((repo, i) => {
    const first = seen.get(repo.name);
    if (first !== undefined) throw new ConfigError(`${at(['repos', i, 'name'])}: repos[${i}].name: "${repo.name}" is already used by repos[${first}]`);
    seen.set(repo.name, i);
    const ref = (repo.ref ?? {}) as Record<string, string | undefined>;
    const kinds = ['branch', 'tag', 'semver', 'commit'].filter((k) => ref[k] !== undefined);
    const allowedPair = kinds.length === 2 && kinds.includes('branch') && kinds.includes('commit');
    if (kinds.length > 1 && !allowedPair) {
      throw new ConfigError(`${at(['repos', i, 'ref'])}: repos[${i}].ref: give exactly one of branch, tag, semver, commit (commit may name the branch it is on), not ${kinds.join(' and ')}`);
    }
    if (ref.semver !== undefined && !isSemverRange(ref.semver)) throw new ConfigError(`${at(['repos', i, 'ref', 'semver'], false)}: repos[${i}].ref.semver: "${ref.semver}" is not a semver range`);
    repo.ref = (kinds.length ? ref : { head: true }) as RefSpec;
    if (!isValidCron(repo.schedule)) throw new ConfigError(`${at(['repos', i, 'schedule'], false)}: repos[${i}].schedule: "${repo.schedule}" is not a cron expression`);
    const c = repo.credentials;
    if (c) {
      if (c.username !== undefined && c.usernameEnv !== undefined) throw new ConfigError(`${at(['repos', i, 'credentials'])}: repos[${i}].credentials: give username or usernameEnv, not both`);
      if ((c.tokenEnv === undefined) === (c.tokenFile === undefined)) throw new ConfigError(`${at(['repos', i, 'credentials'])}: repos[${i}].credentials: give exactly one of tokenEnv, tokenFile`);
      let username = c.username ?? 'git';
      if (c.usernameEnv !== undefined) {
        const v = env[c.usernameEnv];
        if (!v) throw new ConfigError(`${at(['repos', i, 'credentials', 'usernameEnv'], false)}: repos[${i}].credentials.usernameEnv: environment variable ${c.usernameEnv} is not set`);
        username = v;
      }
      let password: string;
      if (c.tokenEnv !== undefined) {
        const v = env[c.tokenEnv];
        if (!v) throw new ConfigError(`${at(['repos', i, 'credentials', 'tokenEnv'], false)}: repos[${i}].credentials.tokenEnv: environment variable ${c.tokenEnv} is not set`);
        password = v;
      } else {
        try {
          password = readFileSync(c.tokenFile as string, 'utf8').trim();
        } catch (e) {
          throw new ConfigError(`${at(['repos', i, 'credentials', 'tokenFile'], false)}: repos[${i}].credentials.tokenFile: cannot read ${c.tokenFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
      }
      // Not enumerable: the resolved secret never appears when the config is logged or serialised.
      Object.defineProperty(repo, 'auth', { value: { username, password }, enumerable: false });
    }
    if (repo.host) checkHost(repo, i, at, env);
    if (repo.writeback && repo.ref && 'branch' in repo.ref && repo.ref.branch === repo.writeback.branch) {
      throw new ConfigError(`${at(['repos', i, 'writeback', 'branch'], false)}: repos[${i}].writeback.branch: "${repo.writeback.branch}" is the branch Sluice syncs from; status commits need a branch of their own`);
    }
  });
}

/** Reads a secret from the environment or a file, for `what` at `path` (exactly one source). */
function readSecret(src: { env?: string | undefined; file?: string | undefined; envKey: string; fileKey: string }, path: Path, at: (path: Path, keyNode?: boolean) => string, env: NodeJS.ProcessEnv): string {
  const key = formatKey(path);
  if ((src.env === undefined) === (src.file === undefined)) throw new ConfigError(`${at(path)}: ${key}: give exactly one of ${src.envKey}, ${src.fileKey}`);
  if (src.env !== undefined) {
    const v = env[src.env];
    if (!v) throw new ConfigError(`${at([...path, src.envKey], false)}: ${key}.${src.envKey}: environment variable ${src.env} is not set`);
    return v;
  }
  try {
    const v = readFileSync(src.file as string, 'utf8').trim();
    if (!v) throw new ConfigError(`${at([...path, src.fileKey], false)}: ${key}.${src.fileKey}: ${src.file} is empty`);
    return v;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${at([...path, src.fileKey], false)}: ${key}.${src.fileKey}: cannot read ${src.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const DEFAULT_API_URLS: Record<string, string> = { github: 'https://api.github.com', gitlab: 'https://gitlab.com/api/v4' };

/** repos[].host: API URL and repository from the clone URL when not given; the token resolved. */
function checkHost(repo: RepoConfig, i: number, at: (path: Path, keyNode?: boolean) => string, env: NodeJS.ProcessEnv): void {
  const host = repo.host as NonNullable<RepoConfig['host']>;
  const url = new URL(repo.url);
  host.apiUrl = (host.apiUrl ?? DEFAULT_API_URLS[host.type] ?? `${url.origin}/api/v1`).replace(/\/+$/, '');
  host.repository ??= url.pathname.replace(/^\/+/, '').replace(/\.git$/, '').replace(/\/+$/, '');
  if (!/^[^/\s]+(\/[^/\s]+)+$/.test(host.repository)) throw new ConfigError(`${at(['repos', i, 'host'])}: repos[${i}].host.repository: "${host.repository}" is not owner/name`);
  const token = readSecret({ env: host.tokenEnv, file: host.tokenFile, envKey: 'tokenEnv', fileKey: 'tokenFile' }, ['repos', i, 'host'], at, env);
  Object.defineProperty(host, 'token', { value: token, enumerable: false });
}

/** webhooks.<host>: each secret resolved (not enumerable). */
function checkWebhooks(config: SluiceConfig, at: (path: Path, keyNode?: boolean) => string, env: NodeJS.ProcessEnv): void {
  for (const name of ['github', 'gitea', 'gitlab', 'bitbucket'] as const) {
    const src = config.webhooks[name];
    if (!src) continue;
    const secret = readSecret({ env: src.secretEnv, file: src.secretFile, envKey: 'secretEnv', fileKey: 'secretFile' }, ['webhooks', name], at, env);
    Object.defineProperty(src, 'secret', { value: secret, enumerable: false });
  }
}

function isSemverRange(range: string): boolean {
  return semverValidRange(range) !== null;
}

/** `repos[0].url` style, as users read and write it. */
export function formatKey(path: Path): string {
  let out = '';
  for (const seg of path) out += /^\d+$/.test(String(seg)) ? `[${seg}]` : `${out ? '.' : ''}${seg}`;
  return out || '(top level)';
}
