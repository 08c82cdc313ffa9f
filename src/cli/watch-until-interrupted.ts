// The loop behind `get rollout --watch` and `status`: run a step now and then every interval until
// it reports done or Ctrl-C (SIGINT/SIGTERM) arrives, so the command ends cleanly either way.
export async function watchUntilInterrupted(intervalMs: number, step: () => Promise<boolean>, nextDelayMs?: () => number): Promise<boolean> {
  let interrupted = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    interrupted = true;
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    while (!interrupted) {
      if (await step()) return true;
      if (interrupted) break;
      const delay = Math.max(0, nextDelayMs?.() ?? intervalMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return false;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
