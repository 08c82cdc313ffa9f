// Steering rollouts from the pull request: `/promote`, `/promote --full`, `/abort`, `/retry` in a
// comment, and an approving review while a Rollout of the pull request waits for a person. Only
// approvers and people with write access act; everyone gets an answer: a reaction on the command
// (seen, then done or refused) and a reply with the result or the reason nothing was done.
// A comment acts at most once, whatever the webhook redelivers.
import type { Logger } from 'pino';
import type { Rollout } from '../engine/types.ts';
import type { CommentEvent, ReviewEvent } from '../ports/webhook-events.ts';
import type { CommandResult, RolloutCommands } from '../ports/rollout-commands.ts';
import { rolloutPhase } from '../rollouts/rollout-view.ts';
import { isForbidden, type Reaction } from './host-client.ts';
import { authorize } from './authorize.ts';
import { COMMAND_USAGE, commandLabel, formatTarget, parseComment, type PrCommand } from './pr-commands.ts';
import { availableCommands, waitsForApproval } from './rollout-state.ts';
import type { RolloutReporter, TrackedRollout } from './rollout-reporter.ts';
import { reposOfEvent, type HostedRepo } from './hosted-repo.ts';
import { noGitHostMetrics, type CommandOutcome, type GitHostMetrics } from './githost-metrics.ts';
import { code } from './rollout-comment.ts';

export interface ApprovalsDeps {
  repos: HostedRepo[];
  reporter: Pick<RolloutReporter, 'rolloutsOf' | 'touch'>;
  commands: Pick<RolloutCommands, 'promote' | 'abort' | 'retry'>;
  /** Reads the Rollout as it is now (API server), to decide what a command may do. */
  readRollout(namespace: string, name: string): Promise<Rollout | undefined>;
  log: Logger;
  metrics?: GitHostMetrics;
}

export interface Approvals {
  comment(event: CommentEvent): Promise<void>;
  review(event: ReviewEvent): Promise<void>;
}

/** Bounded memory of what was handled (comment ids, delivery ids), oldest forgotten first. */
function recentSet(limit: number) {
  const items = new Set<string>();
  return {
    /** True the first time a value is seen. */
    add(value: string): boolean {
      if (items.has(value)) return false;
      items.add(value);
      if (items.size > limit) items.delete(items.values().next().value as string);
      return true;
    },
  };
}

const idOf = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`;

export function createApprovals(deps: ApprovalsDeps): Approvals {
  const { log } = deps;
  const metrics = deps.metrics ?? noGitHostMetrics;
  const handledComments = recentSet(10_000);
  const handledReviews = recentSet(10_000);

  async function reply(repo: HostedRepo, pr: number, body: string): Promise<void> {
    try {
      await repo.client.createComment(pr, body);
    } catch (err) {
      hostFailure(repo, err, 'could not reply on the pull request');
    }
  }

  async function react(repo: HostedRepo, pr: number, commentId: string, reaction: Reaction): Promise<void> {
    try {
      await repo.client.react(pr, commentId, reaction);
    } catch (err) {
      hostFailure(repo, err, 'could not react to the command');
    }
  }

  function hostFailure(repo: HostedRepo, err: unknown, what: string): void {
    const fields = { repo: repo.name, host: repo.client.type, err: (err as Error).message };
    if (isForbidden(err)) log.error(fields, `${what}: the API token lacks the rights (see README, Pull requests and approvals)`);
    else log.warn(fields, what);
  }

  async function act(command: PrCommand, target: TrackedRollout): Promise<CommandResult> {
    if (command.verb === 'promote') return deps.commands.promote(target.namespace, target.name, { full: command.full });
    if (command.verb === 'abort') return deps.commands.abort(target.namespace, target.name);
    return deps.commands.retry(target.namespace, target.name);
  }

  /** The Rollout a command means, or why there is none. */
  function pick(command: PrCommand, candidates: TrackedRollout[]): { target: TrackedRollout } | { problem: string; usage: boolean } {
    const label = commandLabel(command);
    const listed = candidates.map((c) => code(idOf(c))).join(', ');
    if (!candidates.length) return { problem: `no Rollout was deployed from this pull request, so ${code(label)} has nothing to act on`, usage: false };
    if (!command.target) {
      if (candidates.length === 1 && candidates[0]) return { target: candidates[0] };
      const examples = candidates.map((c) => code(`${label} ${candidates.filter((o) => o.name === c.name).length > 1 ? idOf(c) : c.name}`)).join(' or ');
      return { problem: `this pull request deployed several Rollouts (${listed}); which one? Say ${examples}`, usage: false };
    }
    const t = command.target;
    const matches = candidates.filter((c) => c.name === t.name && (t.namespace === undefined || c.namespace === t.namespace));
    if (matches.length === 1 && matches[0]) return { target: matches[0] };
    if (matches.length > 1) return { problem: `${code(t.name)} is in several namespaces (${matches.map((m) => code(idOf(m))).join(', ')}); name it as ${code('namespace/name')}`, usage: true };
    return { problem: `no Rollout ${code(formatTarget(t))} came with this pull request (it deployed ${listed})`, usage: true };
  }

  async function handleComment(event: CommentEvent): Promise<void> {
    if (event.action !== 'created') return;
    const parsed = parseComment(event.body);
    if (parsed.kind === 'none') return;
    const repos = reposOfEvent(deps.repos, event);
    const repo = repos[0];
    if (!repo) {
      log.info({ host: event.host, repository: event.repository.fullName }, 'pull-request command for a repository without host config; ignored');
      return;
    }
    if (!handledComments.add(`${event.host}\n${repo.client.repository}\n${event.commentId}`)) return;
    const pr = event.pullRequest;
    const who = `@${event.user}`;
    const label = parsed.kind === 'command' ? commandLabel(parsed.command) : `/${parsed.verb}`;
    const finish = async (outcome: CommandOutcome, message: string, fields: Record<string, unknown> = {}) => {
      metrics.command(label, outcome);
      log.info({ repo: repo.name, pullRequest: pr, user: event.user, command: label, outcome, ...fields }, 'pull-request command');
      await Promise.all([react(repo, pr, event.commentId, outcome === 'done' ? 'done' : 'refused'), reply(repo, pr, `${who}: ${message}`)]);
    };

    await react(repo, pr, event.commentId, 'seen');
    if (parsed.kind === 'invalid') return finish('bad_arguments', `${parsed.error}; nothing was done.\n\n${COMMAND_USAGE}`);
    const command = parsed.command;

    const auth = await authorize(event.user, repo.approvers, repo.client);
    if (!auth.allowed) {
      if (auth.error) hostFailure(repo, auth.error, 'could not check the permission of a pull-request commenter');
      return finish('refused', auth.reason);
    }

    const chosen = pick(command, await deps.reporter.rolloutsOf(repos.map((r) => r.name), pr));
    if ('problem' in chosen) return finish(chosen.usage ? 'bad_arguments' : 'not_possible', `${chosen.problem}; nothing was done.${chosen.usage ? `\n\n${COMMAND_USAGE}` : ''}`);
    const target = chosen.target;

    const rollout = await deps.readRollout(target.namespace, target.name);
    if (!rollout) return finish('not_possible', `the Rollout ${code(idOf(target))} no longer exists; nothing was done.`);
    const { phase } = rolloutPhase(rollout);
    const possible = availableCommands(rollout, phase);
    if (!possible.some((c) => c.verb === command.verb && c.full === command.full)) {
      const now = possible.length ? `possible now: ${possible.map((c) => code(commandLabel(c))).join(', ')}` : 'no command applies now';
      return finish('not_possible', `${code(label)} does not apply to ${code(idOf(target))}, which is ${phase} (${now}); nothing was done.`);
    }
    try {
      const result = await act(command, target);
      deps.reporter.touch(target.namespace, target.name);
      return finish('done', `${result.message} (${code(idOf(target))}, as asked with ${code(label)}).`, { rollout: idOf(target), via: auth.via });
    } catch (err) {
      return finish('failed', `${code(label)} on ${code(idOf(target))} failed: ${(err as Error).message}`, { rollout: idOf(target), err: (err as Error).message });
    }
  }

  async function handleReview(event: ReviewEvent): Promise<void> {
    if (event.state !== 'approved') return;
    const repos = reposOfEvent(deps.repos, event);
    const repo = repos[0];
    if (!repo || !handledReviews.add(`${event.host}\n${event.deliveryId}`)) return;
    const pr = event.pullRequest;
    const candidates = await deps.reporter.rolloutsOf(repos.map((r) => r.name), pr);
    const waiting: TrackedRollout[] = [];
    for (const c of candidates) {
      const rollout = await deps.readRollout(c.namespace, c.name);
      if (rollout && waitsForApproval(rollout)) waiting.push(c);
    }
    // An approval of a pull request whose Rollouts wait for nobody is ordinary review, not a command.
    if (!waiting.length) return;
    const who = `@${event.user}`;
    const auth = await authorize(event.user, repo.approvers, repo.client);
    if (!auth.allowed) {
      if (auth.error) hostFailure(repo, auth.error, 'could not check the permission of a reviewer');
      metrics.command('review', 'refused');
      log.info({ repo: repo.name, pullRequest: pr, user: event.user, outcome: 'refused' }, 'approving review');
      return reply(repo, pr, `${who}: thanks for the review, but it does not promote ${waiting.map((w) => code(idOf(w))).join(', ')}: ${auth.reason}`);
    }
    const lines: string[] = [];
    for (const target of waiting) {
      try {
        const result = await deps.commands.promote(target.namespace, target.name);
        deps.reporter.touch(target.namespace, target.name);
        metrics.command('review', 'done');
        lines.push(`${result.message} (${code(idOf(target))})`);
      } catch (err) {
        metrics.command('review', 'failed');
        lines.push(`promoting ${code(idOf(target))} failed: ${(err as Error).message}`);
      }
    }
    log.info({ repo: repo.name, pullRequest: pr, user: event.user, rollouts: waiting.map(idOf), via: auth.via }, 'approving review promoted');
    await reply(repo, pr, `${who} approved this pull request while ${waiting.length === 1 ? 'a Rollout was' : 'Rollouts were'} waiting for a person: ${lines.join('; ')}.`);
  }

  // Handlers never throw: a failure is logged, and the webhook endpoint has already answered.
  const guarded = <E>(what: string, fn: (e: E) => Promise<void>) => async (event: E) => {
    try {
      await fn(event);
    } catch (err) {
      log.error({ err: (err as Error).message }, `${what} failed`);
    }
  };
  return { comment: guarded('pull-request command', handleComment), review: guarded('approving review', handleReview) };
}
