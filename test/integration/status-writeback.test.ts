// Status write-back end to end: a real `sluice serve` syncs a repository from the real Git server
// (basic auth) into the test bed and commits each Rollout's status to the `sluice-status` branch.
// A canary with a web analysis step and an indefinite pause shows up there as Paused with the
// analysis verdict and its value, then Healthy after promote; 20 Rollouts changing at once (with
// a foreign push to the status branch meanwhile) all land, batched into a few commits; the deploy
// branch never sees a Sluice commit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { parse } from 'yaml';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { serveSluice } from '../helpers/sluice-process.ts';
import { cloneWorkdir, runGit, type Workdir } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../testbed/git-server.ts';
import { githubDelivery, githubPushTo } from '../helpers/webhook-payloads.ts';

const TOKEN = 'writeback-tests-api-token-0123456789';
const HOOK_SECRET = 'writeback-tests-github-webhook-secret';
const BRANCH = 'sluice-status';

let web: Server;
let webUrl: string;
const sockets = new Set<Socket>();
let git: GitServer;

before(async () => {
  // The analysis target: p99 latency well under the template's limit.
  web = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ p99: 0.12 })));
  web.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  git = await startGitServer();
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => web.close(() => r()));
  await git.close();
});

interface StatusFile {
  rollout: string;
  namespace: string;
  repo: string;
  deployedCommit?: string;
  phase: string;
  message?: string;
  step?: { index: number; count: number; definition?: unknown };
  weights?: { set: number; actual: number };
  revision?: number;
  images: Array<{ image: string; tags: string[] }>;
  stableHash?: string;
  canaryHash?: string;
  analysisRuns?: Array<{ name: string; type?: string; step?: number; verdict: string; metrics: Array<{ name: string; verdict: string; value?: string }> }>;
  updatedAt: string;
}

const services = ['web-canary', 'web-stable'].map((name) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080, protocol: TCP}]\n`).join('---\n');

const template = () => `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: latency
spec:
  metrics:
    - name: p99
      successCondition: result < 0.5
      provider:
        web:
          url: ${webUrl}/latency
          jsonPath: "{$.p99}"
`;

const rollout = (name: string, image: string, steps: string, replicas = 2, app = 'web') => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  revisionHistoryLimit: 2
  selector:
    matchLabels: {app: ${app}}
  template:
    metadata:
      labels: {app: ${app}}
    spec:
      containers:
        - name: app
          image: ${image}
  strategy:
    canary:
      steps: ${steps}
`;

const WEB_STEPS = '[{setWeight: 50}, {analysis: {templates: [{templateName: latency}]}}, {pause: {}}]';

async function setup(t: import('node:test').TestContext, prefix: string, repoName: string) {
  const cluster = testCluster();
  await installCrds(cluster.kubeConfig);
  const ns = await cluster.newNamespace(t, prefix);
  const bare = await git.createRepo(repoName);
  const work = await cloneWorkdir(git, repoName);
  t.after(() => work.cleanup());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-wb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `server:\n  host: 127.0.0.1\n  port: 0\nlog:\n  level: debug\n  format: json\nkubernetes:\n  kubeconfig: ${cluster.kubeconfigPath}\n  namespace: ${ns}\ngit:\n  cacheDir: ${join(dir, 'git')}\nsync:\n  stateNamespace: ${ns}\napi:\n  token: ${TOKEN}\nwebhooks:\n  github:\n    secretEnv: WB_HOOK_SECRET\nrepos:\n  - name: ${repoName}\n    url: ${git.repoUrl(repoName)}\n    ref:\n      branch: main\n    paths: [deploy]\n    namespace: ${ns}\n    schedule: "0 0 1 1 *"\n    credentials:\n      username: ${git.credentials.username}\n      tokenEnv: WB_GIT_TOKEN\n    writeback:\n      batchWindowMs: 500\n      authorName: Sluice Bot\n      authorEmail: bot@sluice.invalid\n`,
  );
  return { ns, bare, work, config, env: { WB_GIT_TOKEN: git.credentials.password, WB_HOOK_SECRET: HOOK_SECRET } };
}

/** Commits and pushes to main, then has Sluice sync it; resolves to the deploy commit. */
async function deploy(work: Workdir, url: string, repo: string, message: string): Promise<string> {
  const sha = await work.commit(message);
  await work.push('HEAD:main');
  const res = await fetch(`${url}/api/v1/repos/${repo}/sync?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, await res.text());
  return sha;
}

/** Commits and pushes to main, then tells Sluice as GitHub would: a signed push webhook (polls are yearly). */
async function deployByWebhook(work: Workdir, url: string, repo: string, message: string): Promise<string> {
  const sha = await work.commit(message);
  await work.push('HEAD:main');
  const delivery = githubDelivery('push', githubPushTo(git.repoUrl(repo), { ref: 'refs/heads/main', after: sha }), HOOK_SECRET);
  const res = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  assert.equal(res.status, 202, await res.text());
  await waitFor(`${repo} applied ${sha} after the webhook`, async () => {
    const status = (await (await fetch(`${url}/api/v1/repos/${repo}`)).json()) as { lastAppliedCommit?: string; lastSync?: { trigger: string } };
    return status.lastAppliedCommit === sha && status.lastSync?.trigger === 'webhook';
  }, 30_000);
  return sha;
}

// The status branch as the server holds it, read with native git from the bare repository.
const branchHead = (bare: string) => runGit(bare, ['rev-parse', '--verify', '--quiet', BRANCH]).catch(() => '');
async function statusAt(bare: string, path: string, ref = BRANCH): Promise<StatusFile | undefined> {
  const text = await runGit(bare, ['show', `${ref}:${path}`]).catch(() => undefined);
  return text === undefined ? undefined : (parse(text) as StatusFile);
}
async function waitForStatus(bare: string, path: string, what: string, check: (s: StatusFile) => boolean, timeoutMs = 60_000): Promise<StatusFile> {
  let last: StatusFile | undefined;
  try {
    await waitFor(`${path} on ${BRANCH}: ${what}`, async () => {
      last = await statusAt(bare, path);
      return last !== undefined && check(last);
    }, timeoutMs, 250);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast: ${JSON.stringify(last)}`);
  }
  return last as StatusFile;
}
/** Sluice's commits on the status branch, newest first: `sha|author|subject`. */
const sluiceCommits = async (bare: string, since?: string) =>
  (await runGit(bare, ['log', '--format=%H|%an|%s', since ? `${since}..${BRANCH}` : BRANCH])).split('\n').filter((l) => l.includes('|Sluice Bot|'));

test('push, webhook, sync, a canary with a web analysis and a pause: Paused with the verdict and its value, then Healthy after promote', async (t) => {
  const { ns, bare, work, config, env } = await setup(t, 'wb-canary', 'wb-canary');
  await work.write('deploy/services.yaml', services);
  await work.write('deploy/analysis.yaml', template());
  await work.write('deploy/web.yaml', rollout('web', 'example/web:1', WEB_STEPS));
  const first = await work.commit('web 1');
  await work.push('HEAD:main');

  const sluice = await serveSluice(config, env);
  t.after(() => sluice.stop('SIGKILL'));
  const path = `status/${ns}/web.yaml`;
  const healthy1 = await waitForStatus(bare, path, 'first deploy Healthy', (s) => s.phase === 'Healthy' && s.deployedCommit === first);
  assert.equal(healthy1.rollout, 'web');
  assert.equal(healthy1.namespace, ns);
  assert.equal(healthy1.repo, 'wb-canary');
  assert.equal(healthy1.revision, 1);
  assert.deepEqual(healthy1.images, [{ image: 'example/web:1', tags: ['stable'] }]);
  const stable = healthy1.stableHash;
  assert.ok(stable);

  // The new image, pushed and announced by a GitHub push webhook, goes through setWeight, the
  // analysis, and stops at the indefinite pause.
  await work.write('deploy/web.yaml', rollout('web', 'example/web:2', WEB_STEPS));
  const second = await deployByWebhook(work, sluice.url, 'wb-canary', 'web 2');
  const paused = await waitForStatus(bare, path, 'Paused at the pause step with the analysis verdict', (s) => s.phase === 'Paused' && s.step?.index === 2 && s.analysisRuns?.[0]?.verdict === 'Successful');
  assert.equal(paused.deployedCommit, second);
  assert.equal(paused.message, 'CanaryPauseStep');
  assert.deepEqual(paused.step, { index: 2, count: 3, definition: { pause: {} } });
  assert.deepEqual(paused.weights, { set: 50, actual: 50 });
  assert.equal(paused.revision, 2);
  assert.equal(paused.stableHash, stable);
  assert.ok(paused.canaryHash && paused.canaryHash !== stable);
  assert.deepEqual(paused.images, [{ image: 'example/web:1', tags: ['stable'] }, { image: 'example/web:2', tags: ['canary'] }]);
  const run = paused.analysisRuns?.[0];
  assert.equal(run?.name, `web-${paused.canaryHash}-2-1`);
  assert.equal(run?.type, 'Step');
  assert.equal(run?.step, 1);
  assert.deepEqual(run?.metrics, [{ name: 'p99', verdict: 'Successful', value: '0.12', measuredAt: (run?.metrics[0] as { measuredAt?: string } | undefined)?.measuredAt }]);
  assert.ok((run?.metrics[0] as { measuredAt?: string } | undefined)?.measuredAt, 'when it was measured');
  const pausedCommit = await branchHead(bare);

  // Promote: a later commit says Healthy, all steps done, on the new revision.
  const promoted = await fetch(`${sluice.url}/api/v1/namespaces/${ns}/rollouts/web/promote`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(promoted.status, 200, await promoted.text());
  const healthy2 = await waitForStatus(bare, path, 'Healthy after promote', (s) => s.phase === 'Healthy' && s.step?.index === 3);
  assert.equal(healthy2.stableHash, paused.canaryHash);
  assert.equal(healthy2.canaryHash, undefined);
  assert.deepEqual(healthy2.weights, { set: 100, actual: 100 });
  assert.deepEqual(healthy2.images, [{ image: 'example/web:2', tags: ['stable'] }]);
  assert.equal(healthy2.analysisRuns?.[0]?.verdict, 'Successful', 'the revision\'s analysis stays in its status');
  const history = await runGit(bare, ['log', '--format=%H', BRANCH]);
  assert.ok(history.split('\n').includes(pausedCommit), 'the Healthy commit is a descendant of the Paused one');
  assert.equal((await statusAt(bare, path, pausedCommit))?.phase, 'Paused', 'history keeps the Paused status');

  // The deploy branch has only our own commits, and the sync still follows it.
  assert.equal(await runGit(bare, ['rev-parse', 'main']), second);
  assert.deepEqual((await runGit(bare, ['log', '--format=%an', 'main'])).split('\n'), ['Sluice Test', 'Sluice Test']);
  // A poll after all those status commits resolves the deploy branch and finds nothing to do.
  const polled = await fetch(`${sluice.url}/api/v1/repos/wb-canary/sync?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  const repoStatus = (await polled.json()) as { lastAppliedCommit: string; lastSync: { commit: string; objects: { created: number; changed: number; unchanged: number } } };
  assert.equal(repoStatus.lastAppliedCommit, second);
  assert.equal(repoStatus.lastSync.commit, second);
  assert.deepEqual([repoStatus.lastSync.objects.created, repoStatus.lastSync.objects.changed, repoStatus.lastSync.objects.unchanged], [0, 0, 4]);
  assert.ok(!(await runGit(bare, ['ls-tree', '-r', '--name-only', 'main'])).includes('status/'), 'no status file on the deploy branch');

  const metrics = await (await fetch(`${sluice.url}/metrics`)).text();
  assert.match(metrics, /^sluice_writeback_commits_total\{repo="wb-canary",result="pushed"\} ([3-9]|\d\d+)$/m);
  assert.match(metrics, /^sluice_writeback_push_attempts_total\{repo="wb-canary",result="accepted"\} \d+$/m);
  assert.ok(!sluice.output().includes(git.credentials.password), 'the Git token never reaches the log');
  const { code } = await sluice.stop();
  assert.equal(code, 0);
});

test('20 Rollouts changing at once, with a foreign push to the status branch meanwhile: all 20 statuses land, batched', async (t) => {
  const { ns, bare, work, config, env } = await setup(t, 'wb-many', 'wb-many');
  const N = 20;
  const names = Array.from({ length: N }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
  const steps = '[{setWeight: 50}, {pause: {}}]';
  for (const name of names) await work.write(`deploy/${name}.yaml`, rollout(name, 'example/app:1', steps, 1, name));
  const first = await work.commit('20 rollouts');
  await work.push('HEAD:main');
  const sluice = await serveSluice(config, env);
  t.after(() => sluice.stop('SIGKILL'));
  const pathOf = (name: string) => `status/${ns}/${name}.yaml`;
  for (const name of names) await waitForStatus(bare, pathOf(name), 'Healthy', (s) => s.phase === 'Healthy' && s.deployedCommit === first);
  const before = await branchHead(bare);

  // One commit changes the image of all 20: they all step to their pause at about the same time.
  for (const name of names) await work.write(`deploy/${name}.yaml`, rollout(name, 'example/app:2', steps, 1, name));
  const foreign = (async () => {
    const other = await cloneWorkdir(git, 'wb-many');
    try {
      await other.git('fetch', '--quiet', 'origin', BRANCH);
      await other.git('checkout', '--quiet', '-B', BRANCH, `origin/${BRANCH}`);
      await other.write('OWNERS', 'platform-team\n');
      await other.commit('foreign: OWNERS');
      await other.push(BRANCH);
    } finally {
      await other.cleanup();
    }
  })();
  const second = await deploy(work, sluice.url, 'wb-many', 'app 2 for all');
  await foreign;
  for (const name of names) {
    const s = await waitForStatus(bare, pathOf(name), 'Paused at step 1 on revision 2', (st) => st.phase === 'Paused' && st.step?.index === 1 && st.revision === 2);
    assert.equal(s.deployedCommit, second);
    assert.deepEqual(s.weights, { set: 50, actual: 50 });
  }
  const files = (await runGit(bare, ['ls-tree', '-r', '--name-only', BRANCH])).split('\n');
  assert.deepEqual(files.filter((f) => f.startsWith('status/')).sort(), names.map(pathOf).sort());
  assert.ok(files.includes('OWNERS'), 'the foreign commit is kept');
  // 20 Rollouts through Progressing and Paused is 40 status changes; batching makes a handful of commits.
  const commits = await sluiceCommits(bare, before);
  assert.ok(commits.length >= 1 && commits.length < N, `${commits.length} Sluice commits for ${N} Rollouts`);
  assert.equal(await runGit(bare, ['rev-parse', 'main']), second, 'the deploy branch holds only our pushes');

  // Nothing changes any more: no further commit (unchanged content writes nothing).
  const settled = await branchHead(bare);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await branchHead(bare), settled);
  const metrics = await (await fetch(`${sluice.url}/metrics`)).text();
  assert.match(metrics, /^sluice_writeback_pending_files\{repo="wb-many"\} 0$/m);
});
