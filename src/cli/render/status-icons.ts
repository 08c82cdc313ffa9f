// The icons and colours kubectl-argo-rollouts uses for statuses and ReplicaSet tags
// (pkg/kubectl-argo-rollouts/info/info.go, cmd/get/get.go), so `get rollout` reads the same.
export const ICON = {
  waiting: '◷',
  progressing: '◌',
  warning: '⚠',
  unknown: '?',
  ok: '✔',
  bad: '✖',
  paused: '॥',
  neutral: '•',
} as const;

// Argo has no row for a metric; ◇ is ours.
export const TREE_ICON = { rollout: '⟳', revision: '#', replicaSet: '⧉', pod: '□', analysisRun: 'α', metric: '◇' } as const;

const RED = '31';
const GREEN = '32';
const YELLOW = '33';
const HI_BLUE = '94';

const COLOURS: Record<string, string> = {
  [ICON.waiting]: YELLOW,
  [ICON.progressing]: HI_BLUE,
  [ICON.warning]: RED,
  [ICON.unknown]: YELLOW,
  [ICON.ok]: GREEN,
  [ICON.bad]: RED,
  canary: YELLOW,
  stable: GREEN,
  active: GREEN,
  preview: HI_BLUE,
};

/** `text` in the colour kubectl-argo-rollouts gives `key` (an icon or a tag), when colour is on. */
export function paint(text: string, key: string, color: boolean): string {
  const code = COLOURS[key];
  return color && code ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export function rolloutIcon(phase: string): string {
  switch (phase) {
    case 'Progressing': return ICON.progressing;
    case 'Paused': return ICON.paused;
    case 'Healthy': return ICON.ok;
    case 'Degraded': return ICON.bad;
    case 'InvalidSpec': case 'Error': return ICON.warning;
    case 'ScaledDown': return ICON.neutral;
    default: return ICON.unknown;
  }
}

export function replicaSetIcon(status: string): string {
  switch (status) {
    case 'Progressing': return ICON.progressing;
    case 'Healthy': return ICON.ok;
    case 'ReplicaFailure': return ICON.bad;
    case 'ScaledDown': return ICON.neutral;
    default: return ' ';
  }
}

export function podIcon(status: string): string {
  if (status.startsWith('Init:')) return ICON.progressing;
  if (status.startsWith('Signal:') || status.startsWith('ExitCode:')) return ICON.bad;
  // Image pull and runtime errors: ErrImagePull, CreateContainerConfigError, …
  if (status.endsWith('Error') || status.startsWith('Err')) return ICON.warning;
  switch (status) {
    case 'Pending': case 'Terminating': case 'ContainerCreating': return ICON.progressing;
    case 'Running': case 'Completed': return ICON.ok;
    case 'Failed': case 'InvalidImageName': case 'CrashLoopBackOff': return ICON.bad;
    case 'ImagePullBackOff': case 'RegistryUnavailable': return ICON.warning;
    case 'Unknown': return ICON.unknown;
    default: return ' ';
  }
}

export function analysisRunIcon(phase: string): string {
  switch (phase) {
    case 'Successful': return ICON.ok;
    case 'Failed': return ICON.bad;
    case 'Error': return ICON.warning;
    case 'Running': return ICON.progressing;
    case 'Pending': return ICON.waiting;
    case 'Inconclusive': return ICON.unknown;
    default: return ' ';
  }
}
