// Holds a test double to GitHub's published REST description (@octokit/openapi, api.github.com):
// finds the operation for a method and path, and checks path and query parameters and the JSON
// request body against it with ajv; checks the double's own answers against the response schemas;
// and hands out GitHub's own response examples to build those answers from.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
  'x-multi-segment'?: boolean;
}
interface Operation {
  operationId: string;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Json }> } | { $ref: string };
  responses: Record<string, unknown>;
}

export interface MatchedOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/statuses/{sha}`. */
  path: string;
  /** Path parameters, coerced to their schema types. */
  params: Record<string, string | number>;
}

export interface RequestCheck {
  operation?: MatchedOperation;
  /** Everything the request does that the description does not allow; empty when it is valid. */
  violations: string[];
}

const DOC_ID = 'github-openapi';
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');

export class OpenApiValidator {
  private readonly doc: Json & { paths: Record<string, Record<string, Operation>>; components: Json };
  private readonly ajv: Ajv;
  private readonly coercing: Ajv;
  private readonly routes: Array<{ path: string; regex: RegExp; names: string[]; literalSegments: number }>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(file: string) {
    this.doc = JSON.parse(readFileSync(file, 'utf8'));
    // The description uses OpenAPI keywords (nullable, discriminator, example, x-*): not strict.
    this.ajv = addFormats(new Ajv({ strict: false, validateSchema: false, allErrors: true }));
    this.ajv.addSchema(this.doc, DOC_ID);
    // Parameters arrive as strings; coercion checks "7" against {type: integer}.
    this.coercing = addFormats(new Ajv({ strict: false, validateSchema: false, allErrors: true, coerceTypes: true }));
    this.routes = Object.keys(this.doc.paths).map((path) => {
      const names: string[] = [];
      const ops = Object.values(this.doc.paths[path] ?? {}) as Operation[];
      const multi = new Set(ops.flatMap((o) => (o.parameters ?? []).map((p) => this.param(p)).filter((p) => p['x-multi-segment']).map((p) => p.name)));
      const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
        names.push(name);
        return multi.has(name) ? '(.+)' : '([^/]+)';
      });
      return { path, regex: new RegExp(`^${source}$`), names, literalSegments: path.split('/').filter((s) => s && !s.startsWith('{')).length };
    });
    // A literal segment beats a parameter: /issues/comments/{id} before /issues/{number}/comments.
    this.routes.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  /** Follows `$ref`s within the document. */
  resolve<T>(value: T | { $ref: string }): T {
    let v: unknown = value;
    while (v && typeof v === 'object' && '$ref' in (v as Json)) {
      const parts = ((v as { $ref: string }).$ref.replace(/^#\//, '')).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
      v = parts.reduce<unknown>((node, key) => (node as Json)[key], this.doc);
    }
    return v as T;
  }

  private param(p: Parameter | { $ref: string }): Parameter {
    return this.resolve<Parameter>(p);
  }

  private validator(ref: string, coerce = false): ValidateFunction {
    const key = `${coerce}|${ref}`;
    let v = this.compiled.get(key);
    if (!v) {
      v = (coerce ? this.coercing : this.ajv).compile({ $ref: ref });
      this.compiled.set(key, v);
    }
    return v;
  }

  checkRequest(method: string, pathname: string, query: URLSearchParams, contentType: string | undefined, body: unknown): RequestCheck {
    const m = method.toLowerCase();
    const violations: string[] = [];
    let matchedPath = false;
    for (const route of this.routes) {
      const found = route.regex.exec(pathname);
      if (!found) continue;
      matchedPath = true;
      const op = this.doc.paths[route.path]?.[m];
      if (!op || !METHODS.includes(m)) continue;
      const params: Record<string, string | number> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1] ?? '')));
      const declared = (op.parameters ?? []).map((p) => this.param(p));
      const at = `${method.toUpperCase()} ${route.path} (${op.operationId})`;
      for (const p of declared.filter((d) => d.in === 'path')) {
        const checked = this.checkParam(p, String(params[p.name] ?? ''));
        if (checked.error) violations.push(`${at}: path parameter ${p.name}=${JSON.stringify(params[p.name])} ${checked.error}`);
        else if (checked.value !== undefined) params[p.name] = checked.value as string | number;
      }
      const queryParams = declared.filter((d) => d.in === 'query');
      for (const key of new Set(query.keys())) {
        const p = queryParams.find((q) => q.name === key);
        if (!p) {
          violations.push(`${at}: unknown query parameter ${key}`);
          continue;
        }
        const checked = this.checkParam(p, query.get(key) ?? '');
        if (checked.error) violations.push(`${at}: query parameter ${key}=${JSON.stringify(query.get(key))} ${checked.error}`);
      }
      for (const p of queryParams) if (p.required && !query.has(p.name)) violations.push(`${at}: missing required query parameter ${p.name}`);
      const requestBody = op.requestBody ? this.resolve(op.requestBody) : undefined;
      if (!requestBody) {
        if (body !== undefined) violations.push(`${at}: the operation takes no request body`);
      } else if (body === undefined) {
        if (requestBody.required) violations.push(`${at}: missing required request body`);
      } else if (!contentType?.startsWith('application/json') || !requestBody.content['application/json']) {
        violations.push(`${at}: request body sent as ${contentType ?? 'no content type'}, the operation takes ${Object.keys(requestBody.content).join(', ')}`);
      } else {
        const v = this.validator(`${DOC_ID}#/paths/${pointer(route.path)}/${m}/requestBody/content/application~1json/schema`);
        if (!v(body)) violations.push(`${at}: request body invalid: ${describeErrors(v.errors)}`);
      }
      return { operation: { operationId: op.operationId, method: m, path: route.path, params }, violations };
    }
    violations.push(matchedPath ? `${method.toUpperCase()} ${pathname}: the path exists but not for ${method.toUpperCase()}` : `${method.toUpperCase()} ${pathname}: no such operation in GitHub's REST API`);
    return { violations };
  }

  private checkParam(p: Parameter, raw: string): { value?: unknown; error?: string } {
    if (!p.schema) return { value: raw };
    const holder = { v: raw as unknown };
    const key = `param|${JSON.stringify(p.schema)}`;
    let v = this.compiled.get(key);
    if (!v) {
      v = this.coercing.compile({ type: 'object', properties: { v: p.schema } });
      this.compiled.set(key, v);
    }
    return v(holder) ? { value: holder.v } : { error: describeErrors(v.errors).replace(/^\/v /, '') };
  }

  /** Violations of the response schema for this status (the double's own faithfulness). */
  checkResponse(op: MatchedOperation, status: number, body: unknown): string[] {
    const responses = this.doc.paths[op.path]?.[op.method]?.responses ?? {};
    const response = this.resolve<{ content?: Record<string, unknown> } | undefined>(responses[String(status)] as { $ref: string } | undefined);
    const at = `${op.method.toUpperCase()} ${op.path} (${op.operationId}) → ${status}`;
    if (!response) return [`${at}: GitHub does not answer this operation with ${status}`];
    if (!response.content?.['application/json']) return body === undefined ? [] : [`${at}: the response has no body in the description`];
    const ref = typeof responses[String(status)] === 'object' && '$ref' in (responses[String(status)] as Json)
      ? `${DOC_ID}${String((responses[String(status)] as { $ref: string }).$ref)}/content/application~1json/schema`
      : `${DOC_ID}#/paths/${pointer(op.path)}/${op.method}/responses/${status}/content/application~1json/schema`;
    const v = this.validator(ref);
    return v(body) ? [] : [`${at}: response body invalid: ${describeErrors(v.errors)}`];
  }

  /** A deep copy of GitHub's documented example for this response (first example unless named). */
  example(op: Pick<MatchedOperation, 'path' | 'method'>, status: number, name?: string): unknown {
    const response = this.resolve<{ content?: Record<string, { examples?: Record<string, unknown> }> }>(this.doc.paths[op.path]?.[op.method]?.responses[String(status)] as { $ref: string });
    const examples = response?.content?.['application/json']?.examples ?? {};
    const chosen = name ? examples[name] : Object.values(examples)[0];
    if (!chosen) throw new Error(`no example for ${op.method} ${op.path} ${status}`);
    return structuredClone(this.resolve<{ value: unknown }>(chosen as { $ref: string }).value);
  }
}

let github: OpenApiValidator | undefined;

/** GitHub.com's description, parsed once per process (about a second). */
export function githubOpenApi(): OpenApiValidator {
  if (!github) {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('@octokit/openapi/package.json'));
    github = new OpenApiValidator(join(root, 'generated', 'api.github.com.json'));
  }
  return github;
}
