// Worker-thread entry for render-pool.ts: takes files of a batch from the counter it shares with
// the main thread, renders each, and sends back what it rendered, by index. Objects travel as
// plain data; their lineOf is rebuilt on the main thread when a check needs it.
import { parentPort } from 'node:worker_threads';
import { renderManifests } from './render-manifests.ts';
import type { RenderJob, WorkerRendered } from './render-pool.ts';

// Load and warm up the parser while the thread waits for its first batch.
renderManifests([{ path: 'warm-up.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: warm-up\ndata:\n  a: "1"\n' }]);

parentPort!.on('message', (job: RenderJob) => {
  try {
    const next = new Int32Array(job.next);
    const results: WorkerRendered[] = [];
    for (let i = Atomics.add(next, 0, 1); i < job.files.length; i = Atomics.add(next, 0, 1)) {
      const r = renderManifests([job.files[i]!], job.limits);
      results.push({ index: i, objects: r.objects.map((o) => ({ object: o.object, source: o.source })), errors: r.errors });
    }
    parentPort!.postMessage({ id: job.id, results });
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: (err as Error).message });
  }
});
