// Tokens to an AST with expr's grammar: a precedence-climbing parser using expr's operator table
// (parser/operator/operator.go), chained comparisons (`a < b < c`), `not in`-style negation,
// postfix member/index/slice chains, predicates with `#` and `.field`, ternaries and pipes.
import type { Node } from './ast.ts';
import { lookupBuiltin } from './builtins.ts';
import { ExprSyntaxError } from './errors.ts';
import { tokenize } from './lexer.ts';
import type { Token } from './lexer.ts';
import { MAX_AST_DEPTH, MAX_SOURCE_LENGTH } from './limits.ts';

interface Op {
  precedence: number;
  right: boolean;
}

const UNARY: Readonly<Record<string, number>> = { not: 50, '!': 50, '-': 90, '+': 90 };

const BINARY: Readonly<Record<string, Op>> = {
  '|': { precedence: 0, right: false },
  or: { precedence: 10, right: false },
  '||': { precedence: 10, right: false },
  and: { precedence: 15, right: false },
  '&&': { precedence: 15, right: false },
  '==': { precedence: 20, right: false },
  '!=': { precedence: 20, right: false },
  '<': { precedence: 20, right: false },
  '>': { precedence: 20, right: false },
  '>=': { precedence: 20, right: false },
  '<=': { precedence: 20, right: false },
  in: { precedence: 20, right: false },
  matches: { precedence: 20, right: false },
  contains: { precedence: 20, right: false },
  startsWith: { precedence: 20, right: false },
  endsWith: { precedence: 20, right: false },
  '..': { precedence: 25, right: false },
  '+': { precedence: 30, right: false },
  '-': { precedence: 30, right: false },
  '*': { precedence: 60, right: false },
  '/': { precedence: 60, right: false },
  '%': { precedence: 60, right: false },
  '**': { precedence: 100, right: true },
  '^': { precedence: 100, right: true },
  '??': { precedence: 500, right: false },
};

const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);
const COMPARISON_PRECEDENCE = 20;

function binaryOp(tok: Token): Op | undefined {
  return tok.kind === 'op' && Object.prototype.hasOwnProperty.call(BINARY, tok.value) ? BINARY[tok.value] : undefined;
}

function describeToken(tok: Token): string {
  switch (tok.kind) {
    case 'eof':
      return 'end of expression';
    case 'string':
      return `string ${JSON.stringify(tok.value)}`;
    case 'number':
      return `number ${tok.value}`;
    case 'ident':
      return `name ${tok.value}`;
    default:
      return JSON.stringify(tok.value);
  }
}

/** Parse a whole condition; throws ExprSyntaxError with the offending offset. */
export function parse(source: string, knownNames?: ReadonlySet<string>): Node {
  if (source.length > MAX_SOURCE_LENGTH) throw new ExprSyntaxError(`expression longer than ${MAX_SOURCE_LENGTH} characters`, MAX_SOURCE_LENGTH);
  const p = new Parser(tokenize(source), knownNames);
  if (p.peek().kind === 'eof') throw new ExprSyntaxError('empty expression', 0);
  const root = p.parseExpression(0);
  const rest = p.peek();
  if (rest.kind !== 'eof') throw new ExprSyntaxError(`unexpected ${describeToken(rest)}`, rest.at);
  checkDepth(root);
  return root;
}

class Parser {
  private readonly tokens: Token[];
  private readonly knownNames: ReadonlySet<string> | undefined;
  private pos = 0;
  /** Recursion depth of parseExpression, bounded so `((((…))))` cannot overflow the stack. */
  private nesting = 0;
  /** How many predicates enclose the current point: `#` and `.x` are legal only inside one. */
  private predicateDepth = 0;

  constructor(tokens: Token[], knownNames: ReadonlySet<string> | undefined) {
    this.tokens = tokens;
    this.knownNames = knownNames;
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const tok = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return tok;
  }

  private is(tok: Token, kind: Token['kind'], value?: string): boolean {
    return tok.kind === kind && (value === undefined || tok.value === value);
  }

  private expect(kind: Token['kind'], value: string): Token {
    const tok = this.peek();
    if (!this.is(tok, kind, value)) throw new ExprSyntaxError(`expected ${JSON.stringify(value)}`, tok.at);
    return this.next();
  }

  /** The comma between list items; naming the closing bracket too makes the message useful. */
  private expectSeparator(close: string): void {
    const tok = this.peek();
    if (!this.is(tok, 'op', ',')) throw new ExprSyntaxError(`expected "," or ${JSON.stringify(close)}`, tok.at);
    this.next();
  }

  parseExpression(precedence: number): Node {
    if (++this.nesting > MAX_AST_DEPTH) throw new ExprSyntaxError(`expression nested too deeply (max depth ${MAX_AST_DEPTH})`, this.peek().at);
    let left = this.parsePrimary();
    let prevOp = '';
    for (;;) {
      let opTok = this.peek();
      if (opTok.kind !== 'op') break;
      let negate = false;
      if (opTok.value === 'not') {
        // infix `not` only as `not in`, `not contains`, …
        const after = this.peek(1);
        if (!(after.kind === 'op' && NEGATABLE.has(after.value))) throw new ExprSyntaxError(`unexpected "not" (did you mean "not in"?)`, opTok.at);
        negate = true;
        opTok = after;
      }
      const op = binaryOp(opTok);
      if (!op || op.precedence < precedence) break;
      if (negate) this.next();
      this.next();

      if (opTok.value === '|') {
        const name = this.peek();
        if (name.kind !== 'ident') throw new ExprSyntaxError('expected a function call after "|"', name.at);
        this.next();
        left = this.parseCall(name, [left]);
      } else {
        if (prevOp === '??' && opTok.value !== '??') {
          throw new ExprSyntaxError(`operator ${JSON.stringify(opTok.value)} and "??" cannot be mixed; add parentheses`, opTok.at);
        }
        if (op.precedence === COMPARISON_PRECEDENCE) {
          left = this.parseComparison(left, opTok, negate);
        } else {
          const right = this.parseExpression(op.right ? op.precedence : op.precedence + 1);
          left = { kind: 'binary', at: opTok.at, op: opTok.value, left, right };
        }
      }
      prevOp = opTok.value;
    }
    if (precedence === 0) left = this.parseConditional(left);
    this.nesting--;
    return left;
  }

  /** `a < b < c` means `a < b && b < c`, as in expr. */
  private parseComparison(left: Node, opTok: Token, negate: boolean): Node {
    let root: Node | undefined;
    let lhs = left;
    let tok = opTok;
    let neg = negate;
    for (;;) {
      const rhs = this.parseExpression(COMPARISON_PRECEDENCE + 1);
      let cmp: Node = { kind: 'binary', at: tok.at, op: tok.value, left: lhs, right: rhs };
      if (neg) cmp = { kind: 'unary', at: tok.at, op: 'not', operand: cmp };
      root = root ? { kind: 'binary', at: tok.at, op: '&&', left: root, right: cmp } : cmp;
      lhs = rhs;
      let nextTok = this.peek();
      neg = false;
      if (nextTok.kind === 'op' && nextTok.value === 'not' && this.peek(1).kind === 'op' && NEGATABLE.has(this.peek(1).value)) {
        neg = true;
        nextTok = this.peek(1);
      }
      const op = binaryOp(nextTok);
      if (!op || op.precedence !== COMPARISON_PRECEDENCE) return root;
      if (neg) this.next();
      this.next();
      tok = nextTok;
    }
  }

  private parseConditional(cond: Node): Node {
    let node = cond;
    while (this.is(this.peek(), 'op', '?')) {
      const q = this.next();
      const then = this.parseExpression(0);
      this.expect('op', ':');
      const otherwise = this.parseExpression(0);
      node = { kind: 'conditional', at: q.at, cond: node, then, otherwise };
    }
    return node;
  }

  private parsePrimary(): Node {
    const tok = this.peek();
    if (tok.kind === 'op' && Object.prototype.hasOwnProperty.call(UNARY, tok.value)) {
      this.next();
      const operand = this.parseExpression(UNARY[tok.value] as number);
      return this.parsePostfix({ kind: 'unary', at: tok.at, op: tok.value === '!' ? 'not' : tok.value, operand });
    }
    if (this.is(tok, 'bracket', '(')) {
      this.next();
      const inner = this.parseExpression(0);
      this.expect('bracket', ')');
      return this.parsePostfix(inner);
    }
    if (this.is(tok, 'op', '#') || this.is(tok, 'op', '.')) {
      if (this.predicateDepth === 0) {
        throw new ExprSyntaxError(`${JSON.stringify(tok.value)} can only be used inside a predicate such as all(result, {# > 0})`, tok.at);
      }
      let name = '';
      if (tok.value === '#') {
        this.next();
        const after = this.peek();
        // `#index`, `#acc`: the lexer splits `#` from the following word
        if (after.kind === 'ident' && after.at === tok.at + 1) {
          if (after.value !== 'index' && after.value !== 'acc') throw new ExprSyntaxError(`unknown pointer #${after.value}`, tok.at);
          name = after.value;
          this.next();
        }
      }
      // for `.field` the `.` stays current, so the postfix loop reads it as a member of `#`
      return this.parsePostfix({ kind: 'pointer', at: tok.at, name });
    }
    return this.parsePostfix(this.parseSecondary());
  }

  private parseSecondary(): Node {
    const tok = this.next();
    switch (tok.kind) {
      case 'ident':
        if (tok.value === 'true' || tok.value === 'false') return { kind: 'literal', at: tok.at, value: tok.value === 'true' };
        if (tok.value === 'nil') return { kind: 'literal', at: tok.at, value: null };
        if (this.is(this.peek(), 'bracket', '(')) return this.parseCall(tok, []);
        if (this.knownNames && !this.knownNames.has(tok.value)) throw new ExprSyntaxError(`unknown name ${JSON.stringify(tok.value)}`, tok.at);
        return { kind: 'ident', at: tok.at, name: tok.value };
      case 'number':
        return { kind: 'literal', at: tok.at, value: parseNumber(tok) };
      case 'string':
        return { kind: 'literal', at: tok.at, value: tok.value };
      case 'bracket':
        if (tok.value === '[') return this.parseArray(tok);
        if (tok.value === '{') return this.parseMap(tok);
        break;
      default:
        break;
    }
    throw new ExprSyntaxError(`unexpected ${describeToken(tok)}`, tok.at);
  }

  /** A builtin call; `piped` holds the left side of `x | f(…)`. */
  private parseCall(nameTok: Token, piped: Node[]): Node {
    const fn = lookupBuiltin(nameTok.value);
    if (!fn) throw new ExprSyntaxError(`unknown function ${JSON.stringify(nameTok.value)}`, nameTok.at);
    this.expect('bracket', '(');
    const args = [...piped];
    while (!this.is(this.peek(), 'bracket', ')')) {
      if (args.length > piped.length) {
        this.expectSeparator(')');
        if (this.is(this.peek(), 'bracket', ')')) break; // trailing comma
      }
      args.push(fn.predicate && args.length === 1 ? this.parsePredicate() : this.parseExpression(0));
    }
    this.expect('bracket', ')');
    if (args.length < fn.min || args.length > fn.max) {
      const want = fn.min === fn.max ? `${fn.min}` : fn.max === Infinity ? `at least ${fn.min}` : `${fn.min} to ${fn.max}`;
      throw new ExprSyntaxError(`${nameTok.value} expects ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`, nameTok.at);
    }
    return { kind: 'call', at: nameTok.at, name: nameTok.value, args };
  }

  /** `{# > 0}` or a bare `# > 0`: an expression evaluated once per element. */
  private parsePredicate(): Node {
    const start = this.peek();
    const braced = this.is(start, 'bracket', '{');
    if (braced) this.next();
    this.predicateDepth++;
    const body = this.parseExpression(0);
    this.predicateDepth--;
    if (braced) this.expect('bracket', '}');
    return { kind: 'predicate', at: start.at, body };
  }

  private parseArray(open: Token): Node {
    const items: Node[] = [];
    while (!this.is(this.peek(), 'bracket', ']')) {
      if (items.length) {
        this.expectSeparator(']');
        if (this.is(this.peek(), 'bracket', ']')) break;
      }
      items.push(this.parseExpression(0));
    }
    this.expect('bracket', ']');
    return { kind: 'array', at: open.at, items };
  }

  private parseMap(open: Token): Node {
    const entries: { key: Node; value: Node }[] = [];
    while (!this.is(this.peek(), 'bracket', '}')) {
      if (entries.length) {
        this.expectSeparator('}');
        if (this.is(this.peek(), 'bracket', '}')) break;
      }
      const k = this.peek();
      let key: Node;
      // keys: a name or literal (taken as a string), or a parenthesised expression
      if (k.kind === 'ident' || k.kind === 'string' || k.kind === 'number' || (k.kind === 'op' && /^[a-zA-Z]+$/.test(k.value))) {
        this.next();
        key = { kind: 'literal', at: k.at, value: k.value };
      } else if (this.is(k, 'bracket', '(')) {
        key = this.parseExpression(0);
      } else {
        throw new ExprSyntaxError(`a map key must be a name, a string, a number or a parenthesised expression, not ${describeToken(k)}`, k.at);
      }
      this.expect('op', ':');
      entries.push({ key, value: this.parseExpression(0) });
    }
    this.expect('bracket', '}');
    return { kind: 'map', at: open.at, entries };
  }

  private parsePostfix(start: Node): Node {
    let node = start;
    let optionalChain = false;
    for (;;) {
      const tok = this.peek();
      if (tok.kind === 'op' && (tok.value === '.' || tok.value === '?.')) {
        const optional = tok.value === '?.';
        this.next();
        if (optional && this.is(this.peek(), 'bracket', '[')) {
          optionalChain = true;
          node = this.parseIndex(node, true);
          continue;
        }
        const prop = this.next();
        // word operators (`not`, `in`, …) are valid field names after a dot
        if (prop.kind !== 'ident' && !(prop.kind === 'op' && /^[a-zA-Z]+$/.test(prop.value))) {
          throw new ExprSyntaxError(`expected a field name after ${JSON.stringify(tok.value)}`, prop.at);
        }
        if (this.is(this.peek(), 'bracket', '(')) throw new ExprSyntaxError(`method calls are not supported (${prop.value}(…))`, prop.at);
        node = { kind: 'member', at: prop.at, object: node, property: { kind: 'literal', at: prop.at, value: prop.value }, optional };
        optionalChain ||= optional;
      } else if (this.is(tok, 'bracket', '[')) {
        node = this.parseIndex(node, false);
      } else if (this.is(tok, 'bracket', '(') && node.kind !== 'call') {
        throw new ExprSyntaxError('only builtin functions can be called', tok.at);
      } else {
        break;
      }
    }
    return optionalChain ? { kind: 'chain', at: node.at, node } : node;
  }

  private parseIndex(object: Node, optional: boolean): Node {
    const open = this.expect('bracket', '[');
    let from: Node | undefined;
    let to: Node | undefined;
    if (!this.is(this.peek(), 'op', ':')) {
      from = this.parseExpression(0);
      if (!this.is(this.peek(), 'op', ':')) {
        this.expect('bracket', ']');
        return { kind: 'member', at: open.at, object, property: from, optional };
      }
    }
    this.expect('op', ':');
    if (!this.is(this.peek(), 'bracket', ']')) to = this.parseExpression(0);
    this.expect('bracket', ']');
    return { kind: 'slice', at: open.at, object, from, to };
  }
}

function parseNumber(tok: Token): number {
  const text = tok.value.replace(/_/g, '');
  const lower = text.toLowerCase();
  let value: number;
  if (/^0[xob]/.test(lower)) {
    const digits = lower.slice(2);
    const base = lower[1] === 'x' ? 16 : lower[1] === 'o' ? 8 : 2;
    value = digits ? parseInt(digits, base) : NaN;
  } else {
    value = Number(text);
  }
  if (!Number.isFinite(value)) throw new ExprSyntaxError(`invalid number literal ${tok.value}`, tok.at);
  return value;
}

/** Reject trees deeper than MAX_AST_DEPTH (long `a + b + c + …` chains nest without parser recursion). */
function checkDepth(root: Node): void {
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop() as [Node, number];
    if (depth > MAX_AST_DEPTH) throw new ExprSyntaxError(`expression nested too deeply (max depth ${MAX_AST_DEPTH})`, node.at);
    for (const child of children(node)) stack.push([child, depth + 1]);
  }
}

function children(node: Node): Node[] {
  switch (node.kind) {
    case 'literal':
    case 'ident':
    case 'pointer':
      return [];
    case 'array':
      return node.items;
    case 'map':
      return node.entries.flatMap((e) => [e.key, e.value]);
    case 'member':
      return [node.object, node.property];
    case 'slice':
      return [node.object, ...(node.from ? [node.from] : []), ...(node.to ? [node.to] : [])];
    case 'chain':
      return [node.node];
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'conditional':
      return [node.cond, node.then, node.otherwise];
    case 'call':
      return node.args;
    case 'predicate':
      return [node.body];
  }
}

