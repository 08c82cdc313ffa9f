// Indexes large packs in a worker thread: a first clone of a big repository takes a second or more
// of CPU, which on the main thread would stall webhooks, the API and the Rollout controller's timers.
// Small packs (every incremental fetch) are indexed in-line, where a worker's start-up would cost more.
import { Worker } from 'node:worker_threads';
import { indexPack, PackNotIndexable } from './index-pack.ts';

/** Packs from this size on are indexed off the main thread (about 200 ms of CPU at this size). */
export const OFF_THREAD_PACK_BYTES = 1024 * 1024;

// Source runs as .ts (Node 24), the image as compiled .js: the worker file has the same extension.
const WORKER_URL = new URL(`./index-pack-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export async function indexPackOffThread(pack: Buffer, threshold = OFF_THREAD_PACK_BYTES): Promise<Buffer> {
  if (pack.byteLength < threshold) return indexPack(pack);
  const reply = await new Promise<{ idx?: Uint8Array; error?: string; notIndexable?: boolean }>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: pack });
    worker.once('message', (msg) => {
      resolve(msg);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`pack indexer thread exited with code ${code}`)));
  });
  if (reply.idx) return Buffer.from(reply.idx.buffer, reply.idx.byteOffset, reply.idx.byteLength);
  throw reply.notIndexable ? new PackNotIndexable(reply.error) : new Error(reply.error);
}
