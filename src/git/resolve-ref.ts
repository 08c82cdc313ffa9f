// Picks the commit a ref spec names from the server's ref advertisement. Pure.
import semver from 'semver';
import type { RefSpec } from '../config/config-types.ts';
import type { ResolvedRevision } from '../ports/git-source.ts';

export interface ServerRef {
  ref: string;
  oid: string;
  /** For annotated tags: the commit the tag object points at. */
  peeled?: string | undefined;
}

export function resolveRef(spec: RefSpec, refs: ServerRef[]): ResolvedRevision {
  const find = (name: string) => refs.find((r) => r.ref === name);
  const commitOf = (r: ServerRef) => r.peeled ?? r.oid;
  if ('head' in spec) {
    const head = find('HEAD');
    if (!head) throw new Error('the remote advertises no HEAD; set ref.branch');
    return { sha: head.oid, ref: 'HEAD' };
  }
  if ('commit' in spec && spec.commit) {
    return { sha: spec.commit, ref: spec.branch ? `refs/heads/${spec.branch}` : 'HEAD' };
  }
  if ('branch' in spec) {
    const r = find(`refs/heads/${spec.branch}`);
    if (!r) throw new Error(`branch "${spec.branch}" does not exist on the remote`);
    return { sha: r.oid, ref: r.ref };
  }
  if ('tag' in spec) {
    const r = find(`refs/tags/${spec.tag}`);
    if (!r) throw new Error(`tag "${spec.tag}" does not exist on the remote`);
    return { sha: commitOf(r), ref: r.ref };
  }
  if (!('semver' in spec)) throw new Error('a ref needs a branch, tag, semver range or commit');
  const range = spec.semver;
  const candidates = refs
    .filter((r) => r.ref.startsWith('refs/tags/') && !r.ref.endsWith('^{}'))
    .map((r) => ({ r, version: semver.clean(r.ref.slice('refs/tags/'.length), { loose: true }) }))
    .filter((c): c is { r: ServerRef; version: string } => c.version !== null && semver.satisfies(c.version, range));
  if (!candidates.length) throw new Error(`no tag matches the semver range "${range}"`);
  candidates.sort((a, b) => semver.rcompare(a.version, b.version));
  const best = candidates[0] as { r: ServerRef };
  return { sha: commitOf(best.r), ref: best.r.ref };
}
