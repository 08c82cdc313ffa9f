// Worker-thread entry for render-pool.ts: renders each file it is sent, one result per file.
// Objects travel as plain data; their lineOf is rebuilt on the main thread when a check needs it.
import { parentPort } from 'node:worker_threads';
import { renderManifests } from './render-manifests.ts';
import type { RenderLimits, SourceFile } from './manifest-types.ts';

// Load and warm up the parser while the thread waits for its first batch.
renderManifests([{ path: 'warm-up.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: warm-up\ndata:\n  a: "1"\n' }]);

parentPort!.on('message', (msg: { id: number; files: SourceFile[]; limits: RenderLimits }) => {
  try {
    const results = msg.files.map((file) => {
      const r = renderManifests([file], msg.limits);
      return { objects: r.objects.map((o) => ({ object: o.object, source: o.source })), errors: r.errors };
    });
    parentPort!.postMessage({ id: msg.id, results });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
