// `npm run demo`: Sluice end to end on this machine. Starts the local Kubernetes control plane (or
// uses KUBECONFIG), a Git server holding an example canary Rollout, and Sluice following that
// repository; then pushes a new image tag and prints the canary stepping through to Healthy.
//   npm run demo                 run once and stop
//   npm run demo -- --keep       leave everything running afterwards (Ctrl-C stops it)
import { mkdirSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { startTestbed } from '../test/testbed/testbed.ts';
import { startGitServer } from '../test/testbed/git-server.ts';
import { cloneWorkdir } from '../test/helpers/git-repo.ts';
import { loadKubeConfig } from '../src/kube/load-kube-config.ts';
import { KubeClient } from '../src/kube/kube-client.ts';
import { formatSyncProblem } from '../src/ports/repo-sync.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startService } from '../src/service/start-service.ts';
import type { Rollout } from '../src/engine/types.ts';
import type { KubeObject } from '../src/ports/cluster.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const namespace = process.env.SLUICE_DEMO_NAMESPACE ?? 'sluice-demo';
const say = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`);

const rolloutYaml = (image: string) => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 5
  revisionHistoryLimit: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - {containerPort: 8080, protocol: TCP}
  strategy:
    canary:
      canaryService: web-canary
      stableService: web-stable
      steps:
      - setWeight: 20
      - pause: {duration: 3s}
      - setWeight: 40
      - pause: {duration: 3s}
      - setWeight: 80
      - pause: {duration: 3s}
`;
const servicesYaml = ['web-canary', 'web-stable']
  .map((name) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: {app: web}\n  ports:\n  - {port: 80, targetPort: 8080, protocol: TCP}\n`)
  .join('---\n');

const dir = join(root, '.testbed', 'demo');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
say('starting the test bed (the first run builds Kubernetes from source: about 8 minutes)');
// Per-pod lines of the node simulator would bury the rollout's progress.
const bed = await startTestbed({ dir: join(dir, 'cluster'), log: (l) => (/^node simulator: (bound|pod|confirmed)/.test(l) ? undefined : say(l)) });
const git = await startGitServer({ root: join(dir, 'git') });
await git.createRepo('demo');
const work = await cloneWorkdir(git, 'demo');
await work.write('deploy/namespace.yaml', `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`);
await work.write('deploy/services.yaml', servicesYaml);
await work.write('deploy/rollout.yaml', rolloutYaml('registry.example/web:1.0.0'));
await work.commit('web 1.0.0');
await work.push();
say(`Git repository ${git.repoUrl('demo')} holds deploy/: a Namespace, two Services, a canary Rollout`);

// What `kubectl apply -k manifests/` would install first: our CRDs.
const kube = new KubeClient(loadKubeConfig({ kubeconfig: bed.kubeconfigPath }));
for (const file of readdirSync(join(root, 'manifests', 'crds'))) await kube.apply(parse(readFileSync(join(root, 'manifests', 'crds', file), 'utf8')) as KubeObject);
kube.close();
say('installed the Argo Rollouts CRDs from manifests/crds');

const config = parseConfig(
  `server:\n  host: 127.0.0.1\n  port: 0\nlog:\n  level: warn\n  format: json\nkubernetes:\n  kubeconfig: ${bed.kubeconfigPath}\n  namespace: ${namespace}\ngit:\n  cacheDir: ${join(dir, 'git-cache')}\nsync:\n  stateNamespace: ${namespace}\napi:\n  token: demo-token-0123456789abcdef\nrepos:\n  - name: demo\n    url: ${git.repoUrl('demo')}\n    ref: {branch: main}\n    paths: [deploy]\n    namespace: ${namespace}\n    schedule: "*/5 * * * * *"\n    credentials:\n      username: ${git.credentials.username}\n      tokenEnv: DEMO_GIT_TOKEN\n`,
  'demo config',
  { DEMO_GIT_TOKEN: git.credentials.password },
);
const logSink = new Writable({ write: (c, _e, cb) => (process.env.SLUICE_DEMO_VERBOSE ? process.stderr.write(c, cb) : cb()) });
const sluice = await startService({ config, logger: createLogger({ level: 'info', format: 'json', destination: logSink }), kubeConfig: loadKubeConfig({ kubeconfig: bed.kubeconfigPath }) });
say(`Sluice is serving at ${sluice.url}, polling the repository every 5 seconds`);

const rollout = async () => (await sluice.client.get<KubeObject>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace, name: 'web' })) as unknown as Rollout | undefined;
const replicasByHash = async () => {
  const list = await sluice.client.list<KubeObject & { spec: { replicas: number }; status?: { availableReplicas?: number } }>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace });
  return new Map(list.items.map((rs) => [rs.metadata?.labels?.['rollouts-pod-template-hash'] ?? '', `${rs.status?.availableReplicas ?? 0}/${rs.spec.replicas}`]));
};

/** Prints a line whenever the Rollout's phase, step or pod counts change; resolves when `done`. */
async function follow(what: string, done: (ro: Rollout) => boolean, timeoutMs = 180_000): Promise<Rollout> {
  let last = '';
  let lastProblems = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Sync problems (a broken manifest, an unreachable Git server) are shown as they appear.
    const problems = (sluice.gitSync.service.get('demo')?.lastSync?.errors ?? []).map(formatSyncProblem).join('; ');
    if (problems && problems !== lastProblems) say(`sync problem: ${problems}`);
    lastProblems = problems;
    const ro = await rollout();
    if (ro?.status) {
      const s = ro.status;
      const steps = ro.spec.strategy?.canary?.steps ?? [];
      const rs = await replicasByHash();
      const step = s.currentStepIndex !== undefined && s.currentStepIndex < steps.length ? `step ${s.currentStepIndex + 1}/${steps.length} ${JSON.stringify(steps[s.currentStepIndex])}` : `steps done`;
      const canary = s.currentPodHash && s.currentPodHash !== s.stableRS ? `  canary ${rs.get(s.currentPodHash) ?? '0/0'}` : '';
      const line = `${(s.phase ?? '').padEnd(11)} ${step.padEnd(34)} stable ${rs.get(s.stableRS ?? '') ?? '-'}${canary}${s.message ? `  (${s.message})` : ''}`;
      if (line !== last) say(line);
      last = line;
      if (done(ro)) return ro;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`demo: timed out waiting for ${what}`);
}

const healthy = (ro: Rollout) => ro.status?.phase === 'Healthy' && ro.status?.observedGeneration === String(ro.metadata.generation);
let failed = false;
try {
  say('first deploy: no steps, straight to 5 pods');
  const v1 = await follow('the first deploy', healthy);
  say(`web 1.0.0 is Healthy (stable ReplicaSet web-${v1.status?.stableRS})`);
  await work.write('deploy/rollout.yaml', rolloutYaml('registry.example/web:1.1.0'));
  const sha = await work.commit('web 1.1.0');
  await work.push();
  say(`pushed web 1.1.0 (commit ${sha.slice(0, 7)}); Sluice picks it up on its next poll`);
  const v2 = await follow('the canary', (ro) => healthy(ro) && ro.status?.stableRS !== v1.status?.stableRS);
  say(`web 1.1.0 is Healthy (stable ReplicaSet web-${v2.status?.stableRS}); the canary went through every step`);
} catch (err) {
  failed = true;
  console.error((err as Error).message);
}

const stop = async () => {
  await sluice.stop();
  await work.cleanup();
  await git.close();
  await bed.stop();
};
if (keep && !failed) {
  say(`still running: export KUBECONFIG=${bed.kubeconfigPath}; Ctrl-C stops everything`);
  process.on('SIGINT', () => void stop().then(() => process.exit(0)));
  setInterval(() => {}, 1 << 30);
} else {
  await stop();
  process.exit(failed ? 1 : 0);
}
