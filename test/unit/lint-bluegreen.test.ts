// `sluice lint` on blue-green Rollouts: the Services they name are assumed to exist (they live in
// the cluster), the strategy's own rules are reported at the field's line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintManifests } from '../../src/validation/lint-manifests.ts';
import { loadCrdCatalog } from '../../src/validation/crd-catalog.ts';
import { formatManifestError } from '../../src/sync/manifest-types.ts';

const catalog = await loadCrdCatalog();

const rollout = (blueGreen: string) => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: web:2 }] }
  strategy:
    blueGreen:
${blueGreen}
`;
const lint = (content: string) => lintManifests([{ path: 'bg.yaml', content: Buffer.from(content) }], catalog).problems.map(formatManifestError);

test('a blue-green Rollout with active and preview Services passes lint', () => {
  assert.deepEqual(lint(rollout('      activeService: web-active\n      previewService: web-preview\n      autoPromotionEnabled: false\n      scaleDownDelaySeconds: 60')), []);
});

test('preview equal to active and a scale-down limit above the history limit are reported at their lines', () => {
  assert.deepEqual(lint(rollout('      activeService: web\n      previewService: web\n      scaleDownDelayRevisionLimit: 11')), [
    'bg.yaml:13: spec.strategy.blueGreen.activeService: Invalid value: "web": This rollout uses the same service for the active and preview services, but two different services are required.',
    `bg.yaml:15: spec.strategy.blueGreen.scaleDownDelayRevisionLimit: Invalid value: 11: This rollout's revision history limit can not be smaller than the rollout's scale down limit`,
  ]);
});
