// `sluice lint`: offline checks of manifests, each problem at `file:line`. The same rendering and
// CRD-schema validation as sync (render-manifests.ts, validate-manifests.ts), then the Rollout
// engine's own spec checks (validate-rollout.ts), which is what makes a Rollout InvalidSpec at
// run time, and the analysis checks (lint-analysis.ts). Kinds other than our five are not judged:
// without a cluster we cannot know them.
//
// Pure module: no I/O.
import { renderManifests } from '../sync/render-manifests.ts';
import { validateManifests } from '../sync/validate-manifests.ts';
import type { ManifestError, RenderedObject, SourceFile } from '../sync/manifest-types.ts';
import { validateRollout } from '../engine/validate-rollout.ts';
import type { Rollout, Service } from '../engine/types.ts';
import type { CrdCatalog } from './crd-catalog.ts';
import { analysisProblems } from './lint-analysis.ts';

export interface LintResult {
  /** Objects rendered from the files (with or without problems). */
  objects: number;
  /** Sorted by file, then line. */
  problems: ManifestError[];
}

export function lintManifests(files: readonly SourceFile[], catalog: CrdCatalog): LintResult {
  const rendered = renderManifests(files);
  const validated = validateManifests(rendered.objects, {
    isNamespaced: (apiVersion, kind) => {
      const crd = catalog.lookup(apiVersion, kind);
      return crd ? crd.scope === 'Namespaced' : true;
    },
    defaultNamespace: 'default',
    // Which kinds a repository may apply is sync configuration, not a property of the files.
    allowedKinds: [...new Set(rendered.objects.map((o) => o.object.kind))],
    crdCatalog: catalog,
  });
  const problems = [...rendered.errors, ...validated.errors];
  for (const obj of validated.objects) {
    if (obj.object.kind === 'Rollout' && obj.object.apiVersion === 'argoproj.io/v1alpha1') problems.push(...rolloutProblems(obj));
  }
  problems.push(...analysisProblems(validated.objects));
  problems.sort((a, b) => (a.file !== b.file ? (a.file < b.file ? -1 : 1) : (a.line ?? 0) - (b.line ?? 0)));
  return { objects: rendered.objects.length, problems };
}

const ANALYSIS_TEMPLATES_FIELD = /^spec\.strategy\.(canary\.(steps\[\d+\]\.)?analysis|blueGreen\.(pre|post)PromotionAnalysis)\.templates$/;

function rolloutProblems(rendered: RenderedObject): ManifestError[] {
  const rollout = rendered.object as unknown as Rollout;
  // The Services a Rollout names live in the cluster, which lint does not see: assume they exist.
  const services: Record<string, Service> = {};
  const strategy = rollout.spec?.strategy;
  for (const name of [strategy?.canary?.canaryService, strategy?.canary?.stableService, strategy?.blueGreen?.activeService, strategy?.blueGreen?.previewService]) {
    if (name) services[name] = { metadata: { name }, spec: {} };
  }
  // The engine checks analysis references against the templates in the cluster, which lint does
  // not see, so every reference would be "not found"; lint-analysis.ts checks them against the
  // templates in the input instead.
  return validateRollout(rollout, { replicaSets: [], services }).filter((e) => !ANALYSIS_TEMPLATES_FIELD.test(e.field)).map((e) => ({
    file: rendered.source.file,
    line: rendered.lineOf(fieldPathSegments(e.field)),
    message: e.message,
  }));
}

/** `spec.strategy.canary.steps[2].setWeight` → `['spec', 'strategy', 'canary', 'steps', 2, 'setWeight']`. */
export function fieldPathSegments(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of field.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const index of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out;
}
