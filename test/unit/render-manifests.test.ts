// renderManifests: YAML files of a synced repository → plain objects with file:line, and every
// way a file or document can be refused without stopping the rest of the repository.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderManifests, formatBytes } from '../../src/sync/render-manifests.ts';
import { DEFAULT_RENDER_LIMITS, formatManifestError } from '../../src/sync/manifest-types.ts';
import type { ManifestError, SourceFile } from '../../src/sync/manifest-types.ts';

const MiB = 1024 * 1024;

/** Joins lines with `\n` (and a final one), so that line numbers in tests are easy to count. */
const y = (...lines: string[]) => `${lines.join('\n')}\n`;
const cm = (name: string, extra: string[] = []) => y('apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${name}`, ...extra);
const render = (files: Record<string, string | Uint8Array>, limits?: Parameters<typeof renderManifests>[1]) =>
  renderManifests(Object.entries(files).map(([path, content]): SourceFile => ({ path, content })), limits);
const shown = (errors: ManifestError[]) => errors.map(formatManifestError);
const names = (r: ReturnType<typeof renderManifests>) => r.objects.map((o) => `${o.source.file}:${o.source.line} ${o.object.kind}/${o.object.metadata.name}`);

describe('renderManifests: documents', () => {
  it('renders a document to plain JSON with the line of its first key', () => {
    const r = render({ 'app/cm.yaml': y('# a config map', '', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: settings', 'data:', '  a: "1"') });
    assert.deepEqual(r.errors, []);
    assert.equal(r.objects.length, 1);
    const [o] = r.objects;
    assert.deepEqual(o!.object, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } });
    assert.deepEqual(o!.source, { file: 'app/cm.yaml', line: 3 });
    assert.equal(Object.getPrototypeOf(o!.object), Object.prototype);
  });

  it('numbers documents after --- separators by their own first key, skipping empty and comment-only documents', () => {
    const r = render({
      'multi.yaml': y(
        '# leading comment', // 1
        '---', // 2
        '---', // 3 (empty document)
        '# only a comment', // 4
        '---', // 5
        'apiVersion: v1', // 6
        'kind: ConfigMap',
        'metadata: {name: one}',
        '---', // 9
        '', // 10
        '# about two', // 11
        'apiVersion: v1', // 12
        'kind: ConfigMap',
        'metadata: {name: two}',
        '--- # trailing', // 15
        '...',
      ),
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(names(r), ['multi.yaml:6 ConfigMap/one', 'multi.yaml:12 ConfigMap/two']);
  });

  it('skips explicit null documents', () => {
    const r = render({ 'n.yaml': y('null', '---', '~', '---', ...cm('a').trim().split('\n')) });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(names(r), ['n.yaml:5 ConfigMap/a']);
  });

  it('considers only .yaml and .yml files, in path order whatever the input order', () => {
    const r = render({
      'z.yml': cm('z'),
      'README.md': '# not yaml: [',
      'a.yaml': cm('a'),
      'data.json': '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}',
      'upper.YAML': cm('upper'),
      'kustomization.yaml.bak': cm('bak'),
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(names(r), ['a.yaml:1 ConfigMap/a', 'z.yml:1 ConfigMap/z']);
  });

  it('accepts bytes as UTF-8 (with or without a BOM) and refuses invalid UTF-8', () => {
    const enc = new TextEncoder();
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(cm('bom'))]);
    const r = render({
      'bytes.yaml': enc.encode(cm('bytes', ['data:', '  greeting: "héllo ✓"'])),
      'bom.yaml': bom,
      'bad.yaml': new Uint8Array([...enc.encode('a: '), 0xff, 0xfe]),
    });
    assert.deepEqual(shown(r.errors), ['bad.yaml: file is not valid UTF-8']);
    assert.deepEqual(names(r), ['bom.yaml:1 ConfigMap/bom', 'bytes.yaml:1 ConfigMap/bytes']);
    assert.equal(r.objects[1]!.object.data && (r.objects[1]!.object.data as Record<string, string>).greeting, 'héllo ✓');
  });
});

describe('renderManifests: YAML 1.2 core schema, plain JSON only', () => {
  it('keeps dates, yes/no and similar scalars as strings, even under a %YAML 1.1 directive or explicit tags', () => {
    const doc = (name: string) => [
      'apiVersion: v1', 'kind: ConfigMap', `metadata: {name: ${name}}`, 'data:',
      '  day: 2024-01-01', '  at: 2024-01-01T10:00:00Z', '  flag: yes', '  off: off', '  tagged: !!timestamp 2024-01-02',
      '  binary: !!binary aGVsbG8=', '  version: 1.10',
    ];
    const r = render({ 'a.yaml': y(...doc('v12')), 'b.yaml': y('%YAML 1.1', '---', ...doc('v11')) });
    assert.deepEqual(r.errors, []);
    for (const o of r.objects) {
      assert.deepEqual(o.object.data, {
        day: '2024-01-01', at: '2024-01-01T10:00:00Z', flag: 'yes', off: 'off', tagged: '2024-01-02', binary: 'aGVsbG8=', version: 1.1,
      });
    }
  });

  it('refuses .inf and .nan, which JSON cannot carry, at their line', () => {
    const r = render({
      'inf.yaml': cm('inf', ['data:', '  ok: "1"', 'spec:', '  replicas: .inf']),
      'nan.yaml': cm('nan', ['spec:', '  items: [1, .nan]']),
      'fine.yaml': cm('fine'),
    });
    assert.deepEqual(shown(r.errors), [
      'inf.yaml:8: spec.replicas: .inf cannot be represented in JSON',
      'nan.yaml:6: spec.items[1]: .nan cannot be represented in JSON',
    ]);
    assert.deepEqual(names(r), ['fine.yaml:1 ConfigMap/fine']);
  });

  it('expands aliases and merge keys into independent copies', () => {
    const r = render({
      'alias.yaml': y(
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - apiVersion: v1',
        '    kind: ConfigMap',
        '    metadata: &meta {name: shared, labels: {app: web}}',
        '    data: &base {a: "1", b: "2"}',
        '  - apiVersion: v1',
        '    kind: ConfigMap',
        '    metadata: {name: merged}',
        '    data:',
        '      <<: *base',
        '      b: "3"',
      ),
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.objects.map((o) => o.object.data), [{ a: '1', b: '2' }, { a: '1', b: '3' }]);
    // lineOf follows a merge key to where the merged value is written.
    assert.equal(r.objects[1]!.lineOf(['data', 'a']), 7);
    assert.equal(r.objects[1]!.lineOf(['data', 'b']), 13);
  });

  it('deep-copies aliased nodes so that changing one object leaves the other alone', () => {
    const r = render({
      'a.yaml': y(
        'apiVersion: v1', 'kind: List', 'items:',
        '  - &item {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: &d {k: v}}',
        '  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: *d}',
      ),
    });
    assert.deepEqual(r.errors, []);
    const [a, b] = r.objects;
    (a!.object.data as Record<string, string>).k = 'changed';
    assert.deepEqual(b!.object.data, { k: 'v' });
  });

  it('refuses an alias that contains itself', () => {
    const r = render({ 'loop.yaml': cm('loop', ['data: &d', '  self: *d']), 'ok.yaml': cm('ok') });
    assert.deepEqual(shown(r.errors), ['loop.yaml:6: data.self: YAML alias refers to a node that contains it (recursive structure)']);
    assert.deepEqual(names(r), ['ok.yaml:1 ConfigMap/ok']);
  });

  it('refuses an alias without an anchor', () => {
    const r = render({ 'a.yaml': cm('a', ['data: *nothing']) });
    assert.deepEqual(shown(r.errors), ['a.yaml:1: Unresolved alias (the anchor must be set before the alias): nothing']);
  });
});

describe('renderManifests: syntax errors', () => {
  it('reports a syntax error at its line and still renders the rest of the repository', () => {
    const r = render({
      'a.yaml': cm('a'),
      'broken.yaml': y('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: broken', 'data: [unclosed', 'other: 1'),
      'c.yaml': cm('c'),
    });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.file, 'broken.yaml');
    assert.equal(r.errors[0]!.line, 6);
    assert.match(r.errors[0]!.message, /Flow sequence|end with a \]/);
    assert.deepEqual(names(r), ['a.yaml:1 ConfigMap/a', 'c.yaml:1 ConfigMap/c']);
  });

  it('reports duplicate keys at the second key', () => {
    const r = render({ 'dup.yaml': y('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: a', '  name: b') });
    assert.deepEqual(shown(r.errors), ['dup.yaml:5: Map keys must be unique']);
    assert.deepEqual(r.objects, []);
  });

  it('lets the other documents of a multi-document file render when one of them is bad', () => {
    const r = render({
      'multi.yaml': y(
        ...cm('first').trim().split('\n'), // 1-4
        '---', // 5
        'apiVersion: v1', // 6
        'kind: ConfigMap', // 7
        'metadata:', // 8
        '  name: second', // 9
        '  name: again', // 10
        '---', // 11
        ...cm('third').trim().split('\n'), // 12-15
        '---', // 16
        '- not', // 17
        '- a mapping',
        '---', // 19
        ...cm('fourth').trim().split('\n'), // 20-23
      ),
    });
    assert.deepEqual(shown(r.errors), ['multi.yaml:10: Map keys must be unique', 'multi.yaml:17: document is not a mapping (found a sequence)']);
    assert.deepEqual(names(r), ['multi.yaml:1 ConfigMap/first', 'multi.yaml:12 ConfigMap/third', 'multi.yaml:20 ConfigMap/fourth']);
  });

  it('refuses absurdly deep nesting without crashing', () => {
    const r = render({ 'deep.yaml': cm('deep', [`data: ${'['.repeat(5000)}${']'.repeat(5000)}`]), 'ok.yaml': cm('ok') });
    assert.deepEqual(shown(r.errors), ['deep.yaml:5: document is nested too deeply']);
    assert.deepEqual(names(r), ['ok.yaml:1 ConfigMap/ok']);
  });

  it('reports several mistakes in one document once per line', () => {
    const r = render({ 'x.yaml': y('a: 1', '  b: 2', 'c: [') });
    const lines = r.errors.map((e) => e.line);
    assert.deepEqual(lines, [...new Set(lines)]);
    assert.ok(lines.includes(1));
  });
});

describe('renderManifests: object shape', () => {
  it('refuses documents that are not mappings', () => {
    const r = render({ 'seq.yaml': y('- a'), 'str.yaml': y('# comment', 'just a string'), 'num.yaml': y('42') });
    assert.deepEqual(shown(r.errors), [
      'num.yaml:1: document is not a mapping (found a number (42))',
      'seq.yaml:1: document is not a mapping (found a sequence)',
      'str.yaml:2: document is not a mapping (found a string)',
    ]);
  });

  it('names every missing field, at the document line', () => {
    const r = render({
      'none.yaml': y('# nothing useful', 'data: {}'),
      'kind.yaml': y('apiVersion: v1', 'metadata: {name: a}'),
      'name.yaml': y('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  labels: {a: b}'),
      'gen.yaml': y('apiVersion: v1', 'kind: Pod', 'metadata:', '  generateName: job-'),
    });
    assert.deepEqual(shown(r.errors), [
      'gen.yaml:1: missing metadata.name (generateName is not supported: server-side apply needs a fixed name)',
      'kind.yaml:1: missing kind',
      'name.yaml:1: missing metadata.name',
      'none.yaml:2: missing apiVersion, kind and metadata.name',
    ]);
  });

  it('points at the key when a field has the wrong type', () => {
    const r = render({
      'a.yaml': y('apiVersion: 1', 'kind: ConfigMap', 'metadata:', '  name: ""'),
      'b.yaml': y('apiVersion: v1', 'kind: [ConfigMap]', 'metadata: web'),
      'c.yaml': y('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: c', '  namespace: 7', '  labels:', '    app: web', '    enabled: true', '  annotations: [x]'),
    });
    assert.deepEqual(shown(r.errors), [
      'a.yaml:1: apiVersion must be a non-empty string (found a number (1))',
      'a.yaml:4: metadata.name must be a non-empty string (found an empty string)',
      'b.yaml:2: kind must be a non-empty string (found a sequence)',
      'b.yaml:3: metadata must be a mapping (found a string)',
      'c.yaml:5: metadata.namespace must be a string (found a number (7))',
      'c.yaml:8: metadata.labels.enabled must be a string (found a boolean (true); quote it)',
      'c.yaml:9: metadata.annotations must be a mapping (found a sequence)',
    ]);
    assert.deepEqual(r.objects, []);
  });

  it('treats null namespace, labels and annotations as absent', () => {
    const r = render({ 'a.yaml': cm('a', ['  namespace:', '  labels: ~', '  annotations: null']) });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.objects[0]!.object.metadata, { name: 'a' });
  });
});

describe('renderManifests: kind List', () => {
  it('flattens a v1 List into its items, each with the line of its own node', () => {
    const r = render({
      'list.yaml': y(
        '# a list', // 1
        'apiVersion: v1', // 2
        'kind: List', // 3
        'items:', // 4
        '  - apiVersion: v1', // 5
        '    kind: ConfigMap',
        '    metadata:',
        '      name: one', // 8
        '  - # the second one', // 9
        '    apiVersion: v1', // 10
        '    kind: Service',
        '    metadata: {name: two}',
        '    spec:',
        '      ports: [{port: 80}]', // 14
        '---', // 15
        'apiVersion: v1', // 16
        'kind: List',
        'items: []',
      ),
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(names(r), ['list.yaml:5 ConfigMap/one', 'list.yaml:10 Service/two']);
    assert.equal(r.objects[0]!.lineOf(['metadata', 'name']), 8);
    assert.equal(r.objects[1]!.lineOf(['spec', 'ports', 0, 'port']), 14);
    assert.equal(r.objects[1]!.lineOf([]), 10);
  });

  it('refuses a bad item alone, and a List whose items are not a sequence', () => {
    const r = render({
      'list.yaml': y(
        'apiVersion: v1', 'kind: List', 'items:',
        '  - apiVersion: v1', '    kind: ConfigMap', '    metadata: {name: good}', // 4-6
        '  - kind: ConfigMap', '    metadata: {name: no-version}', // 7-8
        '  - just text', // 9
        '  - apiVersion: v1', '    kind: List', '    items:', '      - {apiVersion: v1, kind: ConfigMap, metadata: {name: nested}}', // 10-13
      ),
      'bad.yaml': y('apiVersion: v1', 'kind: List', 'items: {a: 1}'),
    });
    assert.deepEqual(shown(r.errors), [
      'bad.yaml:3: items must be a sequence (found a mapping)',
      'list.yaml:7: missing apiVersion',
      'list.yaml:9: List item is not a mapping (found a string)',
    ]);
    assert.deepEqual(names(r), ['list.yaml:4 ConfigMap/good', 'list.yaml:13 ConfigMap/nested']);
  });

  it('does not flatten other kinds named List', () => {
    const r = render({ 'l.yaml': y('apiVersion: example.com/v1', 'kind: List', 'metadata: {name: mine}', 'items: [1]') });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(names(r), ['l.yaml:1 List/mine']);
  });
});

describe('renderManifests: lineOf', () => {
  const doc = y(
    'apiVersion: apps/v1', // 1
    'kind: Deployment', // 2
    'metadata:', // 3
    '  name: web', // 4
    'spec:', // 5
    '  template:', // 6
    '    spec:', // 7
    '      containers:', // 8
    '        - name: web', // 9
    '          image: nginx', // 10
    '        - name: sidecar', // 11
    '          ports:', // 12
    '            - containerPort: 80', // 13
    '  "odd key": 1', // 14
    '  1: one', // 15
  );
  const [o] = render({ 'd.yaml': doc }).objects;

  it('finds keys, sequence items and quoted or numeric keys', () => {
    assert.equal(o!.lineOf([]), 1);
    assert.equal(o!.lineOf(['spec']), 5);
    assert.equal(o!.lineOf(['spec', 'template', 'spec', 'containers']), 8);
    assert.equal(o!.lineOf(['spec', 'template', 'spec', 'containers', 1]), 11);
    assert.equal(o!.lineOf(['spec', 'template', 'spec', 'containers', 1, 'ports', 0, 'containerPort']), 13);
    assert.equal(o!.lineOf(['spec', 'odd key']), 14);
    assert.equal(o!.lineOf(['spec', '1']), 15);
  });

  it('falls back to the deepest existing ancestor', () => {
    assert.equal(o!.lineOf(['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits']), 9);
    assert.equal(o!.lineOf(['spec', 'template', 'spec', 'containers', 7]), 8);
    assert.equal(o!.lineOf(['status']), 1);
    assert.equal(o!.lineOf(['metadata', 'name', 'deeper']), 4);
  });
});

describe('renderManifests: size limits', () => {
  const padded = (name: string, bytes: number) => {
    const head = cm(name, ['data:', '  pad: ']);
    return `${head.slice(0, -1)}${'x'.repeat(bytes - head.length)}\n`;
  };

  it('refuses a file over maxFileBytes, naming both sizes', () => {
    const big = padded('big', Math.ceil(3.2 * MiB));
    assert.equal(Buffer.byteLength(big), Math.ceil(3.2 * MiB));
    const r = render({ 'big.yaml': big, 'small.yaml': cm('small') });
    assert.deepEqual(shown(r.errors), ['big.yaml: file is 3.2 MiB, over the 1 MiB limit']);
    assert.deepEqual(names(r), ['small.yaml:1 ConfigMap/small']);
  });

  it('gives exact byte counts when the rounded sizes would look equal', () => {
    const r = render({ 'edge.yaml': padded('edge', MiB + 1), 'exact.yaml': padded('exact', MiB) });
    assert.deepEqual(shown(r.errors), ['edge.yaml: file is 1048577 bytes, over the 1 MiB (1048576 bytes) limit']);
    assert.deepEqual(names(r), ['exact.yaml:1 ConfigMap/exact']);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = cm('wide', ['data:', `  s: "${'é'.repeat(60)}"`]);
    const r = render({ 'wide.yaml': text }, { maxFileBytes: text.length });
    assert.deepEqual(shown(r.errors), [`wide.yaml: file is ${text.length + 60} bytes, over the ${text.length} bytes limit`]);
  });

  it('refuses every file once the running total would pass maxTotalBytes', () => {
    const limits = { maxFileBytes: 1000, maxTotalBytes: 500 };
    // a + b = 400 bytes; b2 would make 600, so it and every file after it (even the small c) are refused.
    const files = { 'c.yaml': padded('c', 100), 'a.yaml': padded('a', 200), 'b.yaml': padded('b', 200), 'b2.yaml': padded('b2', 200), 'notes.txt': 'x'.repeat(5000) };
    const r = render(files, limits);
    const message = "not rendered: the repository's YAML files together exceed the 500 bytes limit";
    assert.deepEqual(shown(r.errors), [`b2.yaml: ${message}`, `c.yaml: ${message}`]);
    assert.deepEqual(names(r), ['a.yaml:1 ConfigMap/a', 'b.yaml:1 ConfigMap/b']);
  });

  it('does not count refused oversized files towards the total', () => {
    const r = render({ 'a.yaml': padded('a', 2000), 'b.yaml': padded('b', 200) }, { maxFileBytes: 1000, maxTotalBytes: 250 });
    assert.deepEqual(shown(r.errors), ['a.yaml: file is 2 KiB, over the 1000 bytes limit']);
    assert.deepEqual(names(r), ['b.yaml:1 ConfigMap/b']);
  });

  it('has the documented defaults', () => {
    assert.deepEqual({ ...DEFAULT_RENDER_LIMITS }, { maxFileBytes: MiB, maxTotalBytes: 64 * MiB, maxAliasCount: 100 });
    assert.ok(Object.isFrozen(DEFAULT_RENDER_LIMITS));
  });

  it('formats sizes', () => {
    assert.deepEqual([1, 1000, 1024, 1536, 3 * MiB + 200 * 1024, 64 * MiB, 5 * 1024 * MiB].map(formatBytes),
      ['1 byte', '1000 bytes', '1 KiB', '1.5 KiB', '3.2 MiB', '64 MiB', '5 GiB']);
  });
});

describe('renderManifests: alias bombs', () => {
  const laughs = (levels: number) => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lol}', 'data:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < levels; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`  ${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    return y(...lines);
  };

  it('refuses a billion laughs document fast, and renders the other documents of the file', () => {
    const started = performance.now();
    const r = render({ 'bomb.yaml': `${cm('before')}---\n${laughs(9)}---\n${cm('after')}`, 'other.yaml': cm('other') });
    const elapsed = performance.now() - started;
    assert.deepEqual(shown(r.errors), ['bomb.yaml:6: too many YAML aliases (possible alias bomb)']);
    assert.deepEqual(names(r), ['bomb.yaml:1 ConfigMap/before', 'bomb.yaml:20 ConfigMap/after', 'other.yaml:1 ConfigMap/other']);
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  });

  it('honours maxAliasCount', () => {
    const doc = cm('few', ['data:', '  a: &a x', '  b: [*a, *a, *a]']);
    assert.deepEqual(render({ 'a.yaml': doc }).errors, []);
    assert.deepEqual(shown(render({ 'a.yaml': doc }, { maxAliasCount: 2 }).errors), ['a.yaml:1: too many YAML aliases (possible alias bomb)']);
  });

  it('refuses a document that aliases expand beyond maxFileBytes', () => {
    // 90 copies of a 20 KB anchor stay within yaml's alias count but expand to 1.8 MB.
    const doc = cm('wide', ['data:', `  a: &a "${'x'.repeat(20_000)}"`, `  b: [${Array(90).fill('*a').join(', ')}]`]);
    const started = performance.now();
    const r = render({ 'wide.yaml': doc, 'ok.yaml': cm('ok') });
    assert.deepEqual(shown(r.errors), ['wide.yaml:1: document expands to more than 1 MiB through YAML aliases (possible alias bomb)']);
    assert.deepEqual(names(r), ['ok.yaml:1 ConfigMap/ok']);
    assert.ok(performance.now() - started < 1000);
  });

  it('lets a large document with a few aliases through', () => {
    const doc = cm('large', ['data:', '  a: &a small', '  b: *a', `  big: "${'x'.repeat(900_000)}"`]);
    const r = render({ 'large.yaml': doc });
    assert.deepEqual(r.errors, []);
    assert.equal(r.objects.length, 1);
  });
});

describe('formatManifestError', () => {
  it('shows file:line: message, or file: message without a line', () => {
    assert.equal(formatManifestError({ file: 'a.yaml', line: 3, message: 'boom' }), 'a.yaml:3: boom');
    assert.equal(formatManifestError({ file: 'a.yaml', message: 'boom' }), 'a.yaml: boom');
  });
});
