// A real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager
// (ReplicaSet, Job, garbage-collector, namespace and Deployment controllers), built once per
// machine from Debian's kubernetes source (scripts/build-control-plane.sh) and cached.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { request } from 'node:https';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitUntilReady, type ManagedProcess } from './processes.ts';

const K8S_VERSION = 'v1.20.2';
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function binaryCacheDir(): string {
  return join(process.env.SLUICE_CACHE_DIR ?? join(homedir(), '.cache', 'sluice'), `k8s-${K8S_VERSION}`);
}

export function cachedBinaries(): { apiserver: string; controllerManager: string; kubectl: string } {
  const dir = binaryCacheDir();
  return { apiserver: join(dir, 'kube-apiserver'), controllerManager: join(dir, 'kube-controller-manager'), kubectl: join(dir, 'kubectl') };
}

/** Builds the binaries when they are not cached yet, streaming the build's progress lines. */
export async function ensureControlPlaneBinaries(log: (line: string) => void): Promise<void> {
  const bins = cachedBinaries();
  if (existsSync(bins.apiserver) && existsSync(bins.controllerManager)) return;
  log('control plane: binaries not cached; building them once for this machine');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot, 'scripts', 'build-control-plane.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => d.toString().trimEnd().split('\n').forEach((l) => log(l)));
    child.stderr.on('data', (d: Buffer) => d.toString().trimEnd().split('\n').forEach((l) => log(l)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`control plane build failed (exit ${code}); see the lines above`))));
  });
}

export interface ControlPlane {
  kubeconfigPath: string;
  server: string;
  token: string;
  caCert: string;
  dir: string;
  stop(): Promise<void>;
}

function httpsGet(url: string, token: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, ca, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function writeKubeconfig(path: string, server: string, caCert: string, token: string): void {
  const ca = Buffer.from(caCert).toString('base64');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: sluice-testbed
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}
users:
- name: admin
  user:
    token: ${token}
contexts:
- name: sluice-testbed
  context:
    cluster: sluice-testbed
    user: admin
current-context: sluice-testbed
`,
    { mode: 0o600 },
  );
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager on free loopback ports under `dir`.
 * Any component that fails to start stops the others and throws with its port and log tail.
 */
export async function startControlPlane(opts: { dir: string; log: (line: string) => void }): Promise<ControlPlane> {
  await ensureControlPlaneBinaries(opts.log);
  const bins = cachedBinaries();
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  const started: ManagedProcess[] = [];
  const stopAll = async () => {
    for (const p of [...started].reverse()) await p.stop();
  };
  try {
    // etcd on tmpfs when there is one: fsync-heavy writes are most of an API server's latency.
    const etcdData = existsSync('/dev/shm') ? join('/dev/shm', `sluice-etcd-${randomBytes(4).toString('hex')}`) : join(dir, 'etcd');
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = startProcess({
      name: 'etcd',
      port: etcdPort,
      command: 'etcd',
      logFile: join(dir, 'etcd.log'),
      args: [
        '--data-dir', etcdData,
        '--listen-client-urls', `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-cluster', `default=http://127.0.0.1:${peerPort}`,
        '--listen-metrics-urls', '',
      ],
    });
    started.push(etcd);
    const origStop = etcd.stop;
    etcd.stop = async () => {
      await origStop();
      execFileSync('rm', ['-rf', etcdData]);
    };
    await waitUntilReady(etcd, async () => {
      const res = await fetch(`http://127.0.0.1:${etcdPort}/health`);
      return res.ok;
    }, 30_000);

    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.crt', '-days', '30',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], dir);
    openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
    openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`, { mode: 0o600 });
    const caCert = readFileSync(join(dir, 'apiserver.crt'), 'utf8');
    const server = `https://127.0.0.1:${apiPort}`;

    const apiserver = startProcess({
      name: 'kube-apiserver',
      port: apiPort,
      command: bins.apiserver,
      logFile: join(dir, 'kube-apiserver.log'),
      args: [
        '--etcd-servers', `http://127.0.0.1:${etcdPort}`,
        '--secure-port', String(apiPort),
        '--bind-address', '127.0.0.1',
        '--advertise-address', '127.0.0.1',
        '--tls-cert-file', join(dir, 'apiserver.crt'),
        '--tls-private-key-file', join(dir, 'apiserver.key'),
        '--token-auth-file', join(dir, 'tokens.csv'),
        '--service-account-issuer', 'https://kubernetes.default.svc',
        '--service-account-key-file', join(dir, 'sa.pub'),
        '--service-account-signing-key-file', join(dir, 'sa.key'),
        '--authorization-mode', 'RBAC',
        '--service-cluster-ip-range', '10.0.0.0/24',
        // No token controller runs, so the ServiceAccount admission plugin would block every pod.
        '--disable-admission-plugins', 'ServiceAccount',
        '--profiling=false',
      ],
    });
    started.push(apiserver);
    await waitUntilReady(apiserver, async () => (await httpsGet(`${server}/readyz`, token, caCert)).status === 200, 60_000);

    const kubeconfigPath = join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, server, caCert, token);

    const kcm = startProcess({
      name: 'kube-controller-manager',
      port: 0,
      command: bins.controllerManager,
      logFile: join(dir, 'kube-controller-manager.log'),
      args: [
        '--kubeconfig', kubeconfigPath,
        '--controllers', 'replicaset,job,garbagecollector,namespace,deployment',
        '--leader-elect=false',
        '--bind-address', '127.0.0.1',
        '--secure-port', '0',
        '--port', '0',
        '--kube-api-qps', '200',
        '--kube-api-burst', '400',
      ],
    });
    started.push(kcm);
    // The controller manager has no health port here (--port 0); it is up once it stays alive
    // past its discovery phase and logs that controllers started.
    await waitUntilReady(kcm, async () => /Started "replicaset"|Starting replicaset controller/.test(readFileSync(kcm.logFile, 'utf8')), 60_000);

    return { kubeconfigPath, server, token, caCert, dir, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
