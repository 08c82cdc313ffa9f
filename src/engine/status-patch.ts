// The JSON merge patch that turns the old status into the new one (what Argo's
// CreateTwoWayMergePatch sends): changed keys set, removed keys null, lists replaced whole.
import type { RolloutStatus } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function diff(oldV: Obj, newV: Obj): Obj {
  const patch: Obj = {};
  for (const k of Object.keys(oldV)) if (!(k in newV)) patch[k] = null;
  for (const [k, v] of Object.entries(newV)) {
    const o = oldV[k];
    if (isObj(o) && isObj(v)) {
      const sub = diff(o, v);
      if (Object.keys(sub).length) patch[k] = sub;
    } else if (JSON.stringify(o) !== JSON.stringify(v)) patch[k] = v;
  }
  return patch;
}

/** `{}` when nothing changed: the shell then skips the write. */
export function statusMergePatch(oldStatus: RolloutStatus | undefined, newStatus: RolloutStatus): { status?: Obj } {
  const d = diff((oldStatus ?? {}) as Obj, newStatus as Obj);
  return Object.keys(d).length ? { status: d } : {};
}
