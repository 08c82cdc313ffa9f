// What every benchmark gets from the runner: the test bed's cluster and kubectl, one Git server,
// Sluice's pieces wired like src/service/git-sync.ts does, timed peers (kubectl, native git), and a
// cleanup scope so namespaces, temp dirs and caches go away even when a benchmark fails.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Testbed } from '../../test/testbed/testbed.ts';
import type { GitServer } from '../../test/testbed/git-server.ts';
import { runGit } from '../../test/helpers/git-repo.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { createIsomorphicGitSource } from '../../src/git/isomorphic-git-source.ts';
import { RepoSyncer } from '../../src/sync/repo-syncer.ts';
import type { CrdCatalog } from '../../src/validation/crd-catalog.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { GitSource } from '../../src/ports/git-source.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { RepoConfig } from '../../src/config/config-types.ts';
import { now } from './timing.ts';

/** Sluice's production default for `sync.concurrency` (config/config.schema.json). */
export const SYNC_CONCURRENCY = 32;
export const BENCH_LABEL = 'sluice.dev/bench';

export interface Phases {
  /** resolve() called → readFiles() done (or ensureCommit() done when the files were not read again). */
  gitMs: number;
  /** First object apply sent → last object apply answered (0 when nothing was applied). */
  applyMs: number;
  /** Object applies Sluice sent (the inventory write is counted apart). */
  applies: number;
  inventoryWrites: number;
}

export interface InstrumentedSyncer {
  syncer: RepoSyncer;
  source: GitSource;
  /** Phase timings of the last trigger(); call reset() before each. */
  phases(): Phases;
  reset(): void;
}

export interface BenchContext {
  bed: Testbed;
  kubeConfig: KubeConfig;
  kube: KubeClient;
  git: GitServer;
  crdCatalog: CrdCatalog;
  log(line: string): void;
  /** Registers cleanup, run in reverse order when the benchmark ends (also on failure). */
  defer(fn: () => Promise<void> | void): void;
  tmpDir(prefix: string): Promise<string>;
  /** A namespace labelled for the benchmarks; deleted (and waited for) at the end. */
  newNamespace(prefix: string): Promise<string>;
  /** Runs the test bed's kubectl against the test bed; rejects on a non-zero exit. */
  kubectl(args: string[]): Promise<{ ms: number; stdout: string }>;
  /** Runs native git with the server's credentials in a header (never in a URL). */
  nativeGit(cwd: string, args: string[]): Promise<{ ms: number; stdout: string }>;
  /** A RepoSyncer of the Git server's repository `repoName`, configured as `syncName` (default: the same). */
  syncer(opts: { repoName: string; syncName?: string; namespace: string; paths: string[]; cacheDir: string }): InstrumentedSyncer;
  /** Write requests (POST/PUT/PATCH/APPLY/DELETE) the API server has served for `resource` since it started. */
  apiWrites(resource: string): Promise<number>;
  /** name → resourceVersion of every `kind` object in the namespace. */
  resourceVersions(apiVersion: string, kind: string, namespace: string): Promise<Map<string, string>>;
}

const silentLog = createLogger({ level: 'silent', format: 'json', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

export function createContext(base: { bed: Testbed; kubeConfig: KubeConfig; kube: KubeClient; git: GitServer; crdCatalog: CrdCatalog; log: (line: string) => void }): {
  ctx: BenchContext;
  cleanup(): Promise<void>;
} {
  const cleanups: Array<() => Promise<void> | void> = [];
  const namespaces: string[] = [];
  const { bed, kube, git } = base;
  const authHeader = `http.extraHeader=Authorization: Basic ${Buffer.from(`${git.credentials.username}:${git.credentials.password}`).toString('base64')}`;

  const ctx: BenchContext = {
    ...base,
    defer: (fn) => void cleanups.push(fn),
    async tmpDir(prefix) {
      const dir = await mkdtemp(join(tmpdir(), `sluice-bench-${prefix}-`));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    async newNamespace(prefix) {
      const name = `bench-${prefix}-${randomBytes(3).toString('hex')}`;
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [BENCH_LABEL]: 'true' } } });
      namespaces.push(name);
      return name;
    },
    async kubectl(args) {
      const start = now();
      const stdout = await run(bed.kubectl, ['--kubeconfig', bed.kubeconfigPath, ...args], process.cwd(), process.env);
      return { ms: now() - start, stdout };
    },
    async nativeGit(cwd, args) {
      const start = now();
      const stdout = await runGit(cwd, ['-c', authHeader, ...args]);
      return { ms: now() - start, stdout };
    },
    syncer(opts) {
      const repo: RepoConfig = {
        name: opts.syncName ?? opts.repoName,
        url: git.repoUrl(opts.repoName),
        ref: { branch: 'main' },
        paths: opts.paths,
        schedule: '* * * * *',
        prune: true,
        namespace: opts.namespace,
      };
      const fresh = () => ({ resolveAt: 0, commitDoneAt: 0, readDoneAt: 0, firstApplyAt: 0, lastApplyDoneAt: 0, applies: 0, inventoryWrites: 0 });
      let marks = fresh();
      const inner = createIsomorphicGitSource({ name: repo.name, url: repo.url, ref: repo.ref, auth: git.credentials, cacheDir: opts.cacheDir });
      const source: GitSource = {
        resolve: () => ((marks.resolveAt = now()), inner.resolve()),
        ensureCommit: async (rev, o) => {
          const out = await inner.ensureCommit(rev, o);
          marks.commitDoneAt = now();
          return out;
        },
        readFiles: async (sha, paths) => {
          const out = await inner.readFiles(sha, paths);
          marks.readDoneAt = now();
          return out;
        },
      };
      // Forwards everything to the real client; only object applies (from applyObjects) and the
      // inventory and state writes (saveInventory uses apply) are timed and counted.
      const cluster = new Proxy(kube, {
        get(target, prop, receiver) {
          if (prop === 'applyDetailed') {
            return async (obj: KubeObject, o?: object) => {
              marks.applies++;
              if (!marks.firstApplyAt) marks.firstApplyAt = now();
              try {
                return await target.applyDetailed(obj, o);
              } finally {
                marks.lastApplyDoneAt = now();
              }
            };
          }
          if (prop === 'apply') {
            return (obj: KubeObject, o?: object) => ((marks.inventoryWrites++), target.apply(obj, o));
          }
          const value = Reflect.get(target, prop, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const syncer = new RepoSyncer({
        repo,
        git: source,
        cluster,
        crdCatalog: base.crdCatalog,
        stateNamespace: opts.namespace,
        concurrency: SYNC_CONCURRENCY,
        limits: { maxFileBytes: 1 << 20, maxTotalBytes: 64 << 20, maxAliasCount: 100 },
        log: silentLog,
      });
      return {
        syncer,
        source: inner,
        phases: () => ({
          gitMs: Math.max(marks.readDoneAt, marks.commitDoneAt) - marks.resolveAt,
          applyMs: marks.firstApplyAt ? marks.lastApplyDoneAt - marks.firstApplyAt : 0,
          applies: marks.applies,
          inventoryWrites: marks.inventoryWrites,
        }),
        reset: () => void (marks = fresh()),
      };
    },
    async apiWrites(resource) {
      const text = await rawGet(base.kubeConfig, '/metrics');
      let total = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith('apiserver_request_total{')) continue;
        const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
        // Writes to the object itself, not to status or other subresources.
        if (!labels.includes(`resource="${resource}"`) || /subresource="[^"]+"/.test(labels)) continue;
        const verb = /(?:^|,)verb="([A-Z]+)"/.exec(labels)?.[1];
        if (verb && ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION', 'CREATE', 'UPDATE'].includes(verb)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return total;
    },
    async resourceVersions(apiVersion, kind, namespace) {
      const list = await kube.list({ apiVersion, kind, namespace });
      return new Map(list.items.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']));
    },
  };

  // Once only: a signal may start it while the benchmark's own `finally` also does.
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= cleanupOnce());
  const cleanupOnce = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        base.log(`cleanup: ${(err as Error).message}`);
      }
    }
    // Namespaces last, and waited for: their deletion loads the API server, which would skew the next benchmark.
    for (const ns of namespaces) await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch((err: Error) => base.log(`cleanup: namespace ${ns}: ${err.message}`));
    const deadline = Date.now() + 180_000;
    for (const ns of namespaces) {
      while (Date.now() < deadline && (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined))) await new Promise((r) => setTimeout(r, 500));
    }
  };
  return { ctx, cleanup };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.slice(2).join(' ')} failed: ${stderr.trim().split('\n').slice(-5).join('\n') || err.message}`));
      else resolve(stdout);
    });
  });
}

/** A GET whose body is not JSON (the API server's /metrics), with the kubeconfig's credentials. */
async function rawGet(kc: KubeConfig, path: string): Promise<string> {
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const url = new URL(server.pathname.replace(/\/$/, '') + path, server);
  const opts: RequestOptions = { method: 'GET', headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return await new Promise((resolve, reject) => {
    const req = send(url, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ((res.statusCode ?? 0) === 200 ? resolve(body) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`))));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}
