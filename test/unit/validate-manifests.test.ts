// validateManifests: unknown kinds, namespace scope and defaulting, allow lists, Argo Rollouts CRD
// schemas and duplicates, each refusing only the offending objects, with file:line.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderManifests } from '../../src/sync/render-manifests.ts';
import { validateManifests } from '../../src/sync/validate-manifests.ts';
import type { ValidateOptions } from '../../src/sync/validate-manifests.ts';
import { formatManifestError } from '../../src/sync/manifest-types.ts';
import type { RenderedObject } from '../../src/sync/manifest-types.ts';
import { loadCrdCatalog } from '../../src/validation/crd-catalog.ts';
import type { CrdCatalog } from '../../src/validation/crd-catalog.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/crds/', import.meta.url));
const y = (...lines: string[]) => `${lines.join('\n')}\n`;

/** What discovery would say on a cluster with the built-in kinds and our Argo CRDs installed. */
const CLUSTER: Record<string, boolean> = {
  'v1/ConfigMap': true, 'v1/Secret': true, 'v1/Service': true, 'v1/Namespace': false, 'apps/v1/Deployment': true,
  'rbac.authorization.k8s.io/v1/Role': true, 'rbac.authorization.k8s.io/v1/ClusterRole': false,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': false, 'apiextensions.k8s.io/v1/CustomResourceDefinition': false,
  'argoproj.io/v1alpha1/Rollout': true, 'argoproj.io/v1alpha1/AnalysisTemplate': true,
  'argoproj.io/v1alpha1/ClusterAnalysisTemplate': false, 'argoproj.io/v1alpha1/AnalysisRun': true,
  'argoproj.io/v1alpha1/Experiment': true,
};

let catalog: CrdCatalog;
before(async () => {
  catalog = await loadCrdCatalog();
});

function render(files: Record<string, string>): RenderedObject[] {
  const r = renderManifests(Object.entries(files).map(([path, content]) => ({ path, content })));
  assert.deepEqual(r.errors, [], 'test input must render cleanly');
  return r.objects;
}

function validate(files: Record<string, string>, opts: Partial<ValidateOptions> = {}) {
  const r = validateManifests(render(files), {
    isNamespaced: (apiVersion, kind) => CLUSTER[`${apiVersion}/${kind}`],
    defaultNamespace: 'apps',
    crdCatalog: catalog,
    ...opts,
  });
  return {
    ...r,
    shown: r.errors.map(formatManifestError),
    ids: r.objects.map((o) => `${o.object.kind}/${o.object.metadata.namespace ?? ''}/${o.object.metadata.name}`),
  };
}

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, ...rest: string[]) => y(
  `apiVersion: ${apiVersion}`, `kind: ${kind}`, 'metadata:', `  name: ${name}`, ...(namespace ? [`  namespace: ${namespace}`] : []), ...rest,
);

describe('validateManifests: scope and namespaces', () => {
  it('defaults the namespace of namespaced objects and leaves the input alone', () => {
    const objects = render({ 'a.yaml': obj('v1', 'ConfigMap', 'plain'), 'b.yaml': obj('v1', 'ConfigMap', 'placed', 'team'), 'c.yaml': obj('v1', 'Namespace', 'team') });
    const r = validateManifests(objects, { isNamespaced: (a, k) => CLUSTER[`${a}/${k}`], defaultNamespace: 'apps', crdCatalog: catalog });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.objects.map((o) => o.object.metadata), [{ name: 'plain', namespace: 'apps' }, { name: 'placed', namespace: 'team' }, { name: 'team' }]);
    assert.deepEqual(objects[0]!.object.metadata, { name: 'plain' });
    assert.deepEqual(r.objects[0]!.source, { file: 'a.yaml', line: 1 });
    assert.equal(r.objects[0]!.lineOf(['metadata', 'name']), 4);
  });

  it('refuses a namespace on a cluster-scoped object, at the namespace line', () => {
    const r = validate({ 'ns.yaml': obj('v1', 'Namespace', 'team', 'default'), 'ok.yaml': obj('v1', 'ConfigMap', 'ok') });
    assert.deepEqual(r.shown, ['ns.yaml:5: Namespace is cluster-scoped; remove metadata.namespace']);
    assert.deepEqual(r.ids, ['ConfigMap/apps/ok']);
  });

  it('refuses kinds the cluster does not know, at the kind line', () => {
    const r = validate({ 'w.yaml': y('# widgets', ...obj('example.com/v1', 'Widget', 'w').trim().split('\n')), 'ok.yaml': obj('v1', 'ConfigMap', 'ok') });
    assert.deepEqual(r.shown, ['w.yaml:3: unknown kind Widget (example.com/v1): no such resource on the cluster']);
    assert.deepEqual(r.ids, ['ConfigMap/apps/ok']);
  });
});

describe('validateManifests: CRDs in the same repository', () => {
  const crd = (scope: string, ...extraVersions: string[]) => y(
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    'metadata:',
    '  name: widgets.example.com',
    'spec:',
    '  group: example.com',
    `  scope: ${scope}`,
    '  names: {kind: Widget, plural: widgets, singular: widget}',
    '  versions:',
    '    - name: v1',
    '      served: true',
    '      storage: true',
    '      schema:',
    '        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}',
    ...extraVersions,
  );

  it('makes their kinds known, namespaced per spec.scope', () => {
    const r = validate({ 'crd.yaml': crd('Namespaced'), 'w.yaml': obj('example.com/v1', 'Widget', 'w') });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.ids, ['CustomResourceDefinition//widgets.example.com', 'Widget/apps/w']);
  });

  it('applies cluster scope from the CRD', () => {
    const r = validate({ 'crd.yaml': crd('Cluster'), 'w.yaml': obj('example.com/v1', 'Widget', 'w', 'apps'), 'x.yaml': obj('example.com/v1', 'Widget', 'x') });
    assert.deepEqual(r.shown, ['w.yaml:5: Widget is cluster-scoped; remove metadata.namespace']);
    assert.deepEqual(r.ids, ['CustomResourceDefinition//widgets.example.com', 'Widget//x']);
  });

  it('knows only the versions the CRD serves', () => {
    const r = validate({
      'crd.yaml': crd('Namespaced', '    - name: v2', '      served: false', '      storage: false'),
      'v2.yaml': obj('example.com/v2', 'Widget', 'w2'),
      'v3.yaml': obj('example.com/v3', 'Widget', 'w3'),
    });
    assert.deepEqual(r.shown, [
      'v2.yaml:2: unknown kind Widget (example.com/v2): no such resource on the cluster',
      'v3.yaml:2: unknown kind Widget (example.com/v3): no such resource on the cluster',
    ]);
  });

  it('does not make kinds known through a CRD that is itself refused', () => {
    const r = validate({ 'crd.yaml': crd('Namespaced'), 'w.yaml': obj('example.com/v1', 'Widget', 'w') }, { allowedKinds: ['Widget'] });
    assert.deepEqual(r.shown, [
      'crd.yaml:2: kind apiextensions.k8s.io/CustomResourceDefinition is not allowed for this repository (allowed: Widget)',
      'w.yaml:2: unknown kind Widget (example.com/v1): no such resource on the cluster',
    ]);
    assert.deepEqual(r.objects, []);
  });
});

describe('validateManifests: allow lists', () => {
  it('refuses kinds missing from allowedKinds, matching Kind, group/Kind and core/Kind entries', () => {
    const r = validate({
      '1.yaml': obj('v1', 'Secret', 's'),
      '2.yaml': obj('v1', 'ConfigMap', 'c'),
      '3.yaml': obj('apps/v1', 'Deployment', 'd'),
      '4.yaml': obj('v1', 'Service', 'svc'),
      '5.yaml': obj('rbac.authorization.k8s.io/v1', 'Role', 'r'),
    }, { allowedKinds: ['ConfigMap', 'apps/Deployment', 'core/Service', 'extensions/Role'] });
    assert.deepEqual(r.shown, [
      '1.yaml:2: kind Secret is not allowed for this repository (allowed: ConfigMap, apps/Deployment, core/Service, extensions/Role)',
      '5.yaml:2: kind rbac.authorization.k8s.io/Role is not allowed for this repository (allowed: ConfigMap, apps/Deployment, core/Service, extensions/Role)',
    ]);
    assert.deepEqual(r.ids, ['ConfigMap/apps/c', 'Deployment/apps/d', 'Service/apps/svc']);
  });

  it('says so when nothing is allowed', () => {
    const r = validate({ 'a.yaml': obj('v1', 'ConfigMap', 'c') }, { allowedKinds: [] });
    assert.deepEqual(r.shown, ['a.yaml:2: kind ConfigMap is not allowed for this repository (allowed: none)']);
  });

  it('refuses ClusterRole and ClusterRoleBinding unless listed explicitly, even with no allow list', () => {
    const files = {
      'cr.yaml': obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'admin-ish'),
      'crb.yaml': obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'admin-ish'),
      'role.yaml': obj('rbac.authorization.k8s.io/v1', 'Role', 'local'),
    };
    const none = validate(files);
    assert.deepEqual(none.shown, [
      'cr.yaml:2: kind rbac.authorization.k8s.io/ClusterRole is not allowed for this repository (cluster RBAC kinds must be listed in allowedKinds explicitly)',
      'crb.yaml:2: kind rbac.authorization.k8s.io/ClusterRoleBinding is not allowed for this repository (cluster RBAC kinds must be listed in allowedKinds explicitly)',
    ]);
    assert.deepEqual(none.ids, ['Role/apps/local']);
    const listed = validate(files, { allowedKinds: ['ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding', 'Role'] });
    assert.deepEqual(listed.errors, []);
    assert.deepEqual(listed.ids, ['ClusterRole//admin-ish', 'ClusterRoleBinding//admin-ish', 'Role/apps/local']);
  });

  it('refuses namespaces missing from allowedNamespaces: explicit, defaulted, and a Namespace object by its name', () => {
    const r = validate({
      '1.yaml': obj('v1', 'ConfigMap', 'sys', 'kube-system'),
      '2.yaml': obj('v1', 'ConfigMap', 'mine', 'team'),
      '3.yaml': obj('v1', 'ConfigMap', 'defaulted'),
      '4.yaml': obj('v1', 'Namespace', 'kube-public'),
      '5.yaml': obj('v1', 'Namespace', 'team'),
      '6.yaml': obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'viewer'),
    }, { allowedNamespaces: ['team'], allowedKinds: ['ConfigMap', 'Namespace', 'ClusterRole'] });
    assert.deepEqual(r.shown, [
      '1.yaml:5: namespace kube-system is not allowed for this repository',
      '3.yaml:1: namespace apps (the default for objects without metadata.namespace) is not allowed for this repository',
      '4.yaml:4: namespace kube-public is not allowed for this repository',
    ]);
    assert.deepEqual(r.ids, ['ConfigMap/team/mine', 'Namespace//team', 'ClusterRole//viewer']);
  });
});

describe('validateManifests: Argo Rollouts schemas', () => {
  const rollout = y(
    'apiVersion: argoproj.io/v1alpha1', // 1
    'kind: Rollout', // 2
    'metadata:', // 3
    '  name: web', // 4
    'spec:', // 5
    '  replicas: 3', // 6
    '  selector:', // 7
    '    matchLabels: {app: web}', // 8
    '  template:', // 9
    '    metadata:', // 10
    '      labels: {app: web}', // 11
    '    spec:', // 12
    '      containers:', // 13
    '        - name: web', // 14
    '          image: nginx', // 15
    '  strategy:', // 16
    '    canary:', // 17
    '      steps:', // 18
    '        - setWeight: 20', // 19
    '        - pause:', // 20
    '            durration: 10m', // 21
    '        - setWeight: "40"', // 22
    '        - analysis:', // 23
    '            templates: [{templateName: success-rate}]', // 24
    '            args:', // 25
    '              - value: web', // 26
  );

  it('reports each schema error at the line of the offending field', () => {
    const r = validate({ 'rollout.yaml': rollout, 'ok.yaml': obj('v1', 'ConfigMap', 'ok') });
    assert.deepEqual(r.shown, [
      'rollout.yaml:21: spec.strategy.canary.steps[1].pause.durration: unknown field "durration": the API server drops it silently',
      'rollout.yaml:22: spec.strategy.canary.steps[2].setWeight: expected integer, got string ("40")',
      // A missing field is reported at its parent, the nearest line that exists.
      'rollout.yaml:26: spec.strategy.canary.steps[3].analysis.args[0].name: required field "name" is missing',
    ]);
    assert.deepEqual(r.ids, ['ConfigMap/apps/ok']);
  });

  it('accepts every all-fields fixture', () => {
    const files = Object.fromEntries(readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'))
      .map((f) => [`fixtures/${f}`, readFileSync(`${FIXTURES}${f}`, 'utf8')]));
    const r = validate(files);
    assert.deepEqual(r.errors, []);
    assert.equal(r.objects.length, Object.keys(files).length);
  });

  it('validates a Rollout whose CRD comes from the same repository, too', () => {
    const r = validate({ 'rollout.yaml': rollout, 'crds.yaml': readFileSync(new URL('../../manifests/crds/rollouts.yaml', import.meta.url), 'utf8') }, {
      isNamespaced: (apiVersion, kind) => (kind === 'CustomResourceDefinition' ? false : undefined),
    });
    assert.equal(r.errors.length, 3);
    assert.deepEqual(r.ids, ['CustomResourceDefinition//rollouts.argoproj.io']);
  });
});

describe('validateManifests: duplicates', () => {
  it('reports one error at the second copy naming the first, and refuses both', () => {
    const r = validate({
      'base/web.yaml': obj('apps/v1', 'Deployment', 'web'),
      'overlay/web.yaml': y('# again', ...obj('apps/v1', 'Deployment', 'web', 'apps').trim().split('\n')),
      'other.yaml': obj('apps/v1', 'Deployment', 'api'),
    });
    assert.deepEqual(r.shown, ['overlay/web.yaml:2: duplicate Deployment apps/apps/web: also defined at base/web.yaml:1']);
    assert.deepEqual(r.ids, ['Deployment/apps/api']);
  });

  it('names the first copy from every later one, within and across files', () => {
    const r = validate({
      'a.yaml': `${obj('v1', 'ConfigMap', 'cfg', 'default')}---\n${obj('v1', 'ConfigMap', 'cfg', 'default')}`,
      'b.yaml': obj('v1', 'ConfigMap', 'cfg', 'default'),
    });
    assert.deepEqual(r.shown, [
      'a.yaml:7: duplicate ConfigMap default/cfg: also defined at a.yaml:1',
      'b.yaml:1: duplicate ConfigMap default/cfg: also defined at a.yaml:1',
    ]);
    assert.deepEqual(r.objects, []);
  });

  it('tells apart namespaces, groups and kinds, and compares cluster-scoped objects by name', () => {
    const r = validate({
      '1.yaml': obj('v1', 'ConfigMap', 'x', 'one'),
      '2.yaml': obj('v1', 'ConfigMap', 'x', 'two'),
      '3.yaml': obj('v1', 'Secret', 'x', 'one'),
      '4.yaml': obj('v1', 'Namespace', 'x'),
      '5.yaml': obj('v1', 'Namespace', 'x'),
      '6.yaml': obj('example.com/v1', 'ConfigMap', 'x', 'one'),
    }, { isNamespaced: (a, k) => (a === 'example.com/v1' ? true : CLUSTER[`${a}/${k}`]) });
    assert.deepEqual(r.shown, ['5.yaml:1: duplicate Namespace x: also defined at 4.yaml:1']);
    assert.deepEqual(r.ids, ['ConfigMap/one/x', 'ConfigMap/two/x', 'Secret/one/x', 'ConfigMap/one/x']);
  });

  it('ignores the version: the same object under two apiVersions of one group is a duplicate', () => {
    const r = validate({ 'a.yaml': obj('argoproj.io/v1alpha1', 'AnalysisTemplate', 't'), 'b.yaml': obj('argoproj.io/v1alpha2', 'AnalysisTemplate', 't') }, {
      isNamespaced: (a, k) => (k === 'AnalysisTemplate' ? true : undefined),
      crdCatalog: { lookup: () => undefined, kinds: () => [] },
    });
    assert.deepEqual(r.shown, ['b.yaml:1: duplicate AnalysisTemplate argoproj.io/apps/t: also defined at a.yaml:1']);
  });

  it('counts a defaulted namespace as written', () => {
    const r = validate({ 'a.yaml': obj('v1', 'ConfigMap', 'c'), 'b.yaml': obj('v1', 'ConfigMap', 'c', 'apps') });
    assert.deepEqual(r.shown, ['b.yaml:1: duplicate ConfigMap apps/c: also defined at a.yaml:1']);
  });
});
