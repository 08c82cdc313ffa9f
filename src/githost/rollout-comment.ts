// The pull-request comment of one Rollout: the hidden marker it is found by, live progress, the
// planned steps (canary) or stages (blue-green) with how far it got, the analysis verdicts with
// their latest values, and the commands that make sense now. Pure and deterministic (no clock), so
// an unchanged Rollout renders the same bytes and the comment is not edited.
import type { Rollout } from '../engine/types.ts';
import { planBlueGreen, planSteps, type PlannedBlueGreenStage, type PlannedStep } from '../engine/plan.ts';
import type { AnalysisRunView, RolloutView } from '../ports/rollout-commands.ts';
import { availableCommands, waitsForApproval } from './rollout-state.ts';
import { commandLabel } from './pr-commands.ts';

export const rolloutMarker = (namespace: string, name: string): string => `<!-- sluice:rollout ${namespace}/${name} -->`;

export const PHASE_ICON: Record<string, string> = { Healthy: '✅', Progressing: '🔄', Paused: '⏸️', Degraded: '❌' };
const VERDICT_ICON: Record<string, string> = { Successful: '✅', Failed: '❌', Error: '⚠️', Inconclusive: '❔', Running: '🔄', Pending: '⏳' };

export interface RolloutCommentInput {
  rollout: Rollout;
  view: RolloutView;
  /** The commit Sluice deployed (the one the pull request brought). */
  commit: string;
  /** Added to each command when the pull request deployed several Rollouts: `web` or `shop/web`. */
  commandTarget?: string;
}

/** Markdown table cell: no pipes or line breaks break the row; no backticks break a code span. */
export const cell = (s: string): string => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
export const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export function renderRolloutComment(input: RolloutCommentInput): string {
  const { rollout, view, commit } = input;
  const s = view.summary;
  const id = `${s.namespace}/${s.name}`;
  const icon = PHASE_ICON[s.phase] ?? '•';
  const done = s.step !== undefined && s.step.index >= s.step.count;
  const stepText = s.step ? (done ? 'all steps done' : `step ${s.step.index + 1} of ${s.step.count}`) : undefined;
  const where = !stepText || s.phase === 'Healthy' ? '' : done ? `, ${stepText}` : ` at ${stepText}`;
  const lines = [rolloutMarker(s.namespace, s.name), `### ${icon} Rollout ${code(id)} is ${s.phase}${where}`, ''];

  lines.push(`Deployed from ${code(commit.slice(0, 7))} by Sluice.`, '', '| | |', '|---|---|');
  lines.push(`| Phase | ${icon} ${s.phase}${s.message ? ` — ${cell(s.message)}` : ''} |`);
  lines.push(`| Strategy | ${s.strategy}${stepText ? ` · ${stepText}` : ''} |`);
  if (s.strategy === 'Canary') {
    const weight = s.weights ? `canary ${s.weights.canary}%, stable ${s.weights.stable}%` : `canary ${s.setWeight ?? 0}% (actual ${s.actualWeight ?? 0}%)`;
    lines.push(`| Weight | ${weight} |`);
  }
  const r = s.replicas;
  lines.push(`| Replicas | ${r.desired} desired · ${r.current} current · ${r.updated} updated · ${r.ready} ready · ${r.available} available |`);
  if (s.images.length) lines.push(`| Images | ${s.images.map((i) => `${code(i.image)}${i.tags.length ? ` (${i.tags.join(', ')})` : ''}`).join(', ')} |`);

  if (s.strategy === 'Canary') lines.push('', ...renderSteps(rollout, s.phase, planSteps(rollout)));
  else if (s.strategy === 'BlueGreen') lines.push('', ...renderStages(planBlueGreen(rollout), s.phase));

  const runs = currentRevisionRuns(view.analysisRuns);
  if (runs.length) lines.push('', ...renderAnalysis(runs));

  lines.push('', ...renderCommands(rollout, s.phase, input.commandTarget));
  return `${lines.join('\n')}\n`;
}

function stepText(step: PlannedStep, rollout: Rollout): string {
  const raw = rollout.spec.strategy?.canary?.steps?.[step.index];
  switch (step.kind) {
    case 'setWeight':
      return `set weight ${step.canaryWeight}%`;
    case 'pause':
      return step.pause === 'indefinite' ? 'pause until promoted' : `pause ${step.pause}s`;
    case 'analysis':
      return `analysis ${(step.analysisTemplates ?? []).map(code).join(', ')}`.trim();
    case 'setCanaryScale':
      return `set canary scale ${cell(JSON.stringify(raw?.setCanaryScale ?? {}))}`;
    default:
      return step.kind;
  }
}

function renderSteps(rollout: Rollout, phase: string, steps: PlannedStep[]): string[] {
  if (!steps.length) return ['_No steps: the new version replaces the old one at once._'];
  const status = rollout.status ?? {};
  const current = status.currentStepIndex ?? (phase === 'Healthy' ? steps.length : 0);
  const paused = (status.pauseConditions?.length ?? 0) > 0;
  const mark = (i: number) =>
    phase === 'Healthy' || i < current ? '✅' : i > current ? '⬜' : status.abort ? '❌' : paused ? '⏸️' : '▶️';
  const lines = ['#### Steps', '', '| | # | step | canary weight | pods canary / stable |', '|---|---|---|---|---|'];
  for (const step of steps) lines.push(`| ${mark(step.index)} | ${step.index + 1} | ${stepText(step, rollout)} | ${step.canaryWeight}% | ${step.canaryReplicas} / ${step.stableReplicas} |`);
  return lines;
}

const STAGE_TEXT: Record<PlannedBlueGreenStage['kind'], string> = {
  preview: 'bring up the new version (preview)',
  prePromotionAnalysis: 'pre-promotion analysis',
  pause: 'pause',
  scaleUpPreview: 'scale the preview up to full size',
  switch: 'switch the active Service to the new version',
  postPromotionAnalysis: 'post-promotion analysis',
  scaleDown: 'scale the old version down',
};

function stageText(st: PlannedBlueGreenStage): string {
  let text = STAGE_TEXT[st.kind];
  if (st.kind === 'pause') text = st.wait === 'indefinite' ? 'pause until promoted' : `pause ${st.wait}s, then promote`;
  if (st.kind === 'scaleDown') text = `${text} after ${st.wait}s`;
  if (st.analysisTemplates?.length) text = `${text} ${st.analysisTemplates.map(code).join(', ')}`;
  return text;
}

/** Blue-green progress is not tracked stage by stage: every stage is done once Healthy. */
function renderStages(stages: PlannedBlueGreenStage[], phase: string): string[] {
  const lines = ['#### Stages', '', '| | # | stage | pods new / old | active |', '|---|---|---|---|---|'];
  for (const st of stages) lines.push(`| ${phase === 'Healthy' ? '✅' : '⬜'} | ${st.index + 1} | ${stageText(st)} | ${st.newReplicas} / ${st.oldReplicas} | ${st.active} |`);
  return lines;
}

/** The runs of the newest revision: earlier revisions' verdicts are history, not this update. */
function currentRevisionRuns(runs: AnalysisRunView[]): AnalysisRunView[] {
  const newest = Math.max(...runs.map((r) => r.revision));
  return runs.filter((r) => r.revision === newest);
}

function renderAnalysis(runs: AnalysisRunView[]): string[] {
  const lines = ['#### Analysis', '', '| run | metric | verdict | latest value | measurements ✓ / ✗ / ? / error |', '|---|---|---|---|---|'];
  for (const run of runs) {
    const where = run.type === 'Step' && run.stepIndex !== undefined ? ` (step ${run.stepIndex + 1})` : run.type ? ` (${run.type})` : '';
    const runCell = `${code(run.name)}${where}: ${VERDICT_ICON[run.status] ?? ''} ${run.status}`.replace(/ {2}/g, ' ');
    if (!run.metrics.length) lines.push(`| ${runCell} | | | | |`);
    for (const m of run.metrics) {
      const value = m.latest?.value !== undefined ? code(clip(m.latest.value, 60)) : '—';
      const verdict = `${VERDICT_ICON[m.phase] ?? ''} ${m.phase}${m.dryRun ? ' (dry run)' : ''}`.trim();
      lines.push(`| ${runCell} | ${cell(m.name)} | ${verdict} | ${cell(value)} | ${m.successful} / ${m.failed} / ${m.inconclusive} / ${m.error} |`);
    }
  }
  return lines;
}

function renderCommands(rollout: Rollout, phase: string, target: string | undefined): string[] {
  const commands = availableCommands(rollout, phase);
  if (!commands.length) return [`_No commands apply now (${phase === 'Healthy' ? 'the update is complete' : `the Rollout is ${phase}`})._`];
  const lines = ['#### Commands', '', 'Comment one of these on this pull request (people with write access to the repository, or configured approvers):', ''];
  for (const c of commands) lines.push(`- ${code(`${commandLabel(c)}${target ? ` ${target}` : ''}`)} — ${c.effect}`);
  if (waitsForApproval(rollout)) lines.push('', 'It waits for a person: an approving review of this pull request promotes it too.');
  return lines;
}

/** What an update of this Rollout goes through, without live progress (for the plan of a pull request). */
export function renderPlanTable(rollout: Rollout): string[] {
  if (rollout.spec?.strategy?.blueGreen) {
    return ['| # | stage | pods new / old | active |', '|---|---|---|---|', ...planBlueGreen(rollout).map((st) => `| ${st.index + 1} | ${stageText(st)} | ${st.newReplicas} / ${st.oldReplicas} | ${st.active} |`)];
  }
  const steps = rollout.spec?.strategy?.canary ? planSteps(rollout) : [];
  if (!steps.length) return ['_No steps: the new version replaces the old one at once._'];
  return ['| # | step | canary weight | pods canary / stable |', '|---|---|---|---|', ...steps.map((s) => `| ${s.index + 1} | ${stepText(s, rollout)} | ${s.canaryWeight}% | ${s.canaryReplicas} / ${s.stableReplicas} |`)];
}
