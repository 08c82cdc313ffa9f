// renderEach renders a large batch on two threads and must give exactly what renderManifests([file])
// gives for each file: the same objects, sources and errors in the same order, and lineOf answers
// (rebuilt on this thread for objects the worker rendered) pointing at the same lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderManifests } from '../../src/sync/render-manifests.ts';
import { lastRenderSplit, prepareRenderPool, renderEach, PARALLEL_RENDER_MIN_FILES } from '../../src/sync/render-pool.ts';
import { DEFAULT_RENDER_LIMITS } from '../../src/sync/manifest-types.ts';

const files = Array.from({ length: PARALLEL_RENDER_MIN_FILES * 2 + 3 }, (_, i) => ({
  path: `deploy/f${String(i).padStart(3, '0')}.yaml`,
  content: Buffer.from(
    i % 17 === 5
      ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken-${i}\n  labels: [not, a, map\n`
      : `# file ${i}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  a: "${i}"\n---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: s-${i}\n    stringData:\n      k: v\n`,
  ),
}));

test('a large batch renders as renderManifests does file by file, lines included', async () => {
  prepareRenderPool();
  // Until the worker has booted this thread renders everything; wait until it shares the work.
  let parallel = await renderEach(files, DEFAULT_RENDER_LIMITS);
  for (let tries = 0; lastRenderSplit().worker === 0 && tries < 100; tries++) {
    await new Promise((r) => setTimeout(r, 50));
    parallel = await renderEach(files, DEFAULT_RENDER_LIMITS);
  }
  const split = lastRenderSplit();
  assert.ok(split.worker > 0 && split.here > 0, `both threads rendered: ${JSON.stringify(split)}`);
  assert.equal(split.here + split.worker, files.length);
  assert.equal(parallel.length, files.length);
  let objects = 0;
  let errors = 0;
  files.forEach((file, i) => {
    const direct = renderManifests([file], DEFAULT_RENDER_LIMITS);
    const got = parallel[i]!;
    assert.deepEqual(got.errors, direct.errors, file.path);
    assert.deepEqual(got.objects.map((o) => [o.object, o.source]), direct.objects.map((o) => [o.object, o.source]), file.path);
    got.objects.forEach((o, k) => {
      for (const path of [['data', 'a'], ['metadata', 'name'], ['stringData', 'k'], ['missing', 'field']]) {
        assert.equal(o.lineOf(path), direct.objects[k]!.lineOf(path), `${file.path} object ${k} ${path.join('.')}`);
      }
    });
    objects += got.objects.length;
    errors += got.errors.length;
  });
  assert.ok(objects > 200 && errors > 5, `${objects} objects, ${errors} errors`);
});

test('a small batch renders on this thread, with the same result', async () => {
  const few = files.slice(0, 3);
  const got = await renderEach(few, DEFAULT_RENDER_LIMITS);
  assert.deepEqual(got.map((r) => r.objects.map((o) => o.object)), few.map((f) => renderManifests([f], DEFAULT_RENDER_LIMITS).objects.map((o) => o.object)));
});
