// Walks the AST against an environment. Every node costs a step and builtins pay for the data they
// touch, so evaluation is bounded; member access reads only own data of maps and indexes of arrays.
import type { Node } from './ast.ts';
import { lookupBuiltin } from './builtins.ts';
import type { Predicate } from './builtins.ts';
import { ExprEvalError } from './errors.ts';
import { MAX_RANGE_LENGTH, MAX_STRING_LENGTH } from './limits.ts';
import { compileRegex } from './regex.ts';
import { describe, equals, fromEnv, isMap, newMap, ownValue, typeOf } from './values.ts';
import type { Value } from './values.ts';

interface Scope {
  item: Value;
  index: number;
  acc: Value;
}

/** Thrown by `?.` on nil and caught by the enclosing chain node, which yields nil. */
class OptionalNil {}
const OPTIONAL_NIL = new OptionalNil();

export class Evaluator {
  private readonly env: Readonly<Record<string, unknown>>;
  private readonly maxSteps: number;
  private steps = 0;
  private readonly ctx = { charge: (n: number) => this.charge(n) };

  constructor(env: Readonly<Record<string, unknown>>, maxSteps: number) {
    this.env = env;
    this.maxSteps = maxSteps;
  }

  private charge(n: number): void {
    this.steps += n;
    if (this.steps > this.maxSteps) throw new ExprEvalError(`evaluation exceeded ${this.maxSteps} steps`);
  }

  eval(node: Node, scope: Scope | undefined): Value {
    this.charge(1);
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'array':
        return node.items.map((item) => this.eval(item, scope));
      case 'map': {
        const m = newMap();
        for (const e of node.entries) {
          const key = this.eval(e.key, scope);
          if (typeof key !== 'string') throw new ExprEvalError(`map keys must be strings, got ${describe(key)}`);
          m[key] = this.eval(e.value, scope);
        }
        return m;
      }
      case 'ident':
        return this.lookup(node.name);
      case 'pointer':
        if (!scope) throw new ExprEvalError('# used outside a predicate');
        return node.name === 'index' ? scope.index : node.name === 'acc' ? scope.acc : scope.item;
      case 'member': {
        const obj = this.eval(node.object, scope);
        if (obj === null && node.optional) throw OPTIONAL_NIL;
        return readMember(obj, this.eval(node.property, scope));
      }
      case 'slice':
        return this.slice(node, scope);
      case 'chain':
        try {
          return this.eval(node.node, scope);
        } catch (e) {
          if (e === OPTIONAL_NIL) return null;
          throw e;
        }
      case 'unary':
        return this.unary(node.op, this.eval(node.operand, scope));
      case 'binary':
        return this.binary(node.op, node.left, node.right, scope);
      case 'conditional': {
        const cond = this.eval(node.cond, scope);
        if (typeof cond !== 'boolean') throw new ExprEvalError(`the condition of ?: must be bool, got ${describe(cond)}`);
        return this.eval(cond ? node.then : node.otherwise, scope);
      }
      case 'call':
        return this.call(node.name, node.args, scope);
      case 'predicate':
        throw new ExprEvalError('a predicate can only be an argument of a builtin');
    }
  }

  private lookup(name: string): Value {
    if (!Object.prototype.hasOwnProperty.call(this.env, name)) throw new ExprEvalError(`unknown name ${JSON.stringify(name)}`);
    const desc = Object.getOwnPropertyDescriptor(this.env, name);
    return desc && 'value' in desc ? fromEnv(desc.value) : null;
  }

  private call(name: string, argNodes: Node[], scope: Scope | undefined): Value {
    const fn = lookupBuiltin(name);
    if (!fn) throw new ExprEvalError(`unknown function ${JSON.stringify(name)}`);
    let pred: Predicate | undefined;
    const args: Value[] = [];
    argNodes.forEach((arg, i) => {
      if (arg.kind === 'predicate') {
        const body = arg.body;
        pred = (item, index, acc) => this.eval(body, { item, index, acc });
        args[i] = null;
      } else {
        args[i] = this.eval(arg, scope);
      }
    });
    return fn.call(args, pred, this.ctx);
  }

  private slice(node: Extract<Node, { kind: 'slice' }>, scope: Scope | undefined): Value {
    const obj = this.eval(node.object, scope);
    if (!Array.isArray(obj) && typeof obj !== 'string') throw new ExprEvalError(`cannot slice ${describe(obj)}`);
    const len = obj.length;
    const bound = (n: Node | undefined, dflt: number): number => {
      if (!n) return dflt;
      const v = this.eval(n, scope);
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new ExprEvalError(`slice bounds must be integers, got ${describe(v)}`);
      return Math.min(Math.max(v < 0 ? len + v : v, 0), len);
    };
    const from = bound(node.from, 0);
    const to = bound(node.to, len);
    return obj.slice(Math.min(from, to), to);
  }

  private unary(op: string, v: Value): Value {
    if (op === 'not') {
      if (typeof v !== 'boolean') throw new ExprEvalError(`invalid operation: not ${describe(v)}`);
      return !v;
    }
    if (typeof v !== 'number') throw new ExprEvalError(`invalid operation: ${op}${describe(v)}`);
    return op === '-' ? -v : v;
  }

  private binary(op: string, leftNode: Node, rightNode: Node, scope: Scope | undefined): Value {
    // short-circuit operators evaluate the right side only when needed
    if (op === 'and' || op === '&&' || op === 'or' || op === '||') {
      const isAnd = op === 'and' || op === '&&';
      const l = this.eval(leftNode, scope);
      if (typeof l !== 'boolean') throw new ExprEvalError(`invalid operation: ${describe(l)} ${op} …: expected bool`);
      if (isAnd ? !l : l) return l;
      const r = this.eval(rightNode, scope);
      if (typeof r !== 'boolean') throw new ExprEvalError(`invalid operation: … ${op} ${describe(r)}: expected bool`);
      return r;
    }
    if (op === '??') {
      const l = this.eval(leftNode, scope);
      return l === null ? this.eval(rightNode, scope) : l;
    }
    const l = this.eval(leftNode, scope);
    const r = this.eval(rightNode, scope);
    switch (op) {
      case '==':
        return equals(l, r);
      case '!=':
        return !equals(l, r);
      case '<':
      case '<=':
      case '>':
      case '>=':
        return compare(op, l, r);
      case 'in':
        return contains(l, r);
      case 'contains':
      case 'startsWith':
      case 'endsWith': {
        if (typeof l !== 'string' || typeof r !== 'string') throw new ExprEvalError(`invalid operation: ${describe(l)} ${op} ${describe(r)}: expected strings`);
        return op === 'contains' ? l.includes(r) : op === 'startsWith' ? l.startsWith(r) : l.endsWith(r);
      }
      case 'matches': {
        if (typeof l !== 'string' || typeof r !== 'string') throw new ExprEvalError(`invalid operation: ${describe(l)} matches ${describe(r)}: expected strings`);
        this.charge(l.length);
        return compileRegex(r).test(l);
      }
      case '..':
        return this.range(l, r);
      default:
        return arithmetic(op, l, r);
    }
  }

  private range(l: Value, r: Value): Value {
    if (typeof l !== 'number' || typeof r !== 'number' || !Number.isInteger(l) || !Number.isInteger(r)) {
      throw new ExprEvalError(`invalid operation: ${describe(l)} .. ${describe(r)}: expected integers`);
    }
    const len = r - l + 1;
    if (len <= 0) return [];
    if (len > MAX_RANGE_LENGTH) throw new ExprEvalError(`range ${l}..${r} has more than ${MAX_RANGE_LENGTH} elements`);
    this.charge(len);
    return Array.from({ length: len }, (_, i) => l + i);
  }
}

function readMember(obj: Value, key: Value): Value {
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) {
      throw new ExprEvalError(`cannot read ${typeof key === 'string' ? `property ${JSON.stringify(key)}` : describe(key)} of ${typeOf(obj)}; use an integer index`);
    }
    const i = key < 0 ? key + obj.length : key;
    if (i < 0 || i >= obj.length) throw new ExprEvalError(`index ${key} out of range (len ${obj.length})`);
    return (obj[i] as Value | undefined) ?? null;
  }
  if (isMap(obj)) {
    if (typeof key !== 'string') throw new ExprEvalError(`cannot use ${describe(key)} as a map key`);
    return ownValue(obj, key) ?? null;
  }
  const what = typeof key === 'string' ? `property ${JSON.stringify(key)}` : `index ${describe(key)}`;
  throw new ExprEvalError(`cannot read ${what} of ${describe(obj)}`);
}

function compare(op: string, l: Value, r: Value): boolean {
  const bothNumbers = typeof l === 'number' && typeof r === 'number';
  const bothStrings = typeof l === 'string' && typeof r === 'string';
  if (!bothNumbers && !bothStrings) throw new ExprEvalError(`cannot compare ${describe(l)} with ${describe(r)}`);
  const a = l as number | string;
  const b = r as number | string;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

function contains(needle: Value, haystack: Value): boolean {
  if (Array.isArray(haystack)) return haystack.some((x) => equals(needle, x ?? null));
  if (isMap(haystack)) {
    if (typeof needle !== 'string') throw new ExprEvalError(`cannot use ${describe(needle)} as a map key`);
    return ownValue(haystack, needle) !== undefined;
  }
  throw new ExprEvalError(`invalid operation: ${describe(needle)} in ${describe(haystack)}: expected array or map on the right`);
}

function arithmetic(op: string, l: Value, r: Value): Value {
  if (op === '+' && typeof l === 'string' && typeof r === 'string') {
    if (l.length + r.length > MAX_STRING_LENGTH) throw new ExprEvalError(`string longer than ${MAX_STRING_LENGTH} characters`);
    return l + r;
  }
  if (typeof l !== 'number' || typeof r !== 'number') throw new ExprEvalError(`invalid operation: ${describe(l)} ${op} ${describe(r)}`);
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      // expr divides as float64: 7 / 2 is 3.5, x / 0 is ±Inf
      return l / r;
    case '%':
      if (!Number.isInteger(l) || !Number.isInteger(r)) throw new ExprEvalError(`invalid operation: ${describe(l)} % ${describe(r)}: expected integers`);
      if (r === 0) throw new ExprEvalError('integer divide by zero');
      return l % r;
    case '**':
    case '^':
      return Math.pow(l, r);
    default:
      throw new ExprEvalError(`unknown operator ${op}`);
  }
}
