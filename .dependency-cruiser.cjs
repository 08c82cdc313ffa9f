// Module boundaries of src/, checked by test/unit/boundaries.test.ts on every test run.
// The engine is pure; adapters (git, kube, metrics, traffic, server, writeback, githost) talk through
// ports; only the composition root (src/service, src/cli) wires concrete adapters together.
const ADAPTERS = ['git', 'kube', 'metrics', 'traffic', 'server', 'writeback', 'githost'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-is-pure',
      comment: 'src/engine may import only src/engine: no Node built-ins, no libraries, no adapters.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { pathNot: '^src/engine/' },
    },
    ...ADAPTERS.map((adapter) => ({
      name: `${adapter}-talks-through-ports`,
      comment: `src/${adapter} may use the engine, ports, config types and libraries, never another adapter.`,
      severity: 'error',
      from: { path: `^src/${adapter}/` },
      to: { path: `^src/(${ADAPTERS.filter((a) => a !== adapter).join('|')})/` },
    })),
    {
      name: 'webhooks-talk-through-ports',
      comment: 'src/webhooks (authenticity, normalisation, push matching) uses ports, config types and libraries; the server and the composition root reach it, never the reverse.',
      severity: 'error',
      from: { path: '^src/webhooks/' },
      to: { path: `^src/(${ADAPTERS.join('|')}|sync|rollouts|analysis|observability)/` },
    },
    {
      name: 'ports-are-interfaces',
      comment: 'src/ports holds interfaces and may depend only on the engine and other ports.',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { pathNot: '^src/(ports|engine)/' , dependencyTypesNot: ['npm', 'core', 'type-only'] },
    },
    {
      name: 'nothing-imports-the-composition-root',
      comment: 'src/service and src/cli wire everything; nothing below may depend on them.',
      severity: 'error',
      from: { pathNot: '^src/(service|cli)/' },
      to: { path: '^src/(service|cli)/' },
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
