// Static checks of manifests/ (CRDs, RBAC, Deployment, kustomization) and of the offline CRD-schema
// validator, against the all-fields fixtures in test/fixtures/crds. No cluster needed; the real
// API-server round trip is test/integration/crds.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { validateAgainstCrdSchema, formatPath } from '../../src/validation/crd-schema.ts';
import type { CrdSchema, SchemaError } from '../../src/validation/crd-schema.ts';
import { loadCrdCatalog, crdCatalogFrom } from '../../src/validation/crd-catalog.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MANIFESTS = join(ROOT, 'manifests');
const FIXTURES = join(ROOT, 'test/fixtures/crds');
type Obj = Record<string, any>;

const readYaml = (path: string): Obj => parse(readFileSync(path, 'utf8')) as Obj;
const readAll = (path: string): Obj[] => parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean);
const fixture = (name: string): Obj => readYaml(join(FIXTURES, name));
const clone = <T>(v: T): T => structuredClone(v);

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const EXPECTED = {
  rollouts: { kind: 'Rollout', singular: 'rollout', shortNames: ['ro'], scope: 'Namespaced' },
  analysistemplates: { kind: 'AnalysisTemplate', singular: 'analysistemplate', shortNames: ['at'], scope: 'Namespaced' },
  clusteranalysistemplates: { kind: 'ClusterAnalysisTemplate', singular: 'clusteranalysistemplate', shortNames: ['cat'], scope: 'Cluster' },
  analysisruns: { kind: 'AnalysisRun', singular: 'analysisrun', shortNames: ['ar'], scope: 'Namespaced' },
  experiments: { kind: 'Experiment', singular: 'experiment', shortNames: ['exp'], scope: 'Namespaced' },
} as const;
const crds = Object.fromEntries(
  Object.keys(EXPECTED).map((plural) => [plural, readYaml(join(MANIFESTS, 'crds', `${plural}.yaml`))]),
) as Record<keyof typeof EXPECTED, Obj>;
const schemaOf = (crd: Obj): CrdSchema => crd.spec.versions[0].schema.openAPIV3Schema;

// Every place where a CRD keeps arbitrary content. Anything else must be declared field by field.
const PRESERVE_ALLOWED = [
  /^status$/,
  /\.template\.spec$/, // embedded PodSpec (Rollout, experiment templates)
  /\.provider\.job\.spec$/, // embedded batch/v1 JobSpec
  /\.provider\.plugin$/, /\.steps\[\]\.plugin\.config$/, /\.trafficRouting\.plugins$/, // plugin configs
  /\.provider\.web\.jsonBody$/, // free-form request body
];

/** Structural-schema rules the API server enforces (1.20 and later), plus our own: no CEL, no defaults. */
function structuralProblems(schema: CrdSchema, path = ''): string[] {
  const problems: string[] = [];
  const s = schema as Obj;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type === undefined && !intOrString && !preserve) problems.push(`${path || '<root>'}: no type`);
  if (intOrString && s.type !== undefined) problems.push(`${path}: int-or-string must not set type`);
  if (s.properties && s.additionalProperties !== undefined) problems.push(`${path}: properties and additionalProperties together`);
  if (s.additionalProperties === true || s.additionalProperties === false) problems.push(`${path}: boolean additionalProperties`);
  for (const banned of ['x-kubernetes-validations', 'default', '$ref', 'additionalItems', 'uniqueItems', 'oneOf', 'anyOf', 'allOf', 'not']) {
    if (banned in s) problems.push(`${path}: uses ${banned}`);
  }
  if (s.type === 'object' && !s.properties && !s.additionalProperties && !preserve && !/DuringExecution$/.test(path) && path !== 'metadata') {
    problems.push(`${path}: object with no declared fields would prune everything`);
  }
  if (s.type === 'array' && !s.items) problems.push(`${path}: array without items`);
  if (preserve && !PRESERVE_ALLOWED.some((re) => re.test(path))) problems.push(`${path}: unexpected x-kubernetes-preserve-unknown-fields`);
  for (const [key, child] of Object.entries((s.properties ?? {}) as Record<string, CrdSchema>)) {
    problems.push(...structuralProblems(child, path ? `${path}.${key}` : key));
  }
  if (s.items) problems.push(...structuralProblems(s.items, `${path}[]`));
  if (typeof s.additionalProperties === 'object') problems.push(...structuralProblems(s.additionalProperties, `${path}.*`));
  return problems;
}

/** Every declared field path of a schema (not inside preserve-unknown or int-or-string nodes). */
function schemaPaths(schema: CrdSchema, path = '', out = new Set<string>()): Set<string> {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const p = path ? `${path}.${key}` : key;
    out.add(p);
    schemaPaths(child, p, out);
  }
  if (schema.items) schemaPaths(schema.items, `${path}[]`, out);
  if (typeof schema.additionalProperties === 'object') schemaPaths(schema.additionalProperties, `${path}.*`, out);
  return out;
}

/** The declared field paths an object actually uses. */
function usedPaths(value: unknown, schema: CrdSchema, path = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value) && schema.items) {
    for (const item of value) usedPaths(item, schema.items, `${path}[]`, out);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const declared = schema.properties?.[key];
      if (declared) {
        const p = path ? `${path}.${key}` : key;
        out.add(p);
        usedPaths(child, declared, p, out);
      } else if (typeof schema.additionalProperties === 'object') {
        usedPaths(child, schema.additionalProperties, `${path}.*`, out);
      }
    }
  }
  return out;
}

/** Port lists anywhere in an object: container ports and Service ports. */
function portsWithoutProtocol(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => portsWithoutProtocol(v, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = path ? `${path}.${key}` : key;
    if (key === 'ports' && Array.isArray(child)) {
      return child.flatMap((port: Obj, i) => (('containerPort' in port || 'port' in port) && port.protocol !== 'TCP' && port.protocol !== 'UDP' && port.protocol !== 'SCTP' ? [`${here}[${i}]`] : []));
    }
    return portsWithoutProtocol(child, here);
  });
}

function anyStringContains(value: unknown, needle: string): boolean {
  if (typeof value === 'string') return value.includes(needle);
  if (Array.isArray(value)) return value.some((v) => anyStringContains(v, needle));
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes(needle) || anyStringContains(v, needle));
  return false;
}

const validate = (obj: Obj, crd: Obj) => validateAgainstCrdSchema(obj, schemaOf(crd));
const brief = (errors: SchemaError[]) => errors.map((e) => `${e.reason} ${e.path}: ${e.message}`);

describe('CRDs', () => {
  for (const [plural, want] of Object.entries(EXPECTED)) {
    const crd = crds[plural as keyof typeof EXPECTED];
    it(`${plural}: group, version, names, scope, status subresource`, () => {
      assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
      assert.equal(crd.kind, 'CustomResourceDefinition');
      assert.equal(crd.metadata.name, `${plural}.argoproj.io`);
      assert.equal(crd.spec.group, 'argoproj.io');
      assert.deepEqual(crd.spec.names, { kind: want.kind, listKind: `${want.kind}List`, plural, singular: want.singular, shortNames: want.shortNames });
      assert.equal(crd.spec.scope, want.scope);
      assert.equal(crd.spec.versions.length, 1);
      const [version] = crd.spec.versions;
      assert.equal(version.name, 'v1alpha1');
      assert.equal(version.served, true);
      assert.equal(version.storage, true);
      assert.deepEqual(version.subresources.status, {});
      assert.deepEqual(schemaOf(crd).properties?.status, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
      assert.deepEqual(schemaOf(crd).required, ['spec']);
    });

    it(`${plural}: structural schema, no CEL, no defaults, preserve-unknown only where expected`, () => {
      assert.equal(anyStringContains(crd, 'x-kubernetes-validations'), false);
      assert.deepEqual(structuralProblems(schemaOf(crd)), []);
      assert.deepEqual(schemaOf(crd).properties?.metadata, { type: 'object' });
    });
  }

  it('Rollout has the scale subresource for HPA/KEDA/VPA', () => {
    assert.deepEqual(crds.rollouts.spec.versions[0].subresources.scale, {
      specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.HPAReplicas', labelSelectorPath: '.status.selector',
    });
    for (const plural of ['analysistemplates', 'clusteranalysistemplates', 'analysisruns', 'experiments'] as const) {
      assert.equal(crds[plural].spec.versions[0].subresources.scale, undefined, plural);
    }
  });

  it('printer columns: Rollout Desired..Phase, Age; AnalysisRun and Experiment Status, Age', () => {
    const columns = (crd: Obj) => crd.spec.versions[0].additionalPrinterColumns.map((c: Obj) => [c.name, c.type, c.jsonPath]);
    assert.deepEqual(columns(crds.rollouts), [
      ['Desired', 'integer', '.spec.replicas'],
      ['Current', 'integer', '.status.replicas'],
      ['Up-to-date', 'integer', '.status.updatedReplicas'],
      ['Available', 'integer', '.status.availableReplicas'],
      ['Phase', 'string', '.status.phase'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ]);
    for (const plural of ['analysisruns', 'experiments'] as const) {
      assert.deepEqual(columns(crds[plural]), [['Status', 'string', '.status.phase'], ['Age', 'date', '.metadata.creationTimestamp']]);
    }
  });

  it('metric, args, dryRun and measurementRetention schemas are the same in AT, CAT and AR', () => {
    const spec = (plural: keyof typeof EXPECTED) => schemaOf(crds[plural]).properties!.spec!.properties!;
    assert.deepEqual(spec('clusteranalysistemplates'), spec('analysistemplates'));
    for (const field of ['metrics', 'args', 'dryRun', 'measurementRetention']) {
      assert.deepEqual(spec('analysisruns')[field], spec('analysistemplates')[field], field);
    }
  });

  it('Argo args: templates take secretKeyRef, Rollouts take podTemplateHashValue', () => {
    const valueFrom = (s: CrdSchema) => Object.keys(s.items!.properties!.valueFrom!.properties!).sort();
    assert.deepEqual(valueFrom(schemaOf(crds.analysistemplates).properties!.spec!.properties!.args!), ['fieldRef', 'secretKeyRef']);
    const canary = schemaOf(crds.rollouts).properties!.spec!.properties!.strategy!.properties!.canary!;
    assert.deepEqual(valueFrom(canary.properties!.analysis!.properties!.args!), ['fieldRef', 'podTemplateHashValue']);
  });
});

describe('RBAC', () => {
  const role = readYaml(join(MANIFESTS, 'rbac/cluster-role.yaml'));
  const binding = readYaml(join(MANIFESTS, 'rbac/cluster-role-binding.yaml'));
  const account = readYaml(join(MANIFESTS, 'rbac/service-account.yaml'));

  it('has no wildcard anywhere', () => {
    for (const doc of [role, binding, account]) assert.equal(anyStringContains(doc, '*'), false);
    for (const rule of role.rules) {
      assert.equal(rule.nonResourceURLs, undefined);
      assert.equal(rule.resourceNames, undefined);
    }
  });

  it('grants exactly the verbs Sluice needs, per resource', () => {
    const granted = new Map<string, Set<string>>();
    for (const rule of role.rules) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          const key = `${group || 'core'}/${resource}`;
          const verbs = granted.get(key) ?? new Set<string>();
          for (const verb of rule.verbs) verbs.add(verb);
          granted.set(key, verbs);
        }
      }
    }
    const all = 'get list watch create update patch delete';
    const want: Record<string, string> = {
      'argoproj.io/rollouts': all, // controller: get list watch update patch; sync: all
      'argoproj.io/rollouts/status': 'update patch',
      'argoproj.io/analysistemplates': all,
      'argoproj.io/clusteranalysistemplates': all,
      'argoproj.io/analysisruns': all,
      'argoproj.io/experiments': all,
      'argoproj.io/analysisruns/status': 'update patch',
      'argoproj.io/experiments/status': 'update patch',
      'apps/replicasets': all,
      'apps/deployments': all,
      'core/pods': 'get list watch delete patch',
      'core/pods/eviction': 'create',
      'core/services': all,
      'core/events': 'create patch',
      'core/secrets': 'get',
      'core/namespaces': all,
      'core/configmaps': all,
      'core/serviceaccounts': all,
      'batch/jobs': 'get list watch create delete',
      'networking.k8s.io/ingresses': 'get list watch create update patch',
      'coordination.k8s.io/leases': 'get create update',
      'apiextensions.k8s.io/customresourcedefinitions': all,
    };
    const sorted = (verbs: Iterable<string>) => [...verbs].sort().join(' ');
    assert.deepEqual(
      Object.fromEntries([...granted].map(([k, v]) => [k, sorted(v)])),
      Object.fromEntries(Object.entries(want).map(([k, v]) => [k, sorted(v.split(' '))])),
    );
  });

  it('binds the ClusterRole to the sluice ServiceAccount in sluice-system', () => {
    assert.equal(account.metadata.namespace, 'sluice-system');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: 'sluice-system' }]);
  });
});

describe('deploy manifests and kustomization', () => {
  it('kustomization lists every YAML file under manifests/, and only existing ones', () => {
    const kustomization = readYaml(join(MANIFESTS, 'kustomization.yaml'));
    const listed: string[] = kustomization.resources;
    assert.equal(new Set(listed).size, listed.length, 'duplicates');
    for (const file of listed) assert.ok(existsSync(join(MANIFESTS, file)), `${file} does not exist`);
    const onDisk = yamlFilesUnder(MANIFESTS).map((p) => relative(MANIFESTS, p)).filter((p) => p !== 'kustomization.yaml');
    assert.deepEqual([...listed].sort(), onDisk.sort());
  });

  it('every container port and Service port sets protocol (server-side apply on 1.20)', () => {
    const files = [...yamlFilesUnder(MANIFESTS), ...yamlFilesUnder(FIXTURES)];
    let portLists = 0;
    for (const file of files) {
      for (const doc of readAll(file)) {
        portLists += JSON.stringify(doc).includes('"ports"') ? 1 : 0;
        assert.deepEqual(portsWithoutProtocol(doc), [], relative(ROOT, file));
      }
    }
    assert.ok(portLists >= 8, 'the check saw the port lists');
  });

  it('Deployment: image, args, probes, hardening, config and scratch volumes', () => {
    const deployment = readYaml(join(MANIFESTS, 'deploy/deployment.yaml'));
    const config = readYaml(join(MANIFESTS, 'deploy/config.yaml'));
    const service = readYaml(join(MANIFESTS, 'deploy/service.yaml'));
    const namespace = readYaml(join(MANIFESTS, 'deploy/namespace.yaml'));
    assert.equal(namespace.metadata.name, 'sluice-system');
    assert.equal(config.metadata.name, 'sluice-config');
    assert.equal(config.data['config.yaml'], 'server:\n  port: 8080\nlog:\n  level: info\n');
    assert.equal(deployment.spec.replicas, 1);
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'sluice');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    const [container] = pod.containers;
    assert.equal(pod.containers.length, 1);
    assert.equal(container.image, 'ghcr.io/sluice-dev/sluice:0.1.0');
    assert.deepEqual(container.args, ['serve', '--config', '/etc/sluice/config.yaml']);
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual([container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path], ['/healthz', '/readyz']);
    assert.ok(container.resources.requests && container.resources.limits);
    assert.deepEqual(
      {
        runAsNonRoot: container.securityContext.runAsNonRoot,
        runAsUser: container.securityContext.runAsUser,
        readOnlyRootFilesystem: container.securityContext.readOnlyRootFilesystem,
        allowPrivilegeEscalation: container.securityContext.allowPrivilegeEscalation,
        capabilities: container.securityContext.capabilities,
        seccompProfile: container.securityContext.seccompProfile,
      },
      { runAsNonRoot: true, runAsUser: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    );
    const volumes = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v]));
    const mounts = Object.fromEntries(container.volumeMounts.map((m: Obj) => [m.mountPath, volumes[m.name]]));
    assert.equal(mounts['/etc/sluice'].configMap.name, 'sluice-config');
    assert.deepEqual(mounts['/tmp'].emptyDir, {});
    assert.deepEqual(mounts['/var/cache/sluice'].emptyDir, {});
    assert.deepEqual(service.spec.ports, [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    for (const doc of [deployment, config, service]) assert.equal(doc.metadata.namespace, 'sluice-system');
  });
});

describe('fixtures against the CRD schemas', () => {
  const FIXTURE_KINDS = {
    'rollout-canary-all-fields.yaml': 'rollouts',
    'rollout-bluegreen-all-fields.yaml': 'rollouts',
    'analysistemplate-all-fields.yaml': 'analysistemplates',
    'clusteranalysistemplate-all-fields.yaml': 'clusteranalysistemplates',
    'analysisrun-all-fields.yaml': 'analysisruns',
    'experiment-all-fields.yaml': 'experiments',
  } as const;

  for (const [file, plural] of Object.entries(FIXTURE_KINDS)) {
    it(`${file} validates with zero errors and sets no namespace`, () => {
      const obj = fixture(file);
      assert.equal(obj.kind, EXPECTED[plural].kind);
      assert.equal(obj.metadata.namespace, undefined);
      assert.deepEqual(brief(validate(obj, crds[plural])), []);
    });
  }

  it('fixtures use every field the schemas declare (Rollout: canary and blue-green together)', () => {
    for (const plural of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
      const schema = schemaOf(crds[plural]);
      const used = new Set<string>();
      for (const [file, p] of Object.entries(FIXTURE_KINDS)) if (p === plural) usedPaths(fixture(file), schema, '', used);
      const missing = [...schemaPaths(schema)].filter((p) => !used.has(p) && !/^(apiVersion|kind|metadata|status)$/.test(p));
      assert.deepEqual(missing, [], plural);
    }
  });

  it('the canary fixture has every step type and every router', () => {
    const canary = fixture('rollout-canary-all-fields.yaml').spec.strategy.canary;
    const stepTypes = new Set(canary.steps.flatMap((s: Obj) => Object.keys(s)));
    assert.deepEqual([...stepTypes].sort(), ['analysis', 'experiment', 'pause', 'plugin', 'setCanaryScale', 'setHeaderRoute', 'setMirrorRoute', 'setWeight']);
    assert.deepEqual(Object.keys(canary.trafficRouting).sort(), ['alb', 'ambassador', 'apisix', 'appMesh', 'istio', 'managedRoutes', 'maxTrafficWeight', 'nginx', 'plugins', 'smi', 'traefik']);
  });

  it('the analysis fixtures use every metric provider', () => {
    const providers = ['cloudWatch', 'datadog', 'graphite', 'influxdb', 'job', 'kayenta', 'newRelic', 'plugin', 'prometheus', 'skywalking', 'wavefront', 'web'];
    for (const file of ['analysistemplate-all-fields.yaml', 'clusteranalysistemplate-all-fields.yaml', 'analysisrun-all-fields.yaml']) {
      const used = new Set(fixture(file).spec.metrics.flatMap((m: Obj) => Object.keys(m.provider)));
      assert.deepEqual([...used].sort(), providers, file);
    }
  });
});

describe('validateAgainstCrdSchema catches what the API server would reject or prune', () => {
  const canaryRollout = () => clone(fixture('rollout-canary-all-fields.yaml'));

  it('unknown field spec.strategy.canary.stepz', () => {
    const obj = canaryRollout();
    obj.spec.strategy.canary.stepz = [{ setWeight: 10 }];
    assert.deepEqual(validate(obj, crds.rollouts), [{
      path: 'spec.strategy.canary.stepz',
      segments: ['spec', 'strategy', 'canary', 'stepz'],
      message: 'unknown field "stepz": the API server drops it silently',
      reason: 'unknown',
    }]);
  });

  it('unknown fields deep inside steps, routers and analysis', () => {
    const obj = canaryRollout();
    obj.spec.strategy.canary.steps[1].pause.durration = '10s';
    obj.spec.strategy.canary.trafficRouting.nginx.stableIngres = 'x';
    obj.spec.strategy.canary.analysis.args[0].valueFrom = { secretKeyRef: { name: 's', key: 'k' } };
    assert.deepEqual(validate(obj, crds.rollouts).map((e) => [e.reason, e.path]), [
      ['unknown', 'spec.strategy.canary.analysis.args[0].valueFrom.secretKeyRef'],
      ['unknown', 'spec.strategy.canary.trafficRouting.nginx.stableIngres'],
      ['unknown', 'spec.strategy.canary.steps[1].pause.durration'],
    ]);
  });

  it('wrong type: setWeight: "abc"', () => {
    const obj = canaryRollout();
    obj.spec.strategy.canary.steps[0].setWeight = 'abc';
    const errors = validate(obj, crds.rollouts);
    assert.deepEqual(brief(errors), ['invalid spec.strategy.canary.steps[0].setWeight: expected integer, got string ("abc")']);
    assert.deepEqual(errors[0]?.segments, ['spec', 'strategy', 'canary', 'steps', 0, 'setWeight']);
  });

  it('int-or-string accepts 25% and 1, rejects 1.5, true and objects', () => {
    for (const value of ['25%', 1, 0, '10']) {
      const obj = canaryRollout();
      obj.spec.strategy.canary.maxSurge = value;
      obj.spec.strategy.canary.steps[1].pause.duration = value;
      assert.deepEqual(validate(obj, crds.rollouts), [], String(value));
    }
    for (const value of [1.5, true, { value: 1 }]) {
      const obj = canaryRollout();
      obj.spec.strategy.canary.maxUnavailable = value;
      assert.deepEqual(brief(validate(obj, crds.rollouts)).map((m) => m.split(':')[0]), ['invalid spec.strategy.canary.maxUnavailable'], JSON.stringify(value));
    }
    const template = clone(fixture('analysistemplate-all-fields.yaml'));
    template.spec.metrics[0].count = 2.5;
    template.spec.metrics[0].failureLimit = '-1';
    assert.deepEqual(brief(validate(template, crds.analysistemplates)), ['invalid spec.metrics[0].count: expected integer or string, got number (2.5)']);
  });

  it('missing required fields', () => {
    const blueGreen = clone(fixture('rollout-bluegreen-all-fields.yaml'));
    delete blueGreen.spec.strategy.blueGreen.activeService;
    assert.deepEqual(brief(validate(blueGreen, crds.rollouts)), ['invalid spec.strategy.blueGreen.activeService: required field "activeService" is missing']);

    const run = clone(fixture('analysisrun-all-fields.yaml'));
    delete run.spec.metrics[0].provider;
    run.spec.metrics[1].provider.web.url = null;
    assert.deepEqual(brief(validate(run, crds.analysisruns)), [
      'invalid spec.metrics[0].provider: required field "provider" is missing',
      'dropped spec.metrics[1].provider.web.url: null value: the API server drops this field (it is not nullable)',
      'invalid spec.metrics[1].provider.web.url: required field "url" is missing',
    ]);
    delete run.spec.metrics;
    assert.deepEqual(brief(validate(run, crds.analysisruns)), ['invalid spec.metrics: required field "metrics" is missing']);

    assert.deepEqual(brief(validate({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', metadata: { name: 'e' } }, crds.experiments)), ['invalid spec: required field "spec" is missing']);
  });

  it('a null step is dropped silently by the API server, so it is reported', () => {
    const obj = canaryRollout();
    obj.spec.strategy.canary.steps[2] = { pause: null };
    assert.deepEqual(brief(validate(obj, crds.rollouts)), ['dropped spec.strategy.canary.steps[2].pause: null value: the API server drops this field (it is not nullable)']);
  });

  it('enum, date-time format and metadata label values', () => {
    const template = clone(fixture('analysistemplate-all-fields.yaml'));
    template.spec.metrics[4].provider.datadog.apiVersion = 'v3';
    template.metadata.labels.tier = 2;
    assert.deepEqual(brief(validate(template, crds.analysistemplates)), [
      'invalid metadata.labels.tier: expected string, got integer (2)',
      'invalid spec.metrics[4].provider.datadog.apiVersion: unsupported value "v3": must be one of "v1", "v2"',
    ]);
    const rollout = canaryRollout();
    rollout.spec.restartAt = 'tomorrow';
    assert.deepEqual(brief(validate(rollout, crds.rollouts)), ['invalid spec.restartAt: "tomorrow" is not an RFC 3339 date-time (e.g. 2024-05-01T12:00:00Z)']);
  });

  it('embedded pod/job specs and plugin configs are free-form; template metadata is not', () => {
    const obj = canaryRollout();
    obj.spec.template.spec.someFutureField = { anything: [1, 2] };
    obj.spec.strategy.canary.trafficRouting.plugins['example.com/router'] = { deep: { nested: true } };
    obj.spec.strategy.canary.steps.find((s: Obj) => s.plugin).plugin.config.extra = [null];
    obj.status = { phase: 'Healthy', anything: { goes: 1 } };
    assert.deepEqual(validate(obj, crds.rollouts), []);
    obj.spec.template.metadata.name = 'ignored';
    assert.deepEqual(brief(validate(obj, crds.rollouts)), ['unknown spec.template.metadata.name: unknown field "name": the API server drops it silently']);
  });

  it('label and annotation maps take string values only', () => {
    const obj = canaryRollout();
    obj.spec.strategy.canary.canaryMetadata.labels.weight = 5;
    obj.spec.selector.matchLabels['app.kubernetes.io/name'] = true;
    assert.deepEqual(validate(obj, crds.rollouts).map((e) => [e.path, e.segments]), [
      ['spec.selector.matchLabels["app.kubernetes.io/name"]', ['spec', 'selector', 'matchLabels', 'app.kubernetes.io/name']],
      ['spec.strategy.canary.canaryMetadata.labels.weight', ['spec', 'strategy', 'canary', 'canaryMetadata', 'labels', 'weight']],
    ]);
  });

  it('non-objects and wrong root types', () => {
    assert.deepEqual(brief(validateAgainstCrdSchema('nope', schemaOf(crds.rollouts))), ['invalid : expected an object, got string ("nope")']);
    assert.deepEqual(brief(validate({ kind: 7, spec: [] }, crds.rollouts)), ['invalid kind: expected string, got integer (7)', 'invalid spec: expected object, got array']);
  });

  it('generic keywords: bounds, lengths, pattern, additionalProperties, combinators, nullable', () => {
    const schema: CrdSchema = {
      type: 'object',
      properties: {
        n: { type: 'integer', minimum: 1, maximum: 10 },
        s: { type: 'string', pattern: '^[a-z]+$', maxLength: 3 },
        list: { type: 'array', items: { type: 'number' }, minItems: 1 },
        open: { type: 'object', additionalProperties: true },
        maybe: { type: 'string', nullable: true },
        either: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\d+%$' }] },
        one: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] },
      },
    };
    const ok = { n: 5, s: 'abc', list: [1.5], open: { x: 1 }, maybe: null, either: '50%', one: { a: 'x' } };
    assert.deepEqual(validateAgainstCrdSchema(ok, schema), []);
    const bad = { n: 11, s: 'ABCD', list: [], maybe: 3, either: 'half', one: { a: 'x', b: 'y' } };
    assert.deepEqual(brief(validateAgainstCrdSchema(bad, schema)), [
      'invalid n: must be less than or equal to 10',
      'invalid s: must be at most 3 characters long',
      'invalid s: "ABCD" does not match pattern ^[a-z]+$',
      'invalid list: must have at least 1 items',
      'invalid maybe: expected string, got integer (3)',
      'invalid either: must match at least one of the allowed forms (anyOf)',
      'invalid one: must match exactly one of the allowed forms (oneOf), matched 2',
    ]);
  });

  it('formatPath quotes keys that are not identifiers', () => {
    assert.equal(formatPath(['spec', 'steps', 2, 'setWeight']), 'spec.steps[2].setWeight');
    assert.equal(formatPath(['metadata', 'annotations', 'sluice.dev/x', 'y']), 'metadata.annotations["sluice.dev/x"].y');
    assert.equal(formatPath(['a', '0', 'canary-by-header']), 'a["0"].canary-by-header');
  });
});

describe('crd catalog', () => {
  it('loads our five CRDs from manifests/crds and looks kinds up by apiVersion/kind', async () => {
    const catalog = await loadCrdCatalog();
    assert.deepEqual(catalog.kinds().map((k) => k.kind).sort(), ['AnalysisRun', 'AnalysisTemplate', 'ClusterAnalysisTemplate', 'Experiment', 'Rollout']);
    const rollout = catalog.lookup('argoproj.io/v1alpha1', 'Rollout');
    assert.ok(rollout);
    assert.deepEqual([rollout.plural, rollout.scope, rollout.shortNames], ['rollouts', 'Namespaced', ['ro']]);
    assert.deepEqual(rollout.schema, schemaOf(crds.rollouts));
    assert.equal(catalog.lookup('argoproj.io/v1alpha1', 'ClusterAnalysisTemplate')?.scope, 'Cluster');
    assert.equal(catalog.lookup('argoproj.io/v1beta1', 'Rollout'), undefined);
    assert.equal(catalog.lookup('apps/v1', 'Deployment'), undefined);
    const errors = validateAgainstCrdSchema(fixture('experiment-all-fields.yaml'), catalog.lookup('argoproj.io/v1alpha1', 'Experiment')!.schema);
    assert.deepEqual(errors, []);
  });

  it('builds from in-memory CRDs, skipping other objects and unserved versions', () => {
    const crd = clone(crds.experiments);
    crd.spec.versions.push({ ...clone(crd.spec.versions[0]), name: 'v1alpha0', served: false, storage: false });
    const catalog = crdCatalogFrom([crd, { apiVersion: 'v1', kind: 'ConfigMap' }, null]);
    assert.deepEqual(catalog.kinds().map((k) => `${k.apiVersion} ${k.kind}`), ['argoproj.io/v1alpha1 Experiment']);
  });
});
