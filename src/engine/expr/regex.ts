// `matches` compiles Go RE2 patterns as JS RegExps. RE2 never backtracks; V8 does, so huge
// patterns and the classic catastrophic shape (a quantified group that itself repeats) are refused.
import { ExprEvalError } from './errors.ts';
import { MAX_REGEX_LENGTH } from './limits.ts';

const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)\s*(?:[*+]|\{\d+,)/;

export function compileRegex(pattern: string): RegExp {
  if (pattern.length > MAX_REGEX_LENGTH) throw new ExprEvalError(`regular expression longer than ${MAX_REGEX_LENGTH} characters`);
  if (NESTED_QUANTIFIER.test(pattern)) throw new ExprEvalError(`regular expression ${JSON.stringify(pattern)} has a nested quantifier, which can take exponential time`);
  let body = pattern;
  let flags = '';
  // RE2's leading `(?i)`, `(?s)`, `(?m)` become JS flags
  const lead = /^\(\?([ims]+)\)/.exec(body);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    body = body.slice(lead[0].length);
  }
  try {
    return new RegExp(body, flags);
  } catch (e) {
    throw new ExprEvalError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}
