// Manifest generators and repository authoring for the benchmarks. The same file contents go to
// Sluice (through Git) and to kubectl (from a directory), so both apply exactly the same objects.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { GitServer } from '../../test/testbed/git-server.ts';
import { cloneWorkdir, type Workdir } from '../../test/helpers/git-repo.ts';

export type Files = Record<string, string>;

/** The annotation every fixture object carries its revision in (the Deployment controller copies it to ReplicaSets). */
export const REVISION_ANNOTATION = 'bench.sluice.dev/revision';

export function configMap(name: string, rev: number): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  annotations:
    ${REVISION_ANNOTATION}: "${rev}"
data:
  revision: "${rev}"
  app.properties: |
    name=${name}
    replicas=3
    log.level=info
`;
}

// Headless (clusterIP: None): the local control plane's service range is a /24, too small for the
// 500 Services the two namespaces hold. `protocol: TCP` is required by 1.20's server-side apply.
export function service(name: string, rev: number): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  annotations:
    ${REVISION_ANNOTATION}: "${rev}"
spec:
  clusterIP: None
  selector:
    app: ${name}
  ports:
    - name: http
      port: 80
      targetPort: 8080
      protocol: TCP
`;
}

export function serviceAccount(name: string, rev: number): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  annotations:
    ${REVISION_ANNOTATION}: "${rev}"
`;
}

// The revision is bumped on the Deployment's own metadata only, so a change creates no new ReplicaSet.
export function deployment(name: string, rev: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  annotations:
    ${REVISION_ANNOTATION}: "${rev}"
spec:
  replicas: 0
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: app
          image: registry.invalid/bench/app:1.0.0
          ports:
            - containerPort: 8080
              protocol: TCP
`;
}

const pad = (i: number) => String(i).padStart(4, '0');

/** 250 each of ConfigMap, Service, ServiceAccount and Deployment (0 replicas), one file each, under `dir/`. */
export function mixedObjects(rev: number, dir = 'deploy', perKind = 250): Files {
  const files: Files = {};
  for (let i = 0; i < perKind; i++) {
    files[`${dir}/configmap-${pad(i)}.yaml`] = configMap(`cm-${pad(i)}`, rev);
    files[`${dir}/service-${pad(i)}.yaml`] = service(`svc-${pad(i)}`, rev);
    files[`${dir}/serviceaccount-${pad(i)}.yaml`] = serviceAccount(`sa-${pad(i)}`, rev);
    files[`${dir}/deployment-${pad(i)}.yaml`] = deployment(`deploy-${pad(i)}`, rev);
  }
  return files;
}

/** `count` ConfigMaps, one file each, under `dir/`. */
export function configMaps(count: number, rev: number, dir = 'deploy'): Files {
  const files: Files = {};
  for (let i = 0; i < count; i++) files[`${dir}/cm-${pad(i)}.yaml`] = configMap(`cm-${pad(i)}`, rev);
  return files;
}

/** `count` small YAML files spread over `dirs` directories, each blob distinct. */
export function spreadFiles(count: number, dirs: number): Files {
  const files: Files = {};
  for (let i = 0; i < count; i++) {
    const d = `svc-${String(i % dirs).padStart(3, '0')}`;
    files[`apps/${d}/cm-${String(i).padStart(5, '0')}.yaml`] = configMap(`cm-${String(i).padStart(5, '0')}`, 1);
  }
  return files;
}

/** Writes files under `root` (for kubectl), creating directories as needed. */
export async function writeFiles(root: string, files: Files, stripPrefix = ''): Promise<void> {
  const made = new Set<string>();
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, stripPrefix && path.startsWith(stripPrefix) ? path.slice(stripPrefix.length) : path);
    const dir = dirname(target);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    await writeFile(target, content);
  }
}

/** A fresh repository on the server with one working clone to author commits from. */
export async function newRepo(server: GitServer, name: string): Promise<Workdir> {
  await server.createRepo(name);
  return await cloneWorkdir(server, name);
}

/** Writes `files` into the clone, commits everything and pushes; resolves to the new sha. */
export async function commitAndPush(work: Workdir, files: Files, message: string): Promise<string> {
  await writeFiles(work.dir, files);
  const sha = await work.commit(message);
  await work.push();
  return sha;
}
