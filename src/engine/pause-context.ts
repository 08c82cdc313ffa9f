// What this reconcile wants done to the pause and abort state (Argo rollout/pause.go
// pauseContext), applied to the new status at the end (CalculatePauseStatus).
import type { PauseCondition, PauseReason, RolloutStatus } from './types.ts';

export class PauseContext {
  readonly addReasons: PauseReason[] = [];
  readonly removeReasons: PauseReason[] = [];
  clearConditions = false;
  addAbortFlag = false;
  removeAbortFlag = false;
  abortMessage = '';
  private readonly prev: RolloutStatus;

  constructor(prev: RolloutStatus) {
    this.prev = prev;
  }

  hasAddPause(): boolean {
    return this.addReasons.length > 0;
  }
  isAborted(): boolean {
    if (this.removeAbortFlag) return false;
    return this.addAbortFlag || this.prev.abort === true;
  }
  addAbort(message: string): void {
    this.addAbortFlag = true;
    this.abortMessage = message;
  }
  removeAbort(): void {
    this.removeAbortFlag = true;
  }
  addPause(reason: PauseReason): void {
    this.addReasons.push(reason);
  }
  removePause(reason: PauseReason): void {
    this.removeReasons.push(reason);
  }
  clear(): void {
    this.clearConditions = true;
  }

  /** CalculatePauseStatus: abort/abortedAt, then pauseConditions and controllerPause. */
  apply(status: RolloutStatus, now: string): void {
    if (this.addAbortFlag || (!this.removeAbortFlag && this.prev.abort)) {
      status.abort = true;
      status.abortedAt = this.prev.abortedAt ?? now; // keep the first abort time, or we would loop
      return;
    }
    delete status.abort;
    delete status.abortedAt;
    if (this.clearConditions) return;
    let controllerPause = this.prev.controllerPause === true;
    const remove = new Set(this.removeReasons);
    const next: PauseCondition[] = [];
    const existing = new Set<PauseReason>();
    for (const c of this.prev.pauseConditions ?? []) {
      if (!remove.has(c.reason)) next.push(c);
      existing.add(c.reason);
    }
    for (const reason of this.addReasons) {
      if (existing.has(reason)) continue;
      existing.add(reason);
      next.push({ reason, startTime: now });
      controllerPause = true;
    }
    if (next.length === 0) return;
    if (controllerPause) status.controllerPause = true;
    status.pauseConditions = next;
  }
}

export function getPauseCondition(status: RolloutStatus, reason: PauseReason): PauseCondition | undefined {
  return status.pauseConditions?.find((c) => c.reason === reason);
}
