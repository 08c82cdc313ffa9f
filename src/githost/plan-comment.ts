// The plan comment of an open pull request: for each configured repository the pull request would
// deploy into, what merging would change in the cluster (the sync's dry-run report: objects to
// create, change, prune, with diffs) and the steps each changed Rollout's update would go through.
// Bounded in size: hosts cap comment length (GitHub at 65,536 characters).
import type { Rollout } from '../engine/types.ts';
import { formatSyncProblem, type SyncChange, type SyncReport } from '../ports/repo-sync.ts';
import { cell, code, renderPlanTable } from './rollout-comment.ts';

export const PLAN_MARKER = '<!-- sluice:plan -->';

export interface RepoPlan {
  /** repos[].name */
  repo: string;
  /** The ref spec in words, e.g. `branch main`. */
  ref: string;
  /** The dry-run report; absent when planning failed (see error). */
  report?: SyncReport;
  /** The Rollouts at the pull request's head that the report creates or changes. */
  rollouts?: Rollout[];
  error?: string;
}

const MARK: Record<SyncChange['outcome'], string> = { created: '➕ create', changed: '✏️ change', pruned: '🗑️ prune', failed: '⚠️ fails' };
/** Room for everything but the diffs, which get what is left of the budget. */
const DIFF_BUDGET = 45_000;
const MAX_DIFF = 8_000;

export function renderPlanComment(input: { headSha: string; plans: RepoPlan[] }): string {
  const lines = [PLAN_MARKER, `### 📋 Sluice plan for ${code(input.headSha.slice(0, 7))}`, ''];
  lines.push('What merging this pull request would change in the cluster, from server-side dry runs against the live objects. Nothing was applied.');
  let budget = DIFF_BUDGET;
  for (const plan of input.plans) {
    lines.push('');
    if (!plan.report) {
      lines.push(`#### ${code(plan.repo)} (${plan.ref}): could not plan`, '', `> ${cell(plan.error ?? 'unknown error')}`);
      continue;
    }
    const r = plan.report;
    const o = r.objects;
    lines.push(`#### ${code(plan.repo)} (${plan.ref}): ${o.created} to create, ${o.changed} to change, ${o.unchanged} unchanged, ${o.pruned} to prune`);
    if (r.result === 'unavailable' || r.result === 'failed') lines.push('', `Planning ${r.result === 'unavailable' ? 'could not reach the Git server' : 'failed'}.`);
    if (r.changes.length) {
      lines.push('', '| | object | from |', '|---|---|---|');
      for (const ch of r.changes) lines.push(`| ${MARK[ch.outcome]} | ${code(ch.object)} | ${ch.source ? code(ch.source) : '—'} |`);
      for (const ch of r.changes) {
        if (!ch.diff || ch.outcome === 'pruned') continue;
        const diff = ch.diff.length > MAX_DIFF ? `${ch.diff.slice(0, MAX_DIFF)}\n… (diff cut at ${MAX_DIFF} characters)` : ch.diff;
        if (diff.length > budget) {
          lines.push('', `_Diff of ${code(ch.object)} left out: the comment would be too long._`);
          continue;
        }
        budget -= diff.length;
        // A fence longer than any backtick run inside keeps the diff intact.
        const fence = '`'.repeat(Math.max(3, ...[...diff.matchAll(/`+/g)].map((m) => m[0].length + 1)));
        lines.push('', `<details><summary>Diff of <code>${escapeHtml(ch.object)}</code></summary>`, '', `${fence}diff`, diff, fence, '', '</details>');
      }
    } else if (r.result === 'succeeded') lines.push('', 'Nothing would change.');
    if (r.errors.length) {
      lines.push('', '**Problems** (a sync of this commit would report them too):', '');
      for (const e of r.errors.slice(0, 50)) lines.push(`- ${cell(formatSyncProblem(e))}`);
      if (r.errors.length > 50) lines.push(`- … and ${r.errors.length - 50} more`);
    }
    if (r.pruneSkipped) lines.push('', `Prune would be skipped: ${r.pruneSkipped}.`);
    for (const ro of plan.rollouts ?? []) {
      lines.push('', `**Rollout ${code(`${ro.metadata.namespace ?? ''}/${ro.metadata.name}`)}**: an update goes through`, '', ...renderPlanTable(ro));
    }
  }
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
