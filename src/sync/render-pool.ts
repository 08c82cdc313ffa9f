// Renders many files on two threads. Parsing YAML is most of a sync's own CPU when many files
// changed (about 150-250 ms per 1,000 manifests, nearly all of it in the yaml library), and while
// it runs the API server is idle: so half of the files go to a worker thread and the other half
// are rendered here at the same time. Each file renders exactly as renderManifests([file]) would;
// an object rendered in the worker gets its lineOf by rendering its file again here, which only
// a validation error needs. Any worker failure falls back to rendering here.
import { Worker } from 'node:worker_threads';
import { renderManifests, type RenderResult } from './render-manifests.ts';
import type { ManifestError, RenderLimits, RenderedObject, SourceFile } from './manifest-types.ts';

/** Below this many files the worker's messaging costs about what it saves. */
export const PARALLEL_RENDER_MIN_FILES = 64;

type WorkerResult = { objects: Array<Pick<RenderedObject, 'object' | 'source'>>; errors: ManifestError[] };

// Source runs as .ts (Node 24), the image as compiled .js: the worker file has the same extension.
const WORKER_URL = new URL(`./render-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (r: WorkerResult[]) => void; reject: (e: Error) => void }>();

function renderWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_URL);
  w.on('message', (msg: { id: number; results?: WorkerResult[]; error?: string }) => {
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

function inWorker(files: SourceFile[], limits: RenderLimits): Promise<WorkerResult[]> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    try {
      const w = renderWorker();
      w.ref();
      w.postMessage({ id, files, limits });
    } catch (err) {
      waiting.delete(id);
      reject(err as Error);
    }
  });
}

/** renderManifests([file], limits) for each file, in order; large batches on two threads. */
export async function renderEach(files: SourceFile[], limits: RenderLimits): Promise<RenderResult[]> {
  if (files.length < PARALLEL_RENDER_MIN_FILES) return files.map((f) => renderManifests([f], limits));
  const half = Math.floor(files.length / 2);
  const there = files.slice(half);
  const pending = inWorker(there, limits).catch(() => undefined);
  const here = files.slice(0, half).map((f) => renderManifests([f], limits));
  const results = await pending;
  if (!results) return [...here, ...there.map((f) => renderManifests([f], limits))];
  return [...here, ...results.map((r, i) => withLineOf(r, there[i]!, limits))];
}

function withLineOf(r: WorkerResult, file: SourceFile, limits: RenderLimits): RenderResult {
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
