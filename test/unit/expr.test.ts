// The expr condition language (src/engine/expr): operators and precedence as expr has them, the
// conditions Argo analysis templates really use, exact error messages, Argo's measurement rules,
// and the sandbox (no prototype access, bounded depth, steps and sizes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, evaluateCondition, evaluateMeasurement } from '../../src/engine/expr/index.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function run(source: string, result: unknown = null, env: Record<string, unknown> = {}, maxSteps?: number): Outcome {
  const compiled = compileCondition(source);
  if (!compiled.ok) return { ok: false, error: `compile: ${compiled.error}` };
  return evaluateCondition(compiled.program, { ...env, result }, maxSteps === undefined ? {} : { maxSteps });
}

/** Null-prototype maps built by map literals compare equal to plain objects. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function value(source: string, result: unknown = null, env: Record<string, unknown> = {}): unknown {
  const out = run(source, result, env);
  assert.ok(out.ok, `${source}: ${out.ok ? '' : out.error}`);
  return plain(out.value);
}

function evalError(source: string, result: unknown = null): string {
  const out = run(source, result);
  assert.ok(!out.ok, `${source} should fail, got ${out.ok ? JSON.stringify(out.value) : ''}`);
  return out.error;
}

function syntaxError(source: string): string {
  const c = compileCondition(source);
  assert.ok(!c.ok, `${JSON.stringify(source)} should not compile`);
  return c.error;
}

const OPERATORS: [string, unknown][] = [
  ['1 + 2 * 3', 7],
  ['(1 + 2) * 3', 9],
  ['10 - 4 - 3', 3],
  ['2 ** 3 ** 2', 512],
  ['2 ^ 3 ^ 2', 512],
  ['-2 ** 2', -4],
  ['(-2) ** 2', 4],
  ['7 / 2', 3.5],
  ['6 / 3', 2],
  ['1 / 0', Infinity],
  ['7 % 3', 1],
  ['-7 % 3', -1],
  ['2 * 3 % 4', 2],
  ['1 + 2 == 3', true],
  ['1 == 1.0', true],
  ['1 != 2', true],
  ['0.5 < 1', true],
  ['2 <= 2', true],
  ['3 > 2.5', true],
  ['3 >= 4', false],
  ['"abc" < "abd"', true],
  ['1 < 2 < 3', true],
  ['3 > 2 > 2', false],
  ['true && false', false],
  ['true and true', true],
  ['false || true', true],
  ['false or false', false],
  ['not true', false],
  ['!false', true],
  ['not false and false', false],
  ['not (false and false)', true],
  ['true or false and false', true],
  ['(true or false) and false', false],
  ['false && (1 / "x")', false],
  ['true || result.missing.deep', true],
  ['2 in [1, 2, 3]', true],
  ['4 not in [1, 2, 3]', true],
  ['"a" in {a: 1}', true],
  ['"b" in {a: 1}', false],
  ['"hello" contains "ell"', true],
  ['"hello" not contains "x"', true],
  ['"hello" startsWith "he"', true],
  ['"hello" endsWith "lo"', true],
  ['"v1.2.3" matches "^v[0-9]+\\\\."', true],
  ['"ABC" matches "(?i)abc"', true],
  ['"abc" not matches "^b"', true],
  ['true ? 1 : 2', 1],
  ['false ? 1 : 2 > 1 ? "a" : "b"', 'a'],
  ['nil ?? 3', 3],
  ['0 ?? 3', 0],
  ['1..4', [1, 2, 3, 4]],
  ['3..1', []],
  ['"a" + "b"', 'ab'],
  ['1 + 2 == 3 && 2 * 2 == 4', true],
  ['[1, 2] == [1, 2]', true],
  ['{a: [1]} == {a: [1]}', true],
  ['nil == nil', true],
  ['1 == "1"', false],
  ['-(1 + 2)', -3],
  ['+3', 3],
  ['0x1F + 0o7 + 0b11 + 1_000', 1041],
  ['1e3', 1000],
  ['.5 + 2.5e-1', 0.75],
  ['\'it\\\'s\' + "\\t\\u00e9\\n"', "it's\t\u00e9\n"],
  ['`raw\\n`', 'raw\\n'],
  ['1 + /* inline */ 2 // trailing', 3],
  ['[1, 2, 3,]', [1, 2, 3]],
  ['{a: 1, "b c": 2, 3: true}', { a: 1, 'b c': 2, '3': true }],
  ['{a: {b: 2}}.a.b', 2],
  ['{"x": 1}["x"]', 1],
  ['[10, 20, 30][-1]', 30],
  ['[10, 20, 30][1:]', [20, 30]],
  ['[10, 20, 30][:-1]', [10, 20]],
  ['[10, 20, 30][:]', [10, 20, 30]],
  ['[1, 2, 3, 4, 5][1:4]', [2, 3, 4]],
  ['[1, 2, 3][2:10]', [3]],
  ['"hello"[1:3]', 'el'],
  ['"hello"[0]', 'h'],
  ['1..5 | filter(# % 2 == 1) | map(# * 10)', [10, 30, 50]],
  ['"A,B" | lower() | split(",")', ['a', 'b']],
];

test('operators, precedence and associativity follow expr', () => {
  for (const [source, expected] of OPERATORS) assert.deepEqual(value(source), expected, source);
});

const BUILTINS: [string, unknown, unknown][] = [
  ['len(result)', [1, 2, 3], 3],
  ['len("héllo")', null, 5],
  ['len({a: 1, b: 2})', null, 2],
  ['all(result, {# > 0.9})', [0.95, 0.99], true],
  ['all(result, # > 0.9)', [0.95, 0.5], false],
  ['all([], {# > 1})', null, true],
  ['any(result, {# > 0.9})', [0.1, 0.95], true],
  ['any([], {# > 1})', null, false],
  ['none(result, {# > 500})', [100, 200], true],
  ['one(result, {# == 2})', [1, 2, 3], true],
  ['one(result, {# > 1})', [1, 2, 3], false],
  ['filter(result, {.value > 2})', [{ value: 1 }, { value: 3 }], [{ value: 3 }]],
  ['map(result, {.name})', [{ name: 'a' }, { name: 'b' }], ['a', 'b']],
  ['map(result, {# * #index})', [5, 5, 5], [0, 5, 10]],
  ['count(result, {# >= 500})', [200, 503, 500], 2],
  ['count([true, false, true])', null, 2],
  ['all(result, {any(#, {# > 1})})', [[1, 2], [3]], true],
  ['find(result, # > 1)', [1, 2, 3], 2],
  ['findIndex(result, # > 1)', [1, 2, 3], 1],
  ['findLast(result, # > 1)', [1, 2, 3], 3],
  ['findLastIndex(result, # > 5)', [1, 2, 3], -1],
  ['reduce(1..4, #acc + #)', null, 10],
  ['reduce(1..4, #acc + #, 10)', null, 20],
  ['sum(result)', [1, 2, 3.5], 6.5],
  ['sum(result, .n)', [{ n: 1 }, { n: 2 }], 3],
  ['mean(result)', [1, 2, 3, 4], 2.5],
  ['median(result)', [3, 1, 2], 2],
  ['median(result)', [4, 1, 3, 2], 2.5],
  ['first(result)', [7, 8], 7],
  ['last(result)', [7, 8], 8],
  ['first([])', null, null],
  ['take(result, 2)', [1, 2, 3], [1, 2]],
  ['abs(-3.5)', null, 3.5],
  ['max(1, 5, 3)', null, 5],
  ['max(result)', [1, 9, 3], 9],
  ['min(result)', [4, 2, 8], 2],
  ['ceil(1.2)', null, 2],
  ['floor(-1.2)', null, -2],
  ['round(2.5)', null, 3],
  ['round(-2.5)', null, -3],
  ['int(3.9)', null, 3],
  ['int("42")', null, 42],
  ['float("1.5e2")', null, 150],
  ['string(42) + string(0.5)', null, '420.5'],
  ['string([1, "a"])', null, '[1 a]'],
  ['string(nil)', null, '<nil>'],
  ['type(1) + type(1.5) + type("s") + type(nil)', null, 'intfloatstringnil'],
  ['lower("ABC") + upper("def")', null, 'abcDEF'],
  ['trim("  x  ") + trim("__y__", "_")', null, 'xy'],
  ['split("a,b,c", ",")', null, ['a', 'b', 'c']],
  ['split("a,b,c", ",", 2)', null, ['a', 'b,c']],
  ['join(["a", "b"], "-")', null, 'a-b'],
  ['replace("a-b-c", "-", "+")', null, 'a+b+c'],
  ['keys({a: 1, b: 2})', null, ['a', 'b']],
  ['values({a: 1, b: 2})', null, [1, 2]],
  ['get(result, 5) ?? "none"', [1], 'none'],
  ['asInt("42") + asInt(3.7)', null, 45],
  ['asFloat("0.05")', null, 0.05],
  ['asFloat(result)', 0.2, 0.2],
  ['isNaN(result)', NaN, true],
  ['isInf(result)', -Infinity, true],
  ['isInf(1)', null, false],
  ['isNil(result)', null, true],
  ['isNil(result)', [], false],
  ['default(result, 0)', null, 0],
  ['default(result, 0)', 0.3, 0.3],
  ['default(result.missing, "x")', {}, 'x'],
];

test('builtins, including predicates with #, .field and Argo helpers', () => {
  for (const [source, result, expected] of BUILTINS) assert.deepEqual(value(source, result), expected, source);
});

// [condition, result, expected] — conditions as they appear in real AnalysisTemplates
const ARGO_CONDITIONS: [string, unknown, boolean][] = [
  ['result[0] >= 0.95', [0.97], true],
  ['result[0] >= 0.95', [0.9], false],
  ['result.successRate > 0.99', { successRate: 0.995 }, true],
  ['result > 0.99', 0.995, true],
  ['len(result) > 0 && all(result, {# < 500})', [120, 480], true],
  ['len(result) > 0 && all(result, {# < 500})', [], false],
  ['len(result) == 0 || result[0] >= 0.95', [], true],
  ['asFloat(result) < 0.1', '0.05', true],
  ['asInt(result) == 200', '200', true],
  ['isNaN(result[0]) || result[0] >= 0.9', [NaN], true],
  ['isNaN(result[0]) || result[0] >= 0.9', [0.8], false],
  ['result[0] >= 0.9', [NaN], false],
  ['default(result[0], 0) > 1', [5], true],
  ['default(result, 0) < 0.05', null, true],
  ['result in ["ok", "fine"]', 'ok', true],
  ['result in ["ok", "fine"]', 'bad', false],
  ['result == "200"', '200', true],
  ['result == "200"', 200, false],
  ['result == 200', 200, true],
  ['result.status == "healthy" and result.checks.db == true', { status: 'healthy', checks: { db: true } }, true],
  ['result?.data?.ready ?? false', null, false],
  ['result.items[-1].latency < 250', { items: [{ latency: 900 }, { latency: 200 }] }, true],
  ['float(result) <= 0.01', '0.005', true],
  ['isInf(result[0]) == false && result[0] < 100', [42], true],
];

test('conditions people write in Argo templates', () => {
  for (const [source, result, expected] of ARGO_CONDITIONS) assert.equal(value(source, result), expected, `${source} with ${JSON.stringify(result)}`);
});

test('other environment names are readable when supplied', () => {
  assert.equal(value('result > threshold', 5, { threshold: 3 }), true);
  assert.equal(value('args.limit * 2', null, { args: { limit: 4 } }), 8);
});

const EVAL_ERRORS: [string, unknown, string][] = [
  ['result[0] > 0.95', ['abc'], 'cannot compare string "abc" with number 0.95'],
  ['result < 1', null, 'cannot compare nil with number 1'],
  ['result > 0.5', [0.9], 'cannot compare array [0.9] with number 0.5'],
  ['result[3] > 0', [1, 2], 'index 3 out of range (len 2)'],
  ['result[0] > 0', [], 'index 0 out of range (len 0)'],
  ['result[-3]', [1, 2], 'index -3 out of range (len 2)'],
  ['resutl > 0.95', 1, 'unknown name "resutl"'],
  ['asFloat(result) < 1', 'x', 'asFloat: cannot convert "x"'],
  ['asInt(result) > 1', '1.5', 'asInt: cannot convert "1.5"'],
  ['asFloat(result)', true, 'asFloat: not supported on bool true'],
  ['isNaN(result)', 'NaN', 'isNaN: expected number, got string "NaN"'],
  ['result.a.b', { a: null }, 'cannot read property "b" of nil'],
  ['result[0]', null, 'cannot read index number 0 of nil'],
  ['result.x', [1], 'cannot read property "x" of array; use an integer index'],
  ['result["a"]', 'str', 'cannot read property "a" of string; use an integer index'],
  ['result + 1', 'a', 'invalid operation: string "a" + number 1'],
  ['result * 2', null, 'invalid operation: nil * number 2'],
  ['7 % 0', null, 'integer divide by zero'],
  ['7.5 % 2', null, 'invalid operation: number 7.5 % number 2: expected integers'],
  ['result && true', 1, 'invalid operation: number 1 && …: expected bool'],
  ['not result', 'x', 'invalid operation: not string "x"'],
  ['-result', 'x', 'invalid operation: -string "x"'],
  ['result ? 1 : 2', 1, 'the condition of ?: must be bool, got number 1'],
  ['1 in result', 'abc', 'invalid operation: number 1 in string "abc": expected array or map on the right'],
  ['result contains "a"', 5, 'invalid operation: number 5 contains string "a": expected strings'],
  ['all(result, {# > 1})', null, 'all: expected array, got nil'],
  ['all(result, {#})', [1], 'all: predicate must return bool, got number 1'],
  ['len(result)', 5, 'len: expected array, map or string, got number 5'],
  ['"a" matches "("', null, 'invalid regular expression "(": Invalid regular expression: /(/: Unterminated group'],
  ['1..1000000000', null, 'range 1..1000000000 has more than 100000 elements'],
];

test('evaluation errors say what failed', () => {
  for (const [source, result, expected] of EVAL_ERRORS) assert.equal(evalError(source, result), expected, source);
});

const SYNTAX_ERRORS: [string, string][] = [
  ['(result[0] >= 0.95', 'line 1, column 19: expected ")"'],
  ['len(result > 0', 'line 1, column 15: expected "," or ")"'],
  ['result[0 >= 0.95', 'line 1, column 17: expected "]"'],
  ['result[0] >= ', 'line 1, column 14: unexpected end of expression'],
  ['len(result) > 0 &&\n  all(result, {# < 500}', 'line 2, column 24: expected "," or ")"'],
  ['result = 1', 'line 1, column 8: unexpected "=" (use "==" to compare)'],
  ['result & 1', 'line 1, column 8: unexpected "&" (use "&&" or "and")'],
  ['1 +* 2', 'line 1, column 4: unexpected "*"'],
  ['1 2', 'line 1, column 3: unexpected number 2'],
  ['', 'line 1, column 1: empty expression'],
  ['"abc', 'line 1, column 1: unterminated string'],
  ['"\\q"', 'line 1, column 2: invalid escape sequence "\\q" in string'],
  ['1a', 'line 1, column 1: bad number syntax "1a"'],
  ['result.', 'line 1, column 8: expected a field name after "."'],
  ['result.size()', 'line 1, column 8: method calls are not supported (size(…))'],
  ['foo(result)', 'line 1, column 1: unknown function "foo"'],
  ['len(result, 1)', 'line 1, column 1: len expects 1 argument, got 2'],
  ['default(result)', 'line 1, column 1: default expects 2 arguments, got 1'],
  ['# > 1', 'line 1, column 1: "#" can only be used inside a predicate such as all(result, {# > 0})'],
  ['true ? 1', 'line 1, column 9: expected ":"'],
  ['result not 1', 'line 1, column 8: unexpected "not" (did you mean "not in"?)'],
  ['a ?? b + 1', 'line 1, column 8: operator "+" and "??" cannot be mixed; add parentheses'],
  ['/* open', 'line 1, column 1: unclosed comment'],
  ['result @ 1', 'line 1, column 8: unexpected character "@"'],
];

test('syntax errors say where', () => {
  for (const [source, expected] of SYNTAX_ERRORS) assert.equal(syntaxError(source), expected, JSON.stringify(source));
});

test('knownNames turns unknown variables into compile errors (lint)', () => {
  const c = compileCondition('resutl[0] > 1', { knownNames: ['result'] });
  assert.deepEqual(c, { ok: false, error: 'line 1, column 1: unknown name "resutl"' });
  assert.ok(compileCondition('all(result, {# > 0})', { knownNames: ['result'] }).ok);
});

// [successCondition, failureCondition, result, phase, message?]
const MEASUREMENTS: [string | undefined, string | undefined, unknown, string, string?][] = [
  [undefined, undefined, 1, 'Successful'],
  ['', '', 1, 'Successful'],
  ['result > 0.9', undefined, 0.95, 'Successful'],
  ['result > 0.9', undefined, 0.5, 'Failed'],
  [undefined, 'result > 0.1', 0.05, 'Successful'],
  [undefined, 'result > 0.1', 0.5, 'Failed'],
  ['result > 0.9', 'result < 0.5', 0.95, 'Successful'],
  ['result > 0.9', 'result < 0.5', 0.3, 'Failed'],
  ['result > 0.9', 'result < 0.5', 0.7, 'Inconclusive'],
  // both true: the failure condition wins, as in Argo
  ['result > 0.5', 'result > 0.6', 0.7, 'Failed'],
  ['result', undefined, 0.5, 'Error', 'successCondition: expected bool, but got number 0.5'],
  [undefined, 'result[0]', ['x'], 'Error', 'failureCondition: expected bool, but got string "x"'],
  ['result[0] >= 0.95', undefined, [], 'Error', 'successCondition: index 0 out of range (len 0)'],
  ['result < 0.05', undefined, null, 'Error', 'successCondition: cannot compare nil with number 0.05'],
  ['result[0] >= 0.95', undefined, ['abc'], 'Error', 'successCondition: cannot compare string "abc" with number 0.95'],
  ['resutl > 1', undefined, 1, 'Error', 'successCondition: line 1, column 1: unknown name "resutl"'],
  ['result > 1', 'result >', 2, 'Error', 'failureCondition: line 1, column 9: unexpected end of expression'],
  // the success condition is evaluated first; its error ends the measurement
  ['result.x > 1', 'result.x.y', { x: 2 }, 'Error', 'failureCondition: cannot read property "y" of number 2'],
  ['result.x.y', 'true', { x: 2 }, 'Error', 'successCondition: cannot read property "y" of number 2'],
];

test('measurement outcome follows Argo EvaluateResult', () => {
  for (const [success, failure, result, phase, message] of MEASUREMENTS) {
    const expected = message === undefined ? { phase } : { phase, message };
    assert.deepEqual(evaluateMeasurement(success, failure, result), expected, `${success} / ${failure} with ${JSON.stringify(result)}`);
  }
});

test('member access never reaches prototypes, getters or functions', () => {
  assert.equal(value('result.constructor', {}), null);
  assert.equal(value('result.toString', {}), null);
  assert.equal(value('result.__proto__', {}), null);
  assert.equal(value('result["__proto__"]', {}), null);
  assert.equal(value('result["constructor"] == nil', { a: 1 }), true);
  assert.equal(evalError('result.constructor.name', {}), 'cannot read property "name" of nil');
  assert.equal(evalError('"".constructor'), 'cannot read property "constructor" of string; use an integer index');
  assert.equal(evalError('result.constructor', [1]), 'cannot read property "constructor" of array; use an integer index');
  assert.equal(evalError('result.length', [1]), 'cannot read property "length" of array; use an integer index');
  assert.equal(evalError('(1).constructor'), 'cannot read property "constructor" of number 1');
  assert.equal(syntaxError('result.constructor("return 1")'), 'line 1, column 8: method calls are not supported (constructor(…))');
  assert.equal(syntaxError('constructor(1)'), 'line 1, column 1: unknown function "constructor"');
  assert.equal(syntaxError('toString(1)'), 'line 1, column 1: unknown function "toString"');
  assert.equal(evalError('hasOwnProperty'), 'unknown name "hasOwnProperty"');
  // an own "__proto__" from JSON is plain data
  assert.equal(value('result.__proto__', JSON.parse('{"__proto__": 5}')), 5);
  // a map literal with a "__proto__" key neither changes its prototype nor pollutes Object.prototype
  assert.equal(value('{"__proto__": {"polluted": 1}}.polluted'), null);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  // getters are not run
  let called = false;
  const withGetter = Object.defineProperty({}, 'x', { enumerable: true, get: () => { called = true; return 1; } });
  assert.equal(value('result.x', withGetter), null);
  assert.equal(called, false);
  // functions cannot be obtained, let alone called
  assert.equal(evalError('result.f', { f: () => 1 }), 'unsupported value (function)');
  assert.equal(evalError('result', () => 1), 'unsupported value (function)');
});

test('hostile input is bounded: depth, steps, sizes and regexes', () => {
  const started = Date.now();
  const deep = `${'('.repeat(10_000)}1${')'.repeat(10_000)}`;
  assert.match(syntaxError(deep), /expression (nested too deeply \(max depth 128\)|longer than 10000 characters)/);
  assert.equal(syntaxError(`${'('.repeat(500)}1${')'.repeat(500)}`), 'line 1, column 129: expression nested too deeply (max depth 128)');
  assert.match(syntaxError(`${'!'.repeat(5_000)}true`), /nested too deeply/);
  assert.match(syntaxError(`${'-'.repeat(5_000)}1`), /nested too deeply/);
  assert.match(syntaxError(`1${' + 1'.repeat(1_000)}`), /nested too deeply/);
  assert.match(syntaxError(`${'['.repeat(2_000)}${']'.repeat(2_000)}`), /nested too deeply/);
  assert.equal(syntaxError('1'.repeat(10_001)), 'line 1, column 10001: expression longer than 10000 characters');
  // huge powers are just infinity, quickly
  assert.equal(value('10 ** 1000 > 1'), true);
  assert.equal(value('2 ** 2 ** 2 ** 2 ** 2 ** 2'), Infinity);
  // nested loops run out of steps instead of hanging
  assert.equal(evalError('all(1..100000, {all(1..100000, {true})})'), 'evaluation exceeded 500000 steps');
  assert.equal(run('len(1..50)', null, {}, 20).ok, false);
  // building huge strings is refused
  assert.equal(evalError('len(join(map(1..100000, {"xxxxxxxxxxxx"}), ""))'), 'join: string longer than 1000000 characters');
  // regexes: length cap and the catastrophic-backtracking shape
  assert.equal(evalError('"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" matches "(a+)+$"'), 'regular expression "(a+)+$" has a nested quantifier, which can take exponential time');
  assert.equal(evalError(`"a" matches "${'a'.repeat(1_001)}"`), 'regular expression longer than 1000 characters');
  assert.ok(Date.now() - started < 2_000, `safety checks took ${Date.now() - started}ms`);
});

test('compiled programs are reusable across results', () => {
  const c = compileCondition('result[0] >= 0.95');
  assert.ok(c.ok);
  assert.deepEqual(evaluateCondition(c.program, { result: [0.99] }), { ok: true, value: true });
  assert.deepEqual(evaluateCondition(c.program, { result: [0.5] }), { ok: true, value: false });
  assert.deepEqual(evaluateCondition(c.program, { result: [] }), { ok: false, error: 'index 0 out of range (len 0)' });
});
