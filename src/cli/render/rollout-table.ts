// `sluice list rollouts` as the table `kubectl argo rollouts list rollouts` prints. Pure.
import type { RolloutSummary } from '../../ports/rollout-commands.ts';
import { alignColumns } from './text-columns.ts';

const HEADER = ['NAME', 'STRATEGY', 'STATUS', 'STEP', 'SET-WEIGHT', 'READY', 'DESIRED', 'UP-TO-DATE', 'AVAILABLE'];

export function renderRolloutTable(rollouts: readonly RolloutSummary[], options: { allNamespaces?: boolean } = {}): string {
  const rows = rollouts.map((r) => {
    const row = [
      r.name,
      r.strategy,
      r.phase,
      r.step ? `${r.step.index}/${r.step.count}` : '-',
      r.setWeight === undefined ? '-' : String(r.setWeight),
      `${r.replicas.ready}/${r.replicas.current}`,
      String(r.replicas.desired),
      String(r.replicas.updated),
      String(r.replicas.available),
    ];
    return options.allNamespaces ? [r.namespace, ...row] : row;
  });
  const header = options.allNamespaces ? ['NAMESPACE', ...HEADER] : HEADER;
  return `${alignColumns([header, ...rows]).join('\n')}\n`;
}
