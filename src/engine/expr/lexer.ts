// Source text to tokens, following expr's lexer: numbers (decimal, hex, octal, binary, `_`
// separators, floats with exponents), '…' "…" and `raw` strings, word operators, `//` and `/* */` comments.
import { ExprSyntaxError } from './errors.ts';

export type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'bracket' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Operator/bracket/identifier text, the raw number text, or the decoded string. */
  value: string;
  at: number;
}

const WORD_OPERATORS = new Set(['in', 'or', 'and', 'not', 'matches', 'contains', 'startsWith', 'endsWith']);
// longest first, so `**` wins over `*` and `?.` over `?`
const SYMBOL_OPERATORS = ['?.', '??', '..', '**', '==', '!=', '<=', '>=', '&&', '||', '?', '.', '*', '!', '<', '>', '|', ':', ',', '%', '+', '-', '^', '/', '#'];

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isIdentStart(c: string): boolean {
  return c === '_' || c === '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c > '\x7f' && /\p{L}/u.test(c));
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c) || (c > '\x7f' && /\p{Nd}/u.test(c));
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;

  while (i < n) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new ExprSyntaxError('unclosed comment', i);
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const [value, next] = scanQuoted(source, i);
      tokens.push({ kind: 'string', value, at: i });
      i = next;
      continue;
    }
    if (c === '`') {
      const end = source.indexOf('`', i + 1);
      if (end < 0) throw new ExprSyntaxError('unterminated string', i);
      tokens.push({ kind: 'string', value: source.slice(i + 1, end).replace(/\r\n?/g, '\n'), at: i });
      i = end + 1;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(source[i + 1] ?? ''))) {
      const end = scanNumber(source, i);
      tokens.push({ kind: 'number', value: source.slice(i, end), at: i });
      i = end;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(source[j] as string)) j++;
      const word = source.slice(i, j);
      tokens.push({ kind: WORD_OPERATORS.has(word) ? 'op' : 'ident', value: word, at: i });
      i = j;
      continue;
    }
    if ('([{'.includes(c) || ')]}'.includes(c)) {
      tokens.push({ kind: 'bracket', value: c, at: i });
      i++;
      continue;
    }
    const op = SYMBOL_OPERATORS.find((o) => source.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', value: op, at: i });
      i += op.length;
      continue;
    }
    if (c === '=') throw new ExprSyntaxError('unexpected "=" (use "==" to compare)', i);
    if (c === '&') throw new ExprSyntaxError('unexpected "&" (use "&&" or "and")', i);
    throw new ExprSyntaxError(`unexpected character ${JSON.stringify(String.fromCodePoint(source.codePointAt(i) ?? 0))}`, i);
  }
  tokens.push({ kind: 'eof', value: '', at: n });
  return tokens;
}

function scanNumber(source: string, start: number): number {
  let i = start;
  let digits = /[0-9_]/;
  if (source[i] === '0' && /[xXoObB]/.test(source[i + 1] ?? '')) {
    const p = (source[i + 1] as string).toLowerCase();
    digits = p === 'x' ? /[0-9a-fA-F_]/ : p === 'o' ? /[0-7_]/ : /[01_]/;
    i += 2;
    while (i < source.length && digits.test(source[i] as string)) i++;
  } else {
    while (i < source.length && digits.test(source[i] as string)) i++;
    // `1..3` is a range, not the float `1.`
    if (source[i] === '.' && source[i + 1] !== '.') {
      i++;
      while (i < source.length && digits.test(source[i] as string)) i++;
    }
    if (source[i] === 'e' || source[i] === 'E') {
      i++;
      if (source[i] === '+' || source[i] === '-') i++;
      while (i < source.length && digits.test(source[i] as string)) i++;
    }
  }
  if (i < source.length && isIdentPart(source[i] as string)) {
    throw new ExprSyntaxError(`bad number syntax ${JSON.stringify(source.slice(start, i + 1))}`, start);
  }
  return i;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '`': '`', '?': '?',
};

/** A quoted string with Go-style escapes; returns the decoded text and the offset after the closing quote. */
function scanQuoted(source: string, start: number): [string, number] {
  const quote = source[start];
  let out = '';
  let i = start + 1;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === quote) return [out, i + 1];
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = source[i + 1];
    if (e === undefined) break;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
      continue;
    }
    const hexLen = e === 'x' || e === 'X' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen) {
      const hex = source.slice(i + 2, i + 2 + hexLen);
      const cp = /^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLen ? parseInt(hex, 16) : NaN;
      if (!(cp <= 0x10ffff)) throw new ExprSyntaxError('invalid escape sequence in string', i);
      out += String.fromCodePoint(cp);
      i += 2 + hexLen;
      continue;
    }
    if (/[0-3]/.test(e) && /^[0-7]{2}$/.test(source.slice(i + 2, i + 4))) {
      out += String.fromCodePoint(parseInt(source.slice(i + 1, i + 4), 8));
      i += 4;
      continue;
    }
    throw new ExprSyntaxError(`invalid escape sequence "\\${e}" in string`, i);
  }
  throw new ExprSyntaxError('unterminated string', start);
}
