// Turns the YAML files of a synced repository into plain Kubernetes objects, each remembering
// where it came from so that later checks (validate-manifests.ts) and the API server's complaints
// can point at `file:line`. A broken file or document is reported and skipped; everything else
// still renders, so one typo does not stop a whole repository from syncing.
//
// Pure module: no I/O, no clock.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document, Pair, YAMLMap } from 'yaml';
import { formatPath } from '../validation/crd-schema.ts';
import { DEFAULT_RENDER_LIMITS } from './manifest-types.ts';
import type { ManifestError, ManifestObject, RenderLimits, RenderedObject, SourceFile } from './manifest-types.ts';

export interface RenderResult {
  objects: RenderedObject[];
  errors: ManifestError[];
}

type Segments = readonly (string | number)[];

// YAML 1.2 core schema, whatever `%YAML` directive a document carries: `2024-01-01` and `yes`
// stay strings, and without resolveKnownTags explicit `!!timestamp`, `!!binary` or `!!set` tags
// cannot turn values into Dates, Uint8Arrays or Sets. Merge keys (`<<: *base`) are on because
// kubectl (go-yaml) accepts them. prettyErrors is off: we format `file:line: message` ourselves.
const PARSE_OPTIONS = {
  version: '1.2',
  schema: 'core',
  resolveKnownTags: false,
  merge: true,
  uniqueKeys: true,
  prettyErrors: false,
} as const;

const YAML_FILE = /\.ya?ml$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function renderManifests(files: readonly SourceFile[], limits: Partial<RenderLimits> = {}): RenderResult {
  const lim: RenderLimits = { ...DEFAULT_RENDER_LIMITS, ...limits };
  const objects: RenderedObject[] = [];
  const errors: ManifestError[] = [];
  // Sorted by path so that output, and which files the total limit cuts off, do not depend on
  // the order in which the caller happened to list them.
  const yamlFiles = files.filter((f) => YAML_FILE.test(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let total = 0;
  let overTotal = false;
  for (const file of yamlFiles) {
    const size = typeof file.content === 'string' ? Buffer.byteLength(file.content, 'utf8') : file.content.byteLength;
    if (overTotal) {
      errors.push({ file: file.path, message: totalLimitMessage(lim.maxTotalBytes) });
      continue;
    }
    if (size > lim.maxFileBytes) {
      errors.push({ file: file.path, message: `file is ${sizeOverLimit(size, lim.maxFileBytes)} limit` });
      continue;
    }
    if (total + size > lim.maxTotalBytes) {
      // Every later file is refused too, even small ones: otherwise which files render would
      // depend on the sizes of the ones before them in a way nobody could predict.
      overTotal = true;
      errors.push({ file: file.path, message: totalLimitMessage(lim.maxTotalBytes) });
      continue;
    }
    total += size;
    let text: string;
    try {
      text = typeof file.content === 'string' ? file.content : utf8.decode(file.content);
    } catch {
      errors.push({ file: file.path, message: 'file is not valid UTF-8' });
      continue;
    }
    try {
      renderFile(file.path, text, lim, objects, errors);
    } catch (err) {
      // Not expected (yaml reports problems as document errors), but one file must never stop the others.
      errors.push({ file: file.path, message: `cannot render: ${(err as Error).message}` });
    }
  }
  return { objects, errors };
}

function renderFile(path: string, text: string, lim: RenderLimits, objects: RenderedObject[], errors: ManifestError[]): void {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter }) as Document.Parsed[];
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  // An alias is `*name`: a file without a `*` has none, and the walk looking for one is skipped.
  const mayHaveAliases = text.includes('*');
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      // One error per line: a single mistake often makes yaml report several at the same spot.
      const seen = new Set<number>();
      for (const e of doc.errors) {
        const line = lineAt(e.pos[0]);
        if (seen.has(line)) continue;
        seen.add(line);
        // yaml turns a stack overflow on deep nesting into this error code.
        errors.push({ file: path, line, message: e.code === 'RESOURCE_EXHAUSTION' ? 'document is nested too deeply' : e.message });
      }
      continue;
    }
    const root = doc.contents;
    if (root === null) continue;
    const docLine = lineAt(root.range[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: lim.maxAliasCount });
    } catch (err) {
      const message = (err as Error).message;
      errors.push({
        file: path,
        line: docLine,
        message: /excessive alias count/i.test(message) ? 'too many YAML aliases (possible alias bomb)' : message,
      });
      continue;
    }
    if (value === null || value === undefined) continue; // empty, comment-only or `null` document
    const ctx: DocContext = { doc, lineAt, file: path, objects, errors };
    let plain: unknown;
    try {
      // yaml's alias count still lets one big anchor be expanded ~100 times; bound what aliases
      // may expand a document to by the per-file limit (alias-free documents never reach it).
      plain = new PlainCopy(mayHaveAliases && hasAliases(doc) ? lim.maxFileBytes : Infinity).copy(value);
    } catch (err) {
      if (!(err instanceof PlainError)) throw err;
      if (err.segments === undefined) {
        errors.push({ file: path, line: docLine, message: err.message });
      } else {
        const line = lineOfNode(ctx, root, err.segments, docLine);
        errors.push({ file: path, line, message: `${formatPath(err.segments) || 'document'}: ${err.message}` });
      }
      continue;
    }
    collectObjects(ctx, plain, root, docLine, false);
  }
}

/** What lineOf needs: kept alive by every RenderedObject of the document, so nothing more. */
interface Locator {
  doc: Document.Parsed;
  lineAt: (offset: number) => number;
}

interface DocContext extends Locator {
  file: string;
  objects: RenderedObject[];
  errors: ManifestError[];
}

/** Checks one document (or List item) and appends the object, or the items of a List. */
function collectObjects(ctx: DocContext, value: unknown, node: unknown, line: number, isItem: boolean): void {
  const locator: Locator = { doc: ctx.doc, lineAt: ctx.lineAt };
  const lineOf = (segments: Segments) => lineOfNode(locator, node, segments, line);
  const { file, errors } = ctx;
  if (!isPlainObject(value)) {
    errors.push({ file, line, message: `${isItem ? 'List item' : 'document'} is not a mapping (found ${describe(value)})` });
    return;
  }
  // kubectl flattens `kind: List` into its items; so do we, each item keeping its own lines.
  if (value.apiVersion === 'v1' && value.kind === 'List') {
    const items = value.items;
    if (items === undefined || items === null) return;
    if (!Array.isArray(items)) {
      errors.push({ file, line: lineOf(['items']), message: `items must be a sequence (found ${describe(items)})` });
      return;
    }
    const itemsNode = nodeAt(ctx, node, ['items']);
    items.forEach((item, index) => {
      const itemNode = isSeq(itemsNode) ? deref(ctx, itemsNode.items[index]) : null;
      collectObjects(ctx, item, itemNode, lineOf(['items', index]), true);
    });
    return;
  }
  const problems = checkObjectShape(value);
  if (problems.length > 0) {
    for (const p of problems) errors.push({ file, line: p.at ? lineOf(p.at) : line, message: p.message });
    return;
  }
  ctx.objects.push({ object: value as unknown as ManifestObject, source: { file, line }, lineOf });
}

interface ShapeProblem { at?: Segments; message: string }

/** apiVersion, kind and metadata.name must be usable; labels and annotations must be strings. */
function checkObjectShape(obj: Record<string, unknown>): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const missing: string[] = [];
  for (const key of ['apiVersion', 'kind'] as const) {
    const v = obj[key];
    if (v === undefined || v === null) missing.push(key);
    else if (typeof v !== 'string' || v === '') problems.push({ at: [key], message: `${key} must be a non-empty string (found ${describe(v)})` });
  }
  const metadata = obj.metadata;
  if (metadata === undefined || metadata === null) {
    missing.push('metadata.name');
  } else if (!isPlainObject(metadata)) {
    problems.push({ at: ['metadata'], message: `metadata must be a mapping (found ${describe(metadata)})` });
  } else {
    const name = metadata.name;
    if (name === undefined || name === null) {
      missing.push(metadata.generateName !== undefined
        ? 'metadata.name (generateName is not supported: server-side apply needs a fixed name)'
        : 'metadata.name');
    } else if (typeof name !== 'string' || name === '') {
      problems.push({ at: ['metadata', 'name'], message: `metadata.name must be a non-empty string (found ${describe(name)})` });
    }
    // The API server treats null as absent; dropping it keeps ManifestObject's types honest.
    for (const key of ['namespace', 'labels', 'annotations'] as const) {
      if (metadata[key] === null) delete metadata[key];
    }
    if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
      problems.push({ at: ['metadata', 'namespace'], message: `metadata.namespace must be a string (found ${describe(metadata.namespace)})` });
    }
    for (const key of ['labels', 'annotations'] as const) {
      const map = metadata[key];
      if (map === undefined) continue;
      if (!isPlainObject(map)) {
        problems.push({ at: ['metadata', key], message: `metadata.${key} must be a mapping (found ${describe(map)})` });
        continue;
      }
      for (const [k, v] of Object.entries(map)) {
        if (typeof v !== 'string') {
          problems.push({ at: ['metadata', key, k], message: `${formatPath(['metadata', key, k])} must be a string (found ${describe(v)}; quote it)` });
        }
      }
    }
  }
  if (missing.length > 0) problems.unshift({ message: `missing ${joinAnd(missing)}` });
  return problems;
}

class PlainError extends Error {
  readonly segments: (string | number)[] | undefined;
  constructor(message: string, segments?: (string | number)[]) {
    super(message);
    this.segments = segments;
  }
}

/**
 * Deep-copies yaml's toJS output into fresh JSON values: aliases come back as shared (even
 * cyclic) references, which later mutation (namespace defaulting) or JSON.stringify would trip on.
 * Counts the expanded size (string lengths, 1 per other value) to stop alias expansion bombs.
 */
class PlainCopy {
  readonly limit: number;
  size = 0;
  readonly path: (string | number)[] = [];
  readonly ancestors = new Set<object>();

  constructor(limit: number) {
    this.limit = limit;
  }

  copy(value: unknown): unknown {
    try {
      return this.visit(value);
    } catch (err) {
      if (err instanceof RangeError) throw new PlainError('nested too deeply', [...this.path]);
      throw err;
    }
  }

  private count(n: number): void {
    this.size += n;
    if (this.size > this.limit) {
      throw new PlainError(`document expands to more than ${formatBytes(this.limit)} through YAML aliases (possible alias bomb)`);
    }
  }

  private visit(value: unknown): unknown {
    switch (typeof value) {
      case 'string':
        this.count(value.length);
        return value;
      case 'boolean':
        this.count(1);
        return value;
      case 'number':
        if (!Number.isFinite(value)) {
          throw new PlainError(`${Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf'} cannot be represented in JSON`, [...this.path]);
        }
        this.count(1);
        return value;
      case 'object':
        break;
      default:
        throw new PlainError(`a ${typeof value} value cannot be represented in JSON`, [...this.path]);
    }
    if (value === null) {
      this.count(1);
      return null;
    }
    if (this.ancestors.has(value)) throw new PlainError('YAML alias refers to a node that contains it (recursive structure)', [...this.path]);
    const proto: unknown = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
      throw new PlainError(`a ${value.constructor?.name ?? 'non-JSON'} value cannot be represented in JSON`, [...this.path]);
    }
    this.count(1);
    this.ancestors.add(value);
    let out: unknown;
    if (Array.isArray(value)) {
      const arr: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        this.path.push(i);
        arr.push(this.visit(value[i]));
        this.path.pop();
      }
      out = arr;
    } else {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        this.count(k.length);
        this.path.push(k);
        const copied = this.visit(v);
        this.path.pop();
        // yaml defines `__proto__` keys as own properties; plain assignment would set the prototype.
        if (k === '__proto__') Object.defineProperty(obj, k, { value: copied, enumerable: true, writable: true, configurable: true });
        else obj[k] = copied;
      }
      out = obj;
    }
    this.ancestors.delete(value);
    return out;
  }
}

function hasAliases(doc: Document.Parsed): boolean {
  let found = false;
  visit(doc, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

/** The YAML node at `segments` (following aliases and merge keys), or null. */
function nodeAt(ctx: Locator, root: unknown, segments: Segments): unknown {
  let node: unknown = root;
  for (const seg of segments) {
    node = deref(ctx, node);
    if (isMap(node)) node = findPair(ctx, node, seg, 0)?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return null;
    if (node === undefined) return null;
  }
  return deref(ctx, node);
}

/** See RenderedObject.lineOf: the key's line for mapping entries, else the node's first line. */
function lineOfNode(ctx: Locator, root: unknown, segments: Segments, fallback: number): number {
  let node: unknown = root;
  let line = fallback;
  for (const seg of segments) {
    node = deref(ctx, node);
    let at: number | undefined;
    if (isMap(node)) {
      const pair = findPair(ctx, node, seg, 0);
      if (!pair) break;
      at = rangeStart(pair.key) ?? rangeStart(pair.value);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (item === undefined) break;
      at = rangeStart(item);
      node = item;
    } else {
      break;
    }
    if (at !== undefined) line = ctx.lineAt(at);
  }
  return line;
}

function deref(ctx: Locator, node: unknown): unknown {
  return isAlias(node) ? (node.resolve(ctx.doc) ?? null) : node;
}

/** The pair for `key`, looking through merge keys (`<<`) the way yaml's toJS merges them. */
function findPair(ctx: Locator, map: YAMLMap, key: string | number, depth: number): Pair | undefined {
  const wanted = String(key);
  const merges: unknown[] = [];
  let found: Pair | undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && typeof pair.key.value === 'symbol') merges.push(pair.value);
    else if (keyString(pair.key) === wanted) found = pair;
  }
  if (found || depth > 20) return found;
  // Explicit keys win over merged ones; among merged maps the first one listed wins.
  for (const source of merges) {
    const value = deref(ctx, source);
    const maps = isSeq(value) ? value.items.map((item) => deref(ctx, item)) : [value];
    for (const m of maps) {
      if (!isMap(m)) continue;
      const pair = findPair(ctx, m, key, depth + 1);
      if (pair) return pair;
    }
  }
  return undefined;
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a sequence';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  return typeof value;
}

function joinAnd(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** `3.2 MiB`, `512 KiB`, `200 bytes`: one decimal at most, none when it is `.0`. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 'bytes';
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${value.toFixed(1).replace(/\.0$/, '')} ${unit}`;
}

/** `3.2 MiB, over the 1 MiB`; exact byte counts when rounding would make both look equal. */
function sizeOverLimit(size: number, limit: number): string {
  const a = formatBytes(size);
  const b = formatBytes(limit);
  return a === b ? `${size} bytes, over the ${b} (${limit} bytes)` : `${a}, over the ${b}`;
}

function totalLimitMessage(maxTotalBytes: number): string {
  return `not rendered: the repository's YAML files together exceed the ${formatBytes(maxTotalBytes)} limit`;
}
