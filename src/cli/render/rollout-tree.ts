// `sluice get rollout` as text, laid out like `kubectl argo rollouts get rollout`: a header of
// facts, then the Rollout → revisions → ReplicaSets (and AnalysisRuns) → pods tree. Pure.
import type { ReplicaSetView, RolloutView } from '../../ports/rollout-commands.ts';
import { alignColumns } from './text-columns.ts';
import { age, humanDuration } from './human-duration.ts';
import { TREE_ICON, analysisRunIcon, paint, podIcon, replicaSetIcon, rolloutIcon } from './status-icons.ts';

export interface RenderOptions {
  now: Date;
  color: boolean;
}

const LABEL_WIDTH = 17;
const fact = (label: string, value: string | number) => `${label.padEnd(LABEL_WIDTH)}${value}`.trimEnd();

/** `├──`/`└──` for an item, and what its children are prefixed with. */
function branch(isLast: boolean, parent: string): [self: string, children: string] {
  return isLast ? [`${parent}└──`, `${parent}   `] : [`${parent}├──`, `${parent}│  `];
}

export function renderRolloutHeader(view: RolloutView, { color }: RenderOptions): string[] {
  const s = view.summary;
  const icon = rolloutIcon(s.phase);
  const lines = [fact('Name:', s.name), fact('Namespace:', s.namespace), fact('Status:', `${paint(icon, icon, color)} ${s.phase}`)];
  if (s.message) lines.push(fact('Message:', s.message));
  lines.push(fact('Strategy:', s.strategy));
  if (s.strategy === 'Canary') {
    lines.push(fact('  Step:', s.step ? `${s.step.index}/${s.step.count}` : ''));
    lines.push(fact('  SetWeight:', s.setWeight ?? ''));
    lines.push(fact('  ActualWeight:', s.actualWeight ?? ''));
  }
  s.images.forEach((img, i) => {
    const tags = img.tags.length ? ` (${img.tags.map((t) => paint(t, t, color)).join(', ')})` : '';
    lines.push(fact(i === 0 ? 'Images:' : '', `${img.image}${tags}`));
  });
  lines.push('Replicas:');
  lines.push(fact('  Desired:', s.replicas.desired));
  lines.push(fact('  Current:', s.replicas.current));
  lines.push(fact('  Updated:', s.replicas.updated));
  lines.push(fact('  Ready:', s.replicas.ready));
  lines.push(fact('  Available:', s.replicas.available));
  return lines;
}

function replicaSetRows(rs: ReplicaSetView, prefix: string, childPrefix: string, opts: RenderOptions): string[][] {
  const { color, now } = opts;
  const info = rs.tags.map((t) => paint(t, t, color));
  if (rs.scaleDownDeadline) {
    const left = Date.parse(rs.scaleDownDeadline) - now.getTime();
    info.push(`delay:${Number.isNaN(left) ? '' : left <= 0 ? 'passed' : humanDuration(left)}`);
  }
  // Like kubectl-argo-rollouts, the name takes the colour of its first tag.
  const name = rs.tags[0] ? paint(rs.name, rs.tags[0], color) : rs.name;
  const icon = replicaSetIcon(rs.status);
  const rows = [[`${prefix}${TREE_ICON.replicaSet} ${name}`, 'ReplicaSet', `${paint(icon, icon, color)} ${rs.status}`, age(rs.createdAt, now), info.join(',')]];
  rs.pods.forEach((pod, i) => {
    const [podPrefix] = branch(i === rs.pods.length - 1, childPrefix);
    const podInfo = [`ready:${pod.ready}`];
    if (pod.restarts > 0) podInfo.push(`restarts:${pod.restarts}`);
    const picon = podIcon(pod.status);
    rows.push([`${podPrefix}${TREE_ICON.pod} ${pod.name}`, 'Pod', `${paint(picon, picon, color)} ${pod.status}`, age(pod.createdAt, now), podInfo.join(',')]);
  });
  return rows;
}

export function renderRolloutTreeRows(view: RolloutView, opts: RenderOptions): string[] {
  const { color, now } = opts;
  const s = view.summary;
  const icon = rolloutIcon(s.phase);
  const rows: string[][] = [
    ['NAME', 'KIND', 'STATUS', 'AGE', 'INFO'],
    [`${TREE_ICON.rollout} ${s.name}`, 'Rollout', `${paint(icon, icon, color)} ${s.phase}`, age(s.createdAt, now), ''],
  ];
  const revisions = [...new Set([...view.replicaSets.map((r) => r.revision), ...view.analysisRuns.map((a) => a.revision)])].sort((a, b) => b - a);
  revisions.forEach((revision, ri) => {
    const [revPrefix, revChildren] = branch(ri === revisions.length - 1, '');
    rows.push([`${revPrefix}${TREE_ICON.revision} revision:${revision}`, '', '', '', '']);
    const replicaSets = view.replicaSets.filter((r) => r.revision === revision);
    const runs = view.analysisRuns.filter((a) => a.revision === revision);
    const total = replicaSets.length + runs.length;
    let n = 0;
    for (const rs of replicaSets) {
      const [self, children] = branch(++n === total, revChildren);
      rows.push(...replicaSetRows(rs, self, children, opts));
    }
    for (const run of runs) {
      const [self] = branch(++n === total, revChildren);
      const aicon = analysisRunIcon(run.status);
      rows.push([`${self}${TREE_ICON.analysisRun} ${run.name}`, 'AnalysisRun', `${paint(aicon, aicon, color)} ${run.status}`, age(run.createdAt, now), '']);
    }
  });
  return alignColumns(rows);
}

/** The whole `get rollout` output, ending in a newline. */
export function renderRolloutTree(view: RolloutView, opts: RenderOptions): string {
  return `${[...renderRolloutHeader(view, opts), '', ...renderRolloutTreeRows(view, opts)].join('\n')}\n`;
}
