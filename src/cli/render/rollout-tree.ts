// `sluice get rollout` as text, laid out like `kubectl argo rollouts get rollout`: a header of
// facts, then the Rollout → revisions → ReplicaSets → pods (and AnalysisRuns → metrics) tree. Pure.
import type { AnalysisMetricView, AnalysisRunType, AnalysisRunView, ReplicaSetView, RolloutView } from '../../ports/rollout-commands.ts';
import { alignColumns } from './text-columns.ts';
import { age, humanDuration } from './human-duration.ts';
import { ICON, TREE_ICON, analysisRunIcon, paint, podIcon, replicaSetIcon, rolloutIcon } from './status-icons.ts';

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
  (s.currentAnalysisRuns ?? []).forEach((run, i) => {
    const icon = analysisRunIcon(run.status);
    const message = run.message ? ` (${oneLine(run.message)})` : '';
    lines.push(fact(i === 0 ? 'Analysis:' : '', `${RUN_TYPE_WORD[run.type]} run ${run.name} ${paint(icon, icon, color)} ${run.status}${message}`));
  });
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

const RUN_TYPE_WORD: Record<AnalysisRunType, string> = { Step: 'step', Background: 'background', PrePromotion: 'pre-promotion', PostPromotion: 'post-promotion' };

/** Values and messages come from providers and may span lines; a tree row must not. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The run's row and one row per metric: `name  Metric  ✔ Successful  age  [0.99] (3/3)`. */
function analysisRunRows(run: AnalysisRunView, prefix: string, childPrefix: string, opts: RenderOptions): string[][] {
  const { color, now } = opts;
  // kubectl-argo-rollouts' counts: measurements by verdict, only those that occurred.
  const counts: Array<[string, number]> = [[ICON.ok, run.successful], [ICON.bad, run.failed], [ICON.unknown, run.inconclusive], [ICON.warning, run.error]];
  const info = counts.filter(([, n]) => n > 0).map(([icon, n]) => `${paint(icon, icon, color)} ${n}`);
  // Which part of the update started the run, which Argo leaves to the name.
  if (run.type === 'Step') info.push(run.stepIndex === undefined ? 'step' : `step:${run.stepIndex}`);
  else if (run.type) info.push(RUN_TYPE_WORD[run.type]);
  const message = run.message ? ` ${oneLine(run.message)}` : '';
  const icon = analysisRunIcon(run.status);
  const rows = [[`${prefix}${TREE_ICON.analysisRun} ${run.name}`, 'AnalysisRun', `${paint(icon, icon, color)} ${run.status}`, age(run.createdAt, now), `${info.join(',')}${message}`.trim()]];
  run.metrics.forEach((metric, i) => {
    const [metricPrefix] = branch(i === run.metrics.length - 1, childPrefix);
    const micon = analysisRunIcon(metric.phase);
    const measuredAt = metric.latest?.finishedAt ?? metric.latest?.startedAt;
    rows.push([`${metricPrefix}${TREE_ICON.metric} ${metric.name}`, 'Metric', `${paint(micon, micon, color)} ${metric.phase}`, measuredAt ? age(measuredAt, now) : '', metricInfo(metric, color)]);
  });
  return rows;
}

/**
 * The newest value, successful of counted measurements, errors, dry-run, and the message. The newest
 * measurement's icon leads when its verdict differs from the metric's (a Running metric whose last
 * measurement failed), since the STATUS column shows only the metric's.
 */
function metricInfo(metric: AnalysisMetricView, color: boolean): string {
  const info: string[] = [];
  const latest = metric.latest;
  if (latest && latest.phase !== metric.phase) {
    const icon = analysisRunIcon(latest.phase);
    if (icon.trim()) info.push(paint(icon, icon, color));
  }
  if (latest?.value !== undefined) info.push(oneLine(latest.value));
  if (metric.count > 0) info.push(`(${metric.successful}/${metric.count})`);
  if (metric.error > 0) info.push(`errors:${metric.error}`);
  if (metric.dryRun) info.push('dry-run');
  const message = metric.message ?? latest?.message;
  if (message) info.push(oneLine(message));
  return info.join(' ');
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
      const [self, children] = branch(++n === total, revChildren);
      rows.push(...analysisRunRows(run, self, children, opts));
    }
  });
  return alignColumns(rows);
}

/** The whole `get rollout` output, ending in a newline. */
export function renderRolloutTree(view: RolloutView, opts: RenderOptions): string {
  return `${[...renderRolloutHeader(view, opts), '', ...renderRolloutTreeRows(view, opts)].join('\n')}\n`;
}
