/**
 * What a message's notice says about sensitive data, kept apart by what was
 * done: types removed before storage (masked or replaced) and types only
 * flagged (still shown in clear). An email's HTML part repeats its text part,
 * so each type is counted once per copy, taking the larger count.
 */
export interface RedactionLike {
  field: string;
  type: string;
  action: string;
}

export interface RedactionSummary {
  removed: Array<[type: string, count: number]>;
  flagged: Array<[type: string, count: number]>;
}

function count(redactions: readonly RedactionLike[], action: 'redact' | 'flag'): Array<[string, number]> {
  const text = new Map<string, number>();
  const html = new Map<string, number>();
  for (const r of redactions) {
    if (r.action !== action) continue;
    const into = r.field === 'html' ? html : text;
    into.set(r.type, (into.get(r.type) ?? 0) + 1);
  }
  const counts = new Map<string, number>(text);
  for (const [type, n] of html) counts.set(type, Math.max(n, counts.get(type) ?? 0));
  return [...counts];
}

export function summarizeRedactions(redactions: readonly RedactionLike[]): RedactionSummary {
  return { removed: count(redactions, 'redact'), flagged: count(redactions, 'flag') };
}
