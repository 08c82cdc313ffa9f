// Renders many files on two threads. Parsing YAML is most of a sync's own CPU when many files
// changed (about 150-250 ms per 1,000 manifests, nearly all of it in the yaml library), and while
// it runs the API server is idle: so a worker thread and this thread render the same batch at the
// same time, each taking the next unrendered file from a shared counter. Sharing the work file by
// file, rather than half each, keeps a worker whose code is still cold (or a main thread busy
// with responses) from leaving the other thread waiting. Each file renders exactly as
// renderManifests([file]) would; an object rendered in the worker gets its lineOf by rendering
// its file again here, which only a validation error needs. A worker failure falls back to
// rendering here.
import { Worker } from 'node:worker_threads';
import { renderManifests, type RenderResult } from './render-manifests.ts';
import type { ManifestError, RenderLimits, RenderedObject, SourceFile } from './manifest-types.ts';

/** Below this many files the worker's messaging costs about what it saves. */
export const PARALLEL_RENDER_MIN_FILES = 64;

/** One file the worker rendered: its index in the batch and its objects as plain data. */
export interface WorkerRendered {
  index: number;
  objects: Array<Pick<RenderedObject, 'object' | 'source'>>;
  errors: ManifestError[];
}

/** What the worker is sent: the whole batch, and the counter both threads take files from. */
export interface RenderJob {
  id: number;
  files: SourceFile[];
  limits: RenderLimits;
  next: SharedArrayBuffer;
}

// Source runs as .ts (Node 24), the image as compiled .js: the worker file has the same extension.
const WORKER_URL = new URL(`./render-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

let worker: Worker | undefined;
let nextId = 0;
let lastSplit = { here: 0, worker: 0 };
const waiting = new Map<number, { resolve: (r: WorkerRendered[]) => void; reject: (e: Error) => void }>();

function renderWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_URL);
  w.on('message', (msg: { id: number; results?: WorkerRendered[]; error?: string }) => {
    const job = waiting.get(msg.id);
    waiting.delete(msg.id);
    if (waiting.size === 0) w.unref();
    if (msg.results) job?.resolve(msg.results);
    else job?.reject(new Error(msg.error ?? 'render worker failed'));
  });
  const fail = (err: Error) => {
    if (worker === w) worker = undefined;
    for (const job of waiting.values()) job.reject(err);
    waiting.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`render worker exited with code ${code}`)));
  w.unref(); // keeps the process alive only while it has work (inWorker); after the listeners, which ref it
  worker = w;
  return w;
}

/**
 * Starts the worker before the first large render (a RepoSyncer does when it is built): the first
 * sync renders every file, and the worker then has booted and loaded the yaml library while Git
 * fetched, instead of on the render's clock. Idle, it is one thread; it never keeps the process alive.
 */
export function prepareRenderPool(): void {
  try {
    renderWorker();
  } catch {
    // renderEach falls back to this thread
  }
}

function inWorker(job: Omit<RenderJob, 'id'>): Promise<WorkerRendered[]> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    try {
      const w = renderWorker();
      w.ref();
      w.postMessage({ id, ...job } satisfies RenderJob);
    } catch (err) {
      waiting.delete(id);
      reject(err as Error);
    }
  });
}

/** renderManifests([file], limits) for each file, in order; large batches on two threads. */
export async function renderEach(files: SourceFile[], limits: RenderLimits): Promise<RenderResult[]> {
  if (files.length < PARALLEL_RENDER_MIN_FILES) return files.map((f) => renderManifests([f], limits));
  const next = new Int32Array(new SharedArrayBuffer(4));
  const pending = inWorker({ files, limits, next: next.buffer as SharedArrayBuffer }).catch(() => undefined);
  const results: Array<RenderResult | undefined> = new Array(files.length);
  let mine = 0;
  for (let i = Atomics.add(next, 0, 1); i < files.length; i = Atomics.add(next, 0, 1), mine++) {
    results[i] = renderManifests([files[i]!], limits);
  }
  lastSplit = { here: mine, worker: 0 };
  // Every file rendered here: the worker (perhaps still booting) will find nothing left to take.
  if (mine === files.length) return results as RenderResult[];
  const theirs = await pending;
  lastSplit.worker = theirs?.length ?? 0;
  for (const r of theirs ?? []) results[r.index] = withLineOf(r, files[r.index]!, limits);
  // A failed worker: what it took and did not return renders here.
  return results.map((r, i) => r ?? renderManifests([files[i]!], limits));
}

/** How many files of the last large batch each thread rendered (for tests and benchmarks). */
export function lastRenderSplit(): { here: number; worker: number } {
  return { ...lastSplit };
}

function withLineOf(r: WorkerRendered, file: SourceFile, limits: RenderLimits): RenderResult {
  let again: RenderResult | undefined;
  const objects: RenderedObject[] = r.objects.map((o, index) => ({
    object: o.object,
    source: o.source,
    lineOf(segments) {
      again ??= renderManifests([file], limits);
      return again.objects[index]?.lineOf(segments) ?? o.source.line;
    },
  }));
  return { objects, errors: r.errors };
}
