// The part of Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) that web metrics use:
// one `{...}` expression of `$`, `.field`, `['field']`, `[n]` (negative counts from the end),
// `[a:b]`, `[*]` and `.*`. Like Argo, the measurement takes the FIRST value the path yields; a
// missing field is an error, as in client-go without allowMissingKeys. Filters (`[?()]`), recursive
// descent (`..`), unions and `range` templates are refused by name rather than misread.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number }
  | { kind: 'wildcard' };

export type JsonPathResult = { ok: true; values: unknown[] } | { ok: false; error: string };
export type CompiledJsonPath = { ok: true; steps: Step[] } | { ok: false; error: string };

const FIELD = /^[A-Za-z0-9_\-/:]+/;

export function compileJsonPath(template: string): CompiledJsonPath {
  const t = template.trim();
  if (!t.startsWith('{') || !t.endsWith('}') || t.indexOf('{', 1) !== -1) {
    return { ok: false, error: `jsonPath "${template}" must be one {...} expression, e.g. {$.data.ok}` };
  }
  let rest = t.slice(1, -1).trim();
  if (rest.startsWith('$') || rest.startsWith('@')) rest = rest.slice(1);
  const steps: Step[] = [];
  const unsupported = (what: string): CompiledJsonPath => ({ ok: false, error: `jsonPath "${template}": ${what} is not supported` });
  while (rest.length > 0) {
    if (rest.startsWith('..')) return unsupported('recursive descent (..)');
    if (rest.startsWith('.*')) {
      steps.push({ kind: 'wildcard' });
      rest = rest.slice(2);
      continue;
    }
    if (rest.startsWith('.')) {
      const m = FIELD.exec(rest.slice(1));
      if (!m) return { ok: false, error: `jsonPath "${template}": expected a field name after '.'` };
      steps.push({ kind: 'field', name: m[0] });
      rest = rest.slice(1 + m[0].length);
      continue;
    }
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close === -1) return { ok: false, error: `jsonPath "${template}": unclosed '['` };
      const inner = rest.slice(1, close).trim();
      rest = rest.slice(close + 1);
      if (inner.startsWith('?')) return unsupported('a filter ([?(...)])');
      if (inner === '*') {
        steps.push({ kind: 'wildcard' });
        continue;
      }
      const quoted = /^(?:'([^']*)'|"([^"]*)")$/.exec(inner);
      if (quoted) {
        steps.push({ kind: 'field', name: quoted[1] ?? quoted[2] ?? '' });
        continue;
      }
      if (inner.includes(',')) return unsupported('a union ([a,b])');
      if (/^-?\d+$/.test(inner)) {
        steps.push({ kind: 'index', index: Number(inner) });
        continue;
      }
      const slice = /^(-?\d+)?\s*:\s*(-?\d+)?$/.exec(inner);
      if (slice) {
        steps.push({ kind: 'slice', ...(slice[1] !== undefined ? { start: Number(slice[1]) } : {}), ...(slice[2] !== undefined ? { end: Number(slice[2]) } : {}) });
        continue;
      }
      return { ok: false, error: `jsonPath "${template}": cannot read [${inner}]` };
    }
    if (/^\s/.test(rest)) return unsupported('more than one expression');
    return { ok: false, error: `jsonPath "${template}": unexpected '${rest[0]}'` };
  }
  return { ok: true, steps };
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}

/** Every value the path reaches in `data`, in document order. */
export function evaluateJsonPath(steps: readonly Step[], data: unknown): JsonPathResult {
  let current: unknown[] = [data];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'field': {
          if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: `${step.name} is not found (in ${describe(v)})` };
          if (!Object.hasOwn(v, step.name)) return { ok: false, error: `${step.name} is not found` };
          next.push((v as Record<string, unknown>)[step.name]);
          break;
        }
        case 'index': {
          if (!Array.isArray(v)) return { ok: false, error: `[${step.index}] needs a list, found ${describe(v)}` };
          const i = step.index < 0 ? v.length + step.index : step.index;
          if (i < 0 || i >= v.length) return { ok: false, error: `array index out of bounds: index ${step.index}, length ${v.length}` };
          next.push(v[i]);
          break;
        }
        case 'slice': {
          if (!Array.isArray(v)) return { ok: false, error: `[${step.start ?? ''}:${step.end ?? ''}] needs a list, found ${describe(v)}` };
          next.push(...v.slice(step.start ?? 0, step.end ?? v.length));
          break;
        }
        case 'wildcard': {
          if (Array.isArray(v)) next.push(...v);
          else if (typeof v === 'object' && v !== null) next.push(...Object.values(v));
          break;
        }
      }
    }
    current = next;
  }
  return { ok: true, values: current };
}
