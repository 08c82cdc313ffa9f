// What /readyz asks: each registered check says ready, or not ready with a reason. The service
// registers "the Kubernetes API answers" and "the caches are synced"; later subsystems add theirs.
export type ReadinessResult = { ready: true } | { ready: false; reason: string };

export interface ReadinessCheck {
  name: string;
  check(): Promise<ReadinessResult> | ReadinessResult;
}

export interface Readiness {
  add(check: ReadinessCheck): void;
  /** All checks, in order; the first failing one gives the reason. */
  evaluate(): Promise<{ ready: boolean; checks: Array<{ name: string; ready: boolean; reason?: string }> }>;
}

export function createReadiness(): Readiness {
  const checks: ReadinessCheck[] = [];
  return {
    add(check) {
      checks.push(check);
    },
    async evaluate() {
      const results = await Promise.all(
        checks.map(async (c) => {
          try {
            const r = await c.check();
            return r.ready ? { name: c.name, ready: true } : { name: c.name, ready: false, reason: r.reason };
          } catch (err) {
            return { name: c.name, ready: false, reason: (err as Error).message };
          }
        }),
      );
      return { ready: results.every((r) => r.ready), checks: results };
    },
  };
}
