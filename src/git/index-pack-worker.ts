// Worker-thread entry for index-pack-off-thread.ts: indexes one pack and posts the `.idx` back.
import { parentPort, workerData } from 'node:worker_threads';
import { indexPack, PackNotIndexable } from './index-pack.ts';

const pack = Buffer.from(workerData as Uint8Array);
try {
  const idx = indexPack(pack);
  parentPort!.postMessage({ idx }, [idx.buffer as ArrayBuffer]);
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message, notIndexable: err instanceof PackNotIndexable });
}
