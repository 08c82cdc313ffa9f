// Offline validation of a Kubernetes object against a CRD's openAPIV3Schema, as the API server
// validates it, plus the fields the API server would silently prune (unknown fields, nulls in
// non-nullable fields) so that `sluice lint` and Git sync can point at them.
//
// A small hand-written walker rather than ajv: the Kubernetes dialect differs from JSON Schema
// exactly where we need precision (x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields
// applying to one node only, null pruning, the special root `metadata`). With ajv each of these
// needs a schema rewrite, and int-or-string as anyOf produces several errors per mistake; here
// every mistake gives one error with a path that maps back to a YAML node.
//
// Pure module: no I/O.

export type PathSegment = string | number;

/**
 * - `invalid`: the API server rejects the object.
 * - `unknown`: the field is not in the schema; the API server drops it silently.
 * - `dropped`: null in a field that is not nullable; the API server drops it silently.
 */
export type SchemaErrorReason = 'invalid' | 'unknown' | 'dropped';

export interface SchemaError {
  /** Display path, e.g. `spec.strategy.canary.steps[2].setWeight`. */
  path: string;
  /** The same path as segments (object keys and array indexes), for mapping to a YAML node. */
  segments: PathSegment[];
  message: string;
  reason: SchemaErrorReason;
}

/** The subset of a structural openAPIV3Schema that Kubernetes CRDs use. */
export interface CrdSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, CrdSchema>;
  additionalProperties?: boolean | CrdSchema;
  items?: CrdSchema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  pattern?: string;
  nullable?: boolean;
  oneOf?: CrdSchema[];
  anyOf?: CrdSchema[];
  allOf?: CrdSchema[];
  not?: CrdSchema;
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

export function validateAgainstCrdSchema(obj: unknown, schema: CrdSchema): SchemaError[] {
  const errors: SchemaError[] = [];
  if (!isPlainObject(obj)) {
    push(errors, [], `expected an object, got ${describe(obj)}`, 'invalid');
    return errors;
  }
  // apiVersion, kind and metadata are the API server's own (ObjectMeta is validated natively and
  // never pruned by the CRD schema); everything else follows the CRD schema.
  for (const key of ['apiVersion', 'kind'] as const) {
    if (obj[key] !== undefined && typeof obj[key] !== 'string') {
      push(errors, [key], `expected string, got ${describe(obj[key])}`, 'invalid');
    }
  }
  if (obj.metadata !== undefined) checkObjectMeta(obj.metadata, errors);
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = obj;
  const { apiVersion: _sa, kind: _sk, metadata: _sm, ...properties } = schema.properties ?? {};
  new Walker(errors, true).visit(rest, { ...schema, properties }, []);
  return errors;
}

/** `["spec", "steps", 2, "setWeight"]` → `spec.steps[2].setWeight`; odd keys are quoted. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

class Walker {
  readonly errors: SchemaError[];
  /** False inside anyOf/oneOf/allOf/not branches: pruning is decided by the structural schema. */
  readonly reportUnknown: boolean;

  constructor(errors: SchemaError[], reportUnknown: boolean) {
    this.errors = errors;
    this.reportUnknown = reportUnknown;
  }

  visit(value: unknown, schema: CrdSchema, at: PathSegment[]): void {
    if (value === null) {
      if (!schema.nullable) push(this.errors, at, 'null is not allowed here', 'invalid');
      return;
    }
    if (schema['x-kubernetes-int-or-string']) {
      if (!(typeof value === 'string' || Number.isInteger(value))) {
        push(this.errors, at, `expected integer or string, got ${describe(value)}`, 'invalid');
        return;
      }
    } else if (schema.type !== undefined) {
      if (!hasType(value, schema.type)) {
        push(this.errors, at, `expected ${schema.type}, got ${describe(value)}`, 'invalid');
        return;
      }
    }
    this.checkValue(value, schema, at);
    this.checkCombinators(value, schema, at);
    if (Array.isArray(value)) this.visitArray(value, schema, at);
    else if (isPlainObject(value)) this.visitObject(value, schema, at);
  }

  private checkValue(value: unknown, schema: CrdSchema, at: PathSegment[]): void {
    const fail = (message: string) => push(this.errors, at, message, 'invalid');
    if (schema.enum && !schema.enum.some((allowed) => jsonEqual(allowed, value))) {
      fail(`unsupported value ${JSON.stringify(value)}: must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
    }
    if (typeof value === 'number') {
      if (schema.minimum !== undefined) {
        if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
          fail(`must be ${schema.exclusiveMinimum ? 'greater than' : 'greater than or equal to'} ${schema.minimum}`);
        }
      }
      if (schema.maximum !== undefined) {
        if (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum) {
          fail(`must be ${schema.exclusiveMaximum ? 'less than' : 'less than or equal to'} ${schema.maximum}`);
        }
      }
    }
    if (typeof value === 'string') {
      const length = [...value].length;
      if (schema.minLength !== undefined && length < schema.minLength) fail(`must be at least ${schema.minLength} characters long`);
      if (schema.maxLength !== undefined && length > schema.maxLength) fail(`must be at most ${schema.maxLength} characters long`);
      const pattern = schema.pattern !== undefined ? compilePattern(schema.pattern) : undefined;
      if (pattern && !pattern.test(value)) fail(`${JSON.stringify(value)} does not match pattern ${schema.pattern}`);
      const formatError = schema.format ? checkFormat(value, schema.format) : undefined;
      if (formatError) fail(formatError);
    }
    if (Array.isArray(value)) {
      if (schema.minItems !== undefined && value.length < schema.minItems) fail(`must have at least ${schema.minItems} items`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) fail(`must have at most ${schema.maxItems} items`);
    } else if (isPlainObject(value)) {
      const count = Object.keys(value).length;
      if (schema.minProperties !== undefined && count < schema.minProperties) fail(`must have at least ${schema.minProperties} fields`);
      if (schema.maxProperties !== undefined && count > schema.maxProperties) fail(`must have at most ${schema.maxProperties} fields`);
    }
  }

  private checkCombinators(value: unknown, schema: CrdSchema, at: PathSegment[]): void {
    const passes = (branch: CrdSchema) => {
      const sink: SchemaError[] = [];
      new Walker(sink, false).visit(value, branch, at);
      return sink.length === 0;
    };
    const fail = (message: string) => push(this.errors, at, message, 'invalid');
    if (schema.allOf) {
      for (const branch of schema.allOf) new Walker(this.errors, false).visit(value, branch, at);
    }
    if (schema.anyOf && !schema.anyOf.some(passes)) fail('must match at least one of the allowed forms (anyOf)');
    if (schema.oneOf) {
      const matched = schema.oneOf.filter(passes).length;
      if (matched !== 1) fail(`must match exactly one of the allowed forms (oneOf), matched ${matched}`);
    }
    if (schema.not && passes(schema.not)) fail('must not match the excluded form (not)');
  }

  private visitArray(value: unknown[], schema: CrdSchema, at: PathSegment[]): void {
    const items = schema.items;
    if (!items) return;
    value.forEach((item, index) => this.visit(item, items, [...at, index]));
  }

  private visitObject(value: Record<string, unknown>, schema: CrdSchema, at: PathSegment[]): void {
    const properties = schema.properties ?? {};
    const additional = schema.additionalProperties;
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    for (const [key, child] of Object.entries(value)) {
      const childSchema = Object.hasOwn(properties, key) ? properties[key] : typeof additional === 'object' ? additional : undefined;
      const here = [...at, key];
      if (childSchema) {
        // Nulls in non-nullable fields are pruned before validation (apiextensions.k8s.io/v1).
        if (child === null && !childSchema.nullable) {
          if (this.reportUnknown) push(this.errors, here, 'null value: the API server drops this field (it is not nullable)', 'dropped');
          continue;
        }
        this.visit(child, childSchema, here);
      } else if (additional === true || preserve) {
        continue;
      } else if (additional === false && !this.reportUnknown) {
        // Inside a combinator branch an explicit `additionalProperties: false` is a real constraint.
        push(this.errors, here, `field ${JSON.stringify(key)} is not allowed here`, 'invalid');
      } else if (this.reportUnknown) {
        push(this.errors, here, `unknown field ${JSON.stringify(key)}: the API server drops it silently`, 'unknown');
      }
    }
    for (const key of schema.required ?? []) {
      const present = value[key] !== undefined && (value[key] !== null || properties[key]?.nullable === true);
      if (!present) push(this.errors, [...at, key], `required field ${JSON.stringify(key)} is missing`, 'invalid');
    }
  }
}

// ObjectMeta is validated by the API server itself; only the checks a manifest author can trip
// over offline are repeated here.
function checkObjectMeta(metadata: unknown, errors: SchemaError[]): void {
  if (!isPlainObject(metadata)) {
    push(errors, ['metadata'], `expected object, got ${describe(metadata)}`, 'invalid');
    return;
  }
  for (const key of ['name', 'namespace', 'generateName'] as const) {
    if (metadata[key] !== undefined && typeof metadata[key] !== 'string') {
      push(errors, ['metadata', key], `expected string, got ${describe(metadata[key])}`, 'invalid');
    }
  }
  for (const key of ['labels', 'annotations'] as const) {
    const map = metadata[key];
    if (map === undefined || map === null) continue;
    if (!isPlainObject(map)) {
      push(errors, ['metadata', key], `expected object, got ${describe(map)}`, 'invalid');
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') push(errors, ['metadata', key, k], `expected string, got ${describe(v)}`, 'invalid');
    }
  }
}

// The formats the API server checks that can appear in our CRDs; other formats (int32, int64,
// byte, ...) are informational for integers or left to the server.
function checkFormat(value: string, format: string): string | undefined {
  switch (format) {
    case 'date-time':
      return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : `${JSON.stringify(value)} is not an RFC 3339 date-time (e.g. 2024-05-01T12:00:00Z)`;
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? undefined : `${JSON.stringify(value)} is not a date (YYYY-MM-DD)`;
    default:
      return undefined;
  }
}

const patterns = new Map<string, RegExp | undefined>();
// Schema patterns are Go RE2; the few RE2 forms JavaScript cannot compile are left to the server.
function compilePattern(source: string): RegExp | undefined {
  if (!patterns.has(source)) {
    let compiled: RegExp | undefined;
    try {
      compiled = new RegExp(source, 'u');
    } catch {
      compiled = undefined;
    }
    patterns.set(source, compiled);
  }
  return patterns.get(source);
}

function hasType(value: unknown, type: NonNullable<CrdSchema['type']>): boolean {
  switch (type) {
    case 'object': return isPlainObject(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? `integer (${value})` : `number (${value})`;
  if (typeof value === 'string') return `string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  if (typeof value === 'boolean') return `boolean (${value})`;
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function push(errors: SchemaError[], segments: PathSegment[], message: string, reason: SchemaErrorReason): void {
  errors.push({ path: formatPath(segments), segments: [...segments], message, reason });
}
