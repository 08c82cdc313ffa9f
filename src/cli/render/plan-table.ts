// `sluice plan` as text: per Rollout, what each canary step does to weights and pod counts, or
// what each blue-green stage does to pods and the active Service. Pure.
import type { PlannedBlueGreenStage, PlannedStep } from '../../engine/plan.ts';
import type { RolloutPlan } from '../plan-rollouts.ts';
import { alignColumns } from './text-columns.ts';
import { formatGoDuration } from '../../engine/time.ts';

const pauseText = (step: PlannedStep) => (step.pause === undefined ? '-' : step.pause === 'indefinite' ? 'until promoted' : formatGoDuration(step.pause));

export function renderPlan(plans: readonly RolloutPlan[]): string {
  const blocks = plans.map((plan) => {
    const where = plan.namespace ? `${plan.namespace}/${plan.name}` : plan.name;
    const title = `Rollout ${where} (${plan.source}): ${plan.replicas} ${plan.replicas === 1 ? 'replica' : 'replicas'}`;
    if (plan.strategy === 'blueGreen' && plan.stages) return renderBlueGreen(title, plan, plan.stages);
    if (plan.strategy !== 'canary') return `${title}, ${plan.strategy === 'blueGreen' ? 'blue-green' : 'no strategy'}: no steps\n`;
    if (plan.steps.length === 0) return `${title}, canary without steps: a rolling update straight to the new version\n`;
    const rows = [['STEP', 'KIND', 'WEIGHT', 'CANARY', 'STABLE', 'PAUSE', 'ANALYSIS']];
    for (const step of plan.steps) {
      rows.push([
        String(step.index),
        step.kind,
        `${step.canaryWeight}%`,
        String(step.canaryReplicas),
        String(step.stableReplicas),
        pauseText(step),
        step.analysisTemplates?.length ? step.analysisTemplates.join(',') : '-',
      ]);
    }
    const after = `after step ${plan.steps.length - 1}: 100% on ${plan.replicas} new ${plan.replicas === 1 ? 'pod' : 'pods'}, which become stable`;
    return `${title}, canary, ${plan.steps.length} ${plan.steps.length === 1 ? 'step' : 'steps'}\n${alignColumns(rows).join('\n')}\n${after}\n`;
  });
  return blocks.join('\n');
}

const waitText = (stage: PlannedBlueGreenStage): string => {
  if (stage.wait === undefined) return '-';
  if (stage.wait === 'indefinite') return 'until promoted';
  return stage.kind === 'pause' ? `promote after ${formatGoDuration(stage.wait)}` : stage.wait === 0 ? 'at once' : `after ${formatGoDuration(stage.wait)}`;
};

function renderBlueGreen(title: string, plan: RolloutPlan, stages: readonly PlannedBlueGreenStage[]): string {
  const services = `active ${plan.activeService ?? '?'}${plan.previewService ? `, preview ${plan.previewService}` : ''}`;
  const rows = [['STAGE', 'KIND', 'NEW', 'OLD', 'ACTIVE', 'WAIT', 'ANALYSIS']];
  for (const stage of stages) {
    rows.push([String(stage.index), stage.kind, String(stage.newReplicas), String(stage.oldReplicas), stage.active, waitText(stage), stage.analysisTemplates?.length ? stage.analysisTemplates.join(',') : '-']);
  }
  return `${title}, blue-green (${services})\n${alignColumns(rows).join('\n')}\nthe first deploy goes straight to active\n`;
}
