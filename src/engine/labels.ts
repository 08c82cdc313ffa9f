// Label selectors (metav1.LabelSelector): matching and the string form used by the scale
// subresource (metav1.FormatLabelSelector).
import type { LabelSelector } from './types.ts';

export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case 'In':
        if (!has || !(r.values ?? []).includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (has && (r.values ?? []).includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * metav1.FormatLabelSelector: `app=web,tier in (a,b)`; requirements sorted by key, as
 * labels.Selector.String() prints them.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const r of selector.matchExpressions ?? []) {
    const values = [...(r.values ?? [])].sort().join(',');
    const text =
      r.operator === 'In' ? `${r.key} in (${values})`
      : r.operator === 'NotIn' ? `${r.key} notin (${values})`
      : r.operator === 'Exists' ? r.key
      : `!${r.key}`;
    reqs.push({ key: r.key, text });
  }
  if (reqs.length === 0) return '<none>';
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}
