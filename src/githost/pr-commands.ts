// The commands people write in pull-request comments: `/promote [--full] [ROLLOUT]`,
// `/abort [ROLLOUT]`, `/retry [ROLLOUT]`, where ROLLOUT is `name` or `namespace/name`. Parsing is
// strict: anything unexpected is an error answered with the usage, and never acts.

export type CommandVerb = 'promote' | 'abort' | 'retry';

export interface RolloutTarget {
  namespace?: string;
  name: string;
}

export interface PrCommand {
  verb: CommandVerb;
  /** `/promote --full`: skip every remaining step. */
  full: boolean;
  target?: RolloutTarget;
}

export type ParsedComment =
  | { kind: 'none' }
  | { kind: 'command'; command: PrCommand }
  | { kind: 'invalid'; verb: CommandVerb; error: string };

export const COMMAND_USAGE =
  'Usage: `/promote [--full] [ROLLOUT]`, `/abort [ROLLOUT]` or `/retry [ROLLOUT]`, alone on a line; ROLLOUT is `name` or `namespace/name` and is needed only when this pull request deployed several Rollouts.';

const VERBS: readonly CommandVerb[] = ['promote', 'abort', 'retry'];
// A command line: the verb as a whole word at the start of a line (quotes and code never count).
const COMMAND_LINE = /^\/(promote|abort|retry)(?=\s|$)(.*)$/;
// Kubernetes names (DNS-1123 subdomain for the Rollout, label for the namespace).
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/;

/** The command label metrics and replies use: `/promote`, `/promote --full`, `/abort`, `/retry`. */
export function commandLabel(c: Pick<PrCommand, 'verb' | 'full'>): string {
  return `/${c.verb}${c.verb === 'promote' && c.full ? ' --full' : ''}`;
}

export function formatTarget(t: RolloutTarget): string {
  return t.namespace ? `${t.namespace}/${t.name}` : t.name;
}

export function parseComment(body: string): ParsedComment {
  const lines: string[] = [];
  let fenced = false;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (/^(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced && COMMAND_LINE.test(line)) lines.push(line);
  }
  const first = lines[0];
  if (first === undefined) return { kind: 'none' };
  const [, verbText = '', rest = ''] = COMMAND_LINE.exec(first) ?? [];
  const verb = verbText as CommandVerb;
  if (!VERBS.includes(verb)) return { kind: 'none' };
  if (lines.length > 1) return { kind: 'invalid', verb, error: 'one command per comment, please' };

  let full = false;
  let target: RolloutTarget | undefined;
  for (const arg of rest.trim().split(/\s+/).filter(Boolean)) {
    if (arg.startsWith('-')) {
      if (arg === '--full' && verb === 'promote') {
        full = true;
        continue;
      }
      return { kind: 'invalid', verb, error: arg === '--full' ? `\`/${verb}\` takes no \`--full\`` : `unknown option \`${arg}\`` };
    }
    if (target) return { kind: 'invalid', verb, error: `one Rollout at a time (got \`${formatTarget(target)}\` and \`${arg}\`)` };
    const parsed = parseTarget(arg);
    if (!parsed) return { kind: 'invalid', verb, error: `\`${arg}\` is not a Rollout name (\`name\` or \`namespace/name\`)` };
    target = parsed;
  }
  const command: PrCommand = { verb, full };
  if (target) command.target = target;
  return { kind: 'command', command };
}

function parseTarget(arg: string): RolloutTarget | undefined {
  const parts = arg.split('/');
  if (parts.length === 1 && NAME.test(arg)) return { name: arg };
  const [namespace = '', name = ''] = parts;
  if (parts.length === 2 && NAMESPACE.test(namespace) && NAME.test(name)) return { namespace, name };
  return undefined;
}
