// An AnalysisRun's argument values as the providers need them (Argo analysis.go resolveArgs): plain
// `value`s, plus `valueFrom.secretKeyRef` read from the Secret in the run's own namespace at
// reconcile time. Secret values go only into the metric handed to a provider; the caller gets them
// back in `secrets` so it can redact them from anything it writes.
//
// `valueFrom.fieldRef` is not resolved here, as in Argo: the Rollout controller turns it into a
// plain value when it creates the run; a run that still carries one fails to resolve
// `{{args.name}}` like any other arg without a value.
import { apiStatusOf, type Cluster, type KubeObject } from '../ports/cluster.ts';
import { argValues, type AnalysisRun } from '../engine/analysis/index.ts';

export type RunArgs =
  | { ok: true; values: Record<string, string>; secrets: string[] }
  | { ok: false; error: string };

type SecretObject = KubeObject & { data?: Record<string, string> };

/** API failures that a later attempt may not see again: retried, not written to the run. */
function isTransient(err: unknown): boolean {
  const status = apiStatusOf(err);
  return status === undefined || status === 429 || status >= 500;
}

/**
 * Resolves the run's args. A missing Secret or key (or a refused read) is `ok: false` naming the
 * Secret and key, never its value; transient API failures throw so the caller retries.
 */
export async function resolveRunArgs(run: AnalysisRun, cluster: Pick<Cluster, 'get'>): Promise<RunArgs> {
  const namespace = run.metadata?.namespace ?? 'default';
  const values = argValues(run.spec.args);
  const secrets = new Set<string>();
  const read = new Map<string, SecretObject | undefined>();
  for (const arg of run.spec.args ?? []) {
    const ref = arg.valueFrom?.secretKeyRef;
    if (!ref) continue;
    let secret = read.get(ref.name);
    if (!read.has(ref.name)) {
      try {
        secret = await cluster.get<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name });
      } catch (err) {
        if (isTransient(err)) throw err;
        return { ok: false, error: `arg '${arg.name}': secret '${ref.name}' (key '${ref.key}') could not be read: ${(err as Error).message}` };
      }
      read.set(ref.name, secret);
    }
    if (!secret) return { ok: false, error: `arg '${arg.name}': secret '${ref.name}' not found in namespace '${namespace}' (key '${ref.key}')` };
    const encoded = secret.data?.[ref.key];
    if (encoded === undefined) return { ok: false, error: `arg '${arg.name}': key '${ref.key}' does not exist in secret '${ref.name}'` };
    // As Argo: the secret wins over a `value` given next to it.
    const value = Buffer.from(encoded, 'base64').toString('utf8');
    values[arg.name] = value;
    if (value !== '') secrets.add(value);
  }
  return { ok: true, values, secrets: [...secrets] };
}
