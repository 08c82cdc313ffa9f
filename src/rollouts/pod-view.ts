// One pod as `get rollout` shows it: kubectl's STATUS column (the reason of the first container
// that is not running), ready containers and restarts (kubectl-argo-rollouts info/pod_info.go,
// after kubectl's printPod). Pure.
import type { ContainerStatus, PodObject, PodView } from '../ports/rollout-commands.ts';

export function podView(pod: PodObject): PodView {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const sidecars = new Set((spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const initCount = spec.initContainers?.length ?? 0;
  let reason = status.reason || status.phase || 'Pending';
  let restarts = 0;
  let initializing = false;

  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] as ContainerStatus;
    restarts += c.restartCount ?? 0;
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (terminated) {
      reason = terminated.reason ? `Init:${terminated.reason}` : terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode ?? 0}`;
    } else if (sidecars.has(c.name) && c.started) {
      // A started sidecar (restartPolicy Always) does not hold up initialisation; kubectl stops
      // looking at init containers at one that is not ready yet.
      if (c.ready) continue;
      break;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }

  let readyContainers = 0;
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Last to first, so the first container's reason wins, as in kubectl.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] as ContainerStatus;
      restarts += c.restartCount ?? 0;
      const { waiting, terminated, running } = c.state ?? {};
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (c.ready && running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }

  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';

  const view: PodView = { name: pod.metadata.name, status: reason, ready: `${readyContainers}/${spec.containers?.length ?? 0}`, restarts };
  if (pod.metadata.creationTimestamp) view.createdAt = pod.metadata.creationTimestamp;
  return view;
}
