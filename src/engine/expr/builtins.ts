// The functions a condition may call: expr's builtins that analysis templates use, plus the ones
// Argo Rollouts adds to the environment (asInt, asFloat, isNaN, isInf, isNil, default).
// Arity and which argument is a predicate are known here, so the parser can check calls offline.
import { ExprEvalError } from './errors.ts';
import { MAX_STRING_LENGTH } from './limits.ts';
import { describe, goText, isMap, ownValue, typeOf } from './values.ts';
import type { Value, ValueMap } from './values.ts';

/** A predicate closure: `#` is the item, `#index` its index, `#acc` the accumulator (reduce). */
export type Predicate = (item: Value, index: number, acc: Value) => Value;

export interface BuiltinContext {
  /** Spend evaluation budget for work proportional to data size. */
  charge(steps: number): void;
}

export interface Builtin {
  min: number;
  max: number;
  /** Argument 1 is a predicate (`{# > 0}`); parsed as a closure, not evaluated up front. */
  predicate?: 'required' | 'optional';
  /** `args` holds evaluated arguments; the predicate's slot (index 1) holds null. */
  call(args: Value[], pred: Predicate | undefined, ctx: BuiltinContext): Value;
}

function fail(name: string, message: string): never {
  throw new ExprEvalError(`${name}: ${message}`);
}

function arg(args: Value[], i: number): Value {
  return args[i] ?? null;
}

function arrayArg(name: string, v: Value, ctx: BuiltinContext): Value[] {
  if (!Array.isArray(v)) fail(name, `expected array, got ${describe(v)}`);
  ctx.charge(v.length);
  return v;
}

function numberArg(name: string, v: Value): number {
  if (typeof v !== 'number') fail(name, `expected number, got ${describe(v)}`);
  return v;
}

function stringArg(name: string, v: Value): string {
  if (typeof v !== 'string') fail(name, `expected string, got ${describe(v)}`);
  return v;
}

function intArg(name: string, v: Value): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(name, `expected integer, got ${describe(v)}`);
  return v;
}

function boolResult(name: string, v: Value): boolean {
  if (typeof v !== 'boolean') fail(name, `predicate must return bool, got ${describe(v)}`);
  return v;
}

function capString(name: string, s: string): string {
  if (s.length > MAX_STRING_LENGTH) fail(name, `string longer than ${MAX_STRING_LENGTH} characters`);
  return s;
}

/** Go strconv.ParseFloat's accepted forms (decimal, exponent, inf, nan); anything else is an error. */
function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const lower = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  return undefined;
}

/** Go strconv.ParseInt(s, 10, 64) / Atoi. */
function parseGoInt(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

function toInt(name: string, v: Value): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(name, `cannot convert ${describe(v)} to int`);
    return Math.trunc(v);
  }
  if (typeof v === 'string') {
    const n = parseGoInt(v);
    if (n === undefined) fail(name, `cannot convert ${JSON.stringify(v)}`);
    return n;
  }
  return fail(name, `not supported on ${describe(v)}`);
}

function toFloat(name: string, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = parseGoFloat(v);
    if (n === undefined) fail(name, `cannot convert ${JSON.stringify(v)}`);
    return n;
  }
  return fail(name, `not supported on ${describe(v)}`);
}

function numbersOf(name: string, values: Value[], ctx: BuiltinContext, out: number[] = [], depth = 0): number[] {
  if (depth > 16) fail(name, 'arrays nested too deeply');
  ctx.charge(values.length);
  for (const v of values) {
    if (Array.isArray(v)) numbersOf(name, v, ctx, out, depth + 1);
    else out.push(numberArg(name, v));
  }
  return out;
}

function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function predicateLoop(name: string, args: Value[], pred: Predicate | undefined, ctx: BuiltinContext): { arr: Value[]; test: (item: Value, i: number) => boolean } {
  const arr = arrayArg(name, arg(args, 0), ctx);
  if (!pred) return fail(name, 'missing predicate');
  return { arr, test: (item, i) => boolResult(name, pred(item, i, null)) };
}

function find(name: string, fromEnd: boolean, wantIndex: boolean): Builtin {
  return {
    min: 2,
    max: 2,
    predicate: 'required',
    call(args, pred, ctx) {
      const { arr, test } = predicateLoop(name, args, pred, ctx);
      for (let k = 0; k < arr.length; k++) {
        const i = fromEnd ? arr.length - 1 - k : k;
        const item = arr[i] ?? null;
        if (test(item, i)) return wantIndex ? i : item;
      }
      return wantIndex ? -1 : null;
    },
  };
}

function stringFn(name: string, f: (s: string) => string): Builtin {
  return { min: 1, max: 1, call: (args) => capString(name, f(stringArg(name, arg(args, 0)))) };
}

function mathFn(name: string, f: (x: number) => number): Builtin {
  return { min: 1, max: 1, call: (args) => f(numberArg(name, arg(args, 0))) };
}

function isNilValue(v: Value): boolean {
  return v === null || v === undefined;
}

export const BUILTINS: Readonly<Record<string, Builtin>> = {
  len: {
    min: 1,
    max: 1,
    call(args) {
      const v = arg(args, 0);
      if (typeof v === 'string') return [...v].length;
      if (Array.isArray(v)) return v.length;
      if (isMap(v)) return Object.keys(v).length;
      return fail('len', `expected array, map or string, got ${describe(v)}`);
    },
  },
  all: {
    min: 2, max: 2, predicate: 'required',
    call(args, pred, ctx) {
      const { arr, test } = predicateLoop('all', args, pred, ctx);
      return arr.every((x, i) => test(x ?? null, i));
    },
  },
  any: {
    min: 2, max: 2, predicate: 'required',
    call(args, pred, ctx) {
      const { arr, test } = predicateLoop('any', args, pred, ctx);
      return arr.some((x, i) => test(x ?? null, i));
    },
  },
  none: {
    min: 2, max: 2, predicate: 'required',
    call(args, pred, ctx) {
      const { arr, test } = predicateLoop('none', args, pred, ctx);
      return !arr.some((x, i) => test(x ?? null, i));
    },
  },
  one: {
    min: 2, max: 2, predicate: 'required',
    call(args, pred, ctx) {
      const { arr, test } = predicateLoop('one', args, pred, ctx);
      let hits = 0;
      for (let i = 0; i < arr.length; i++) if (test(arr[i] ?? null, i) && ++hits > 1) return false;
      return hits === 1;
    },
  },
  filter: {
    min: 2, max: 2, predicate: 'required',
    call(args, pred, ctx) {
      const { arr, test } = predicateLoop('filter', args, pred, ctx);
      return arr.filter((x, i) => test(x ?? null, i));
    },
  },
  map: {
    min: 2, max: 2, predicate: 'required',
    call(args, pred, ctx) {
      const arr = arrayArg('map', arg(args, 0), ctx);
      if (!pred) return fail('map', 'missing predicate');
      return arr.map((x, i) => pred(x ?? null, i, null));
    },
  },
  count: {
    min: 1, max: 2, predicate: 'optional',
    call(args, pred, ctx) {
      const arr = arrayArg('count', arg(args, 0), ctx);
      let n = 0;
      for (let i = 0; i < arr.length; i++) {
        const item = arr[i] ?? null;
        if (boolResult('count', pred ? pred(item, i, null) : item)) n++;
      }
      return n;
    },
  },
  sum: {
    min: 1, max: 2, predicate: 'optional',
    call(args, pred, ctx) {
      const arr = arrayArg('sum', arg(args, 0), ctx);
      let total = 0;
      for (let i = 0; i < arr.length; i++) {
        const item = arr[i] ?? null;
        total += numberArg('sum', pred ? pred(item, i, null) : item);
      }
      return total;
    },
  },
  find: find('find', false, false),
  findIndex: find('findIndex', false, true),
  findLast: find('findLast', true, false),
  findLastIndex: find('findLastIndex', true, true),
  reduce: {
    min: 2, max: 3, predicate: 'required',
    call(args, pred, ctx) {
      const arr = arrayArg('reduce', arg(args, 0), ctx);
      if (!pred) return fail('reduce', 'missing predicate');
      let start = 0;
      let acc: Value;
      if (args.length > 2) acc = arg(args, 2);
      else if (arr.length === 0) return fail('reduce', 'empty array and no initial value');
      else {
        acc = arr[0] ?? null;
        start = 1;
      }
      for (let i = start; i < arr.length; i++) acc = pred(arr[i] ?? null, i, acc);
      return acc;
    },
  },
  first: {
    min: 1, max: 1,
    call(args, _pred, ctx) {
      const arr = arrayArg('first', arg(args, 0), ctx);
      return arr.length ? (arr[0] ?? null) : null;
    },
  },
  last: {
    min: 1, max: 1,
    call(args, _pred, ctx) {
      const arr = arrayArg('last', arg(args, 0), ctx);
      return arr.length ? (arr[arr.length - 1] ?? null) : null;
    },
  },
  take: {
    min: 2, max: 2,
    call(args, _pred, ctx) {
      const arr = arrayArg('take', arg(args, 0), ctx);
      const n = intArg('take', arg(args, 1));
      return arr.slice(0, Math.max(0, n));
    },
  },
  mean: {
    min: 1, max: Infinity,
    call(args, _pred, ctx) {
      const xs = numbersOf('mean', args, ctx);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    },
  },
  median: {
    min: 1, max: Infinity,
    call(args, _pred, ctx) {
      const xs = numbersOf('median', args, ctx).sort((a, b) => a - b);
      if (!xs.length) return 0;
      const mid = Math.floor(xs.length / 2);
      return xs.length % 2 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
    },
  },
  max: {
    min: 1, max: Infinity,
    call(args, _pred, ctx) {
      const xs = numbersOf('max', args, ctx);
      if (!xs.length) return fail('max', 'no numbers');
      return xs.reduce((a, b) => (b > a || Number.isNaN(b) ? b : a));
    },
  },
  min: {
    min: 1, max: Infinity,
    call(args, _pred, ctx) {
      const xs = numbersOf('min', args, ctx);
      if (!xs.length) return fail('min', 'no numbers');
      return xs.reduce((a, b) => (b < a || Number.isNaN(b) ? b : a));
    },
  },
  abs: mathFn('abs', Math.abs),
  ceil: mathFn('ceil', Math.ceil),
  floor: mathFn('floor', Math.floor),
  round: mathFn('round', roundHalfAway),
  int: { min: 1, max: 1, call: (args) => toInt('int', arg(args, 0)) },
  float: { min: 1, max: 1, call: (args) => toFloat('float', arg(args, 0)) },
  string: { min: 1, max: 1, call: (args) => capString('string', goText(arg(args, 0))) },
  type: {
    min: 1, max: 1,
    call(args) {
      const v = arg(args, 0);
      const t = typeOf(v);
      if (t === 'number') return Number.isInteger(v) ? 'int' : 'float';
      return t;
    },
  },
  lower: stringFn('lower', (s) => s.toLowerCase()),
  upper: stringFn('upper', (s) => s.toUpperCase()),
  trim: {
    min: 1, max: 2,
    call(args) {
      const s = stringArg('trim', arg(args, 0));
      if (args.length < 2) return s.trim();
      const cut = new Set(stringArg('trim', arg(args, 1)));
      const chars = [...s];
      let a = 0;
      let b = chars.length;
      while (a < b && cut.has(chars[a] as string)) a++;
      while (b > a && cut.has(chars[b - 1] as string)) b--;
      return chars.slice(a, b).join('');
    },
  },
  trimPrefix: {
    min: 2, max: 2,
    call(args) {
      const s = stringArg('trimPrefix', arg(args, 0));
      const p = stringArg('trimPrefix', arg(args, 1));
      return s.startsWith(p) ? s.slice(p.length) : s;
    },
  },
  trimSuffix: {
    min: 2, max: 2,
    call(args) {
      const s = stringArg('trimSuffix', arg(args, 0));
      const p = stringArg('trimSuffix', arg(args, 1));
      return p && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
    },
  },
  hasPrefix: { min: 2, max: 2, call: (args) => stringArg('hasPrefix', arg(args, 0)).startsWith(stringArg('hasPrefix', arg(args, 1))) },
  hasSuffix: { min: 2, max: 2, call: (args) => stringArg('hasSuffix', arg(args, 0)).endsWith(stringArg('hasSuffix', arg(args, 1))) },
  indexOf: { min: 2, max: 2, call: (args) => stringArg('indexOf', arg(args, 0)).indexOf(stringArg('indexOf', arg(args, 1))) },
  replace: {
    min: 3, max: 3,
    call(args) {
      const s = stringArg('replace', arg(args, 0));
      return capString('replace', s.split(stringArg('replace', arg(args, 1))).join(stringArg('replace', arg(args, 2))));
    },
  },
  split: {
    min: 2, max: 3,
    call(args, _pred, ctx) {
      const s = stringArg('split', arg(args, 0));
      const sep = stringArg('split', arg(args, 1));
      const n = args.length > 2 ? intArg('split', arg(args, 2)) : -1;
      ctx.charge(s.length);
      // Go strings.SplitN: n == 0 gives nothing, n > 0 at most n parts with the rest in the last
      if (n === 0) return [];
      const parts = sep === '' ? [...s] : s.split(sep);
      if (n < 0 || parts.length <= n) return parts;
      const head = parts.slice(0, n - 1);
      head.push(parts.slice(n - 1).join(sep));
      return head;
    },
  },
  join: {
    min: 1, max: 2,
    call(args, _pred, ctx) {
      const arr = arrayArg('join', arg(args, 0), ctx);
      const sep = args.length > 1 ? stringArg('join', arg(args, 1)) : '';
      return capString('join', arr.map((x) => stringArg('join', x)).join(sep));
    },
  },
  keys: {
    min: 1, max: 1,
    call(args) {
      const m = arg(args, 0);
      if (!isMap(m)) return fail('keys', `expected map, got ${describe(m)}`);
      return Object.keys(m);
    },
  },
  values: {
    min: 1, max: 1,
    call(args) {
      const m = arg(args, 0);
      if (!isMap(m)) return fail('values', `expected map, got ${describe(m)}`);
      return Object.keys(m).map((k) => ownValue(m, k) ?? null);
    },
  },
  get: {
    min: 2, max: 2,
    call(args) {
      const v = arg(args, 0);
      const k = arg(args, 1);
      if (Array.isArray(v) && typeof k === 'number' && Number.isInteger(k)) {
        const i = k < 0 ? k + v.length : k;
        return i >= 0 && i < v.length ? (v[i] ?? null) : null;
      }
      if (isMap(v) && typeof k === 'string') return ownValue(v as ValueMap, k) ?? null;
      return null;
    },
  },
  // Argo Rollouts' additions (utils/evaluate/evaluate.go)
  asInt: { min: 1, max: 1, call: (args) => toInt('asInt', arg(args, 0)) },
  asFloat: { min: 1, max: 1, call: (args) => toFloat('asFloat', arg(args, 0)) },
  isNaN: { min: 1, max: 1, call: (args) => Number.isNaN(numberArg('isNaN', arg(args, 0))) },
  isInf: {
    min: 1, max: 1,
    call(args) {
      const x = numberArg('isInf', arg(args, 0));
      return x === Infinity || x === -Infinity;
    },
  },
  // Argo's isNil/default look at `result` whatever they are given; here they look at their argument
  // (the same thing for the documented `default(result, 0)`, and what `default(result.x, 0)` means).
  isNil: { min: 1, max: 1, call: (args) => isNilValue(arg(args, 0)) },
  default: {
    min: 2, max: 2,
    call(args) {
      const v = arg(args, 0);
      return isNilValue(v) ? arg(args, 1) : v;
    },
  },
};

export function lookupBuiltin(name: string): Builtin | undefined {
  return Object.prototype.hasOwnProperty.call(BUILTINS, name) ? BUILTINS[name] : undefined;
}

