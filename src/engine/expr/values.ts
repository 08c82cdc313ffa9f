// What expressions compute with: JSON-shaped data. Maps are plain objects read only through their
// own data properties, so nothing an expression does can reach a prototype, a getter or a function.
import { ExprEvalError } from './errors.ts';

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
export type ValueMap = { [key: string]: Value };

export type TypeName = 'nil' | 'bool' | 'number' | 'string' | 'array' | 'map' | 'unsupported';

export function isMap(v: unknown): v is ValueMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function typeOf(v: unknown): TypeName {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      if (Array.isArray(v)) return 'array';
      return isMap(v) ? 'map' : 'unsupported';
  }
}

/** Environment values come from providers as `unknown`: `undefined` is nil, and anything that is not JSON-shaped is refused on use. */
export function fromEnv(v: unknown): Value {
  if (v === undefined) return null;
  const t = typeof v;
  // never hand a callable (or other non-data) to expression code
  if (t === 'function' || t === 'symbol' || t === 'bigint') throw new ExprEvalError(`unsupported value (${t})`);
  return v as Value;
}

/** Own data property of a map, or undefined; never consults the prototype or runs a getter. */
export function ownValue(m: ValueMap, key: string): Value | undefined {
  if (!Object.prototype.hasOwnProperty.call(m, key)) return undefined;
  const desc = Object.getOwnPropertyDescriptor(m, key);
  if (!desc || !('value' in desc)) return undefined;
  return fromEnv(desc.value);
}

export function newMap(): ValueMap {
  // null prototype: a "__proto__" key is then plain data, not a prototype switch
  return Object.create(null) as ValueMap;
}

const DESCRIBE_LIMIT = 40;

/** `string "abc"`, `number 0.95`, `nil`, `array [1, 2]` — for error messages. */
export function describe(v: unknown): string {
  const t = typeOf(v);
  if (t === 'nil') return 'nil';
  if (t === 'unsupported') return `unsupported value (${typeof v})`;
  return `${t} ${shortText(v as Value)}`;
}

function shortText(v: Value): string {
  const s = literalText(v, 3);
  return s.length > DESCRIBE_LIMIT ? `${s.slice(0, DESCRIBE_LIMIT - 1)}…` : s;
}

/** Expression-literal rendering (strings quoted), bounded in depth. */
function literalText(v: Value, depth: number): string {
  const t = typeOf(v);
  switch (t) {
    case 'nil':
      return 'nil';
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return numberText(v as number);
    case 'bool':
      return String(v);
    case 'array': {
      if (depth <= 0) return '[…]';
      const arr = v as Value[];
      const items = arr.slice(0, 5).map((x) => literalText(x, depth - 1));
      if (arr.length > 5) items.push('…');
      return `[${items.join(', ')}]`;
    }
    case 'map': {
      if (depth <= 0) return '{…}';
      const m = v as ValueMap;
      const keys = Object.keys(m);
      const items = keys.slice(0, 5).map((k) => `${JSON.stringify(k)}: ${literalText(ownValue(m, k) ?? null, depth - 1)}`);
      if (keys.length > 5) items.push('…');
      return `{${items.join(', ')}}`;
    }
    default:
      return '?';
  }
}

export function numberText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Go's `%v` rendering, which expr's `string()` uses: `[1 2]`, `map[a:1]`, `<nil>`. */
export function goText(v: Value, depth = 8): string {
  const t = typeOf(v);
  switch (t) {
    case 'nil':
      return '<nil>';
    case 'string':
      return v as string;
    case 'number':
      return numberText(v as number);
    case 'bool':
      return String(v);
    case 'array':
      if (depth <= 0) return '[...]';
      return `[${(v as Value[]).map((x) => goText(x, depth - 1)).join(' ')}]`;
    case 'map': {
      if (depth <= 0) return 'map[...]';
      const m = v as ValueMap;
      // Go prints map keys sorted
      const keys = Object.keys(m).sort();
      return `map[${keys.map((k) => `${k}:${goText(ownValue(m, k) ?? null, depth - 1)}`).join(' ')}]`;
    }
    default:
      throw new ExprEvalError(`cannot convert ${describe(v)} to string`);
  }
}

/** expr's `==`: numbers by value (int and float alike), arrays and maps deeply, different kinds unequal. */
export function equals(a: Value, b: Value, depth = 0): boolean {
  if (depth > 64) throw new ExprEvalError('values nested too deeply to compare');
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) return false;
  switch (ta) {
    case 'nil':
      return true;
    case 'bool':
    case 'number':
    case 'string':
      return a === b;
    case 'array': {
      const x = a as Value[];
      const y = b as Value[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!equals(x[i] ?? null, y[i] ?? null, depth + 1)) return false;
      return true;
    }
    case 'map': {
      const x = a as ValueMap;
      const y = b as ValueMap;
      const kx = Object.keys(x);
      if (kx.length !== Object.keys(y).length) return false;
      for (const k of kx) {
        const vy = ownValue(y, k);
        if (vy === undefined && !Object.prototype.hasOwnProperty.call(y, k)) return false;
        if (!equals(ownValue(x, k) ?? null, vy ?? null, depth + 1)) return false;
      }
      return true;
    }
    default:
      throw new ExprEvalError(`cannot compare ${describe(a)}`);
  }
}

export function isInteger(v: Value): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
