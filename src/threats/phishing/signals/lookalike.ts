/** Lookalike detection of a domain against the domains the organisation cares about. */
import { editDistance, isMixedScript, publicSuffix, registrableDomain, skeleton, unicodeHost } from '../domains.js';

export interface ProtectedDomain {
  /** Registrable domain, e.g. "example-shop.com". */
  domain: string;
  /** Who it belongs to, for the evidence: "your organisation", "customer", "PayPal". */
  owner: string;
  /** Well-known brands are checked a little more cautiously than the organisation's own. */
  kind: 'org' | 'customer' | 'partner' | 'brand';
  /**
   * A name rather than a domain (the organisation's own name, when its mail domains do not carry it):
   * `domain` holds the name as written, and only look-alike characters and near-spellings count, never
   * the same name under another suffix (that may well be the organisation's own website).
   */
  name?: string;
}

export interface LookalikeHit {
  target: ProtectedDomain;
  how: 'confusable' | 'edit_distance' | 'other_suffix' | 'contains';
}

function labelOf(domain: string): string {
  const suffix = publicSuffix(domain);
  return suffix && domain.endsWith(`.${suffix}`) ? domain.slice(0, -suffix.length - 1) : domain;
}

export interface ProtectedIndex {
  list: ProtectedDomain[];
  exact: Set<string>;
  entries: Array<{ p: ProtectedDomain; label: string; skel: string }>;
}

export function buildProtectedIndex(list: ProtectedDomain[]): ProtectedIndex {
  const exact = new Set(list.map((p) => p.domain));
  const entries = list.map((p) => {
    const label = p.name ?? labelOf(p.domain);
    return { p, label, skel: skeleton(label) };
  });
  return { list, exact, entries };
}

/** The first protected domain that `host` imitates without being it; null when none. */
export function findLookalike(host: string, index: ProtectedIndex): LookalikeHit | null {
  const uni = unicodeHost(host.toLowerCase());
  const reg = registrableDomain(uni);
  if (!reg || index.exact.has(reg) || index.exact.has(registrableDomain(host))) return null;
  const label = labelOf(reg);
  const skel = skeleton(label);
  // Strongest first, so the evidence names the most telling relation.
  for (const e of index.entries) {
    if (skel === e.skel && label !== e.label) return { target: e.p, how: 'confusable' };
  }
  // Brands own many suffixes and names (yahoo.co.uk, yahoogroups.com) that no list keeps up
  // with, so for brands only the confusable and near-spelling tests are trustworthy.
  for (const e of index.entries) {
    if (e.p.kind !== 'brand' && !e.p.name && label === e.label && reg !== e.p.domain) return { target: e.p, how: 'other_suffix' };
  }
  for (const e of index.entries) {
    const len = e.label.length;
    const max = len >= 9 ? 2 : len >= (e.p.kind === 'brand' ? 6 : 5) ? 1 : 0;
    if (max > 0 && skel !== e.skel && editDistance(skel, e.skel, max) <= max) return { target: e.p, how: 'edit_distance' };
  }
  for (const e of index.entries) {
    if (e.label.length < 5 || e.p.kind === 'brand' || e.p.name) continue;
    // "example-shop" inside "example-shop-billing.com" or "login.example-shop.com.evil.net".
    if (skel.includes(e.skel) || uni.includes(`${e.p.domain}.`) || uni.includes(`${e.p.domain}-`)) {
      return { target: e.p, how: 'contains' };
    }
  }
  return null;
}

export function describeLookalike(host: string, hit: LookalikeHit): string {
  const how = {
    confusable: 'uses look-alike characters for',
    edit_distance: 'is a near-spelling of',
    other_suffix: 'has the same name as',
    contains: 'borrows the name of',
  }[hit.how];
  return `${host} ${how} ${hit.target.domain} (${hit.target.owner})`;
}

export function lookalikeWeight(hit: LookalikeHit): number {
  const own = hit.target.kind !== 'brand';
  switch (hit.how) {
    case 'confusable':
      return 0.75;
    case 'edit_distance':
      return own ? 0.65 : 0.5;
    case 'other_suffix':
      return own ? 0.55 : 0.35;
    case 'contains':
      return own ? 0.5 : 0.3;
  }
}

export function hostScriptReasons(host: string, where: string): Array<{ code: string; weight: number; evidence: string }> {
  const out: Array<{ code: string; weight: number; evidence: string }> = [];
  if (!host.includes('xn--') && !/[^\x00-\x7f]/.test(host)) return out;
  const uni = unicodeHost(host);
  const mixed = uni.split('.').some(isMixedScript);
  if (mixed) out.push({ code: `${where}.mixed_script`, weight: 0.55, evidence: `${host} (${uni}) mixes alphabets in one name` });
  else {
    // Accented Latin letters ("müller", "café") are how European names are spelt; a look-alike of a
    // protected name is caught by its skeleton above. Other scripts keep the full weight: a name written
    // wholly in Cyrillic or Greek letters can spell a Latin one ("аррӏе").
    const latin = uni.split('.').every((l) => /^[\p{Script=Latin}\p{N}-]*$/u.test(l));
    // Nor can a name none of whose letters imitates a Latin one (Japanese, Chinese, Korean, Arabic,
    // Hebrew, Thai…: the skeleton keeps no Latin letter) spell a Latin name (decision 0188).
    const unlike = !latin && uni.split('.').every((l) => /^[\x00-\x7f]*$/.test(l) || !/[a-z]/.test(skeleton(l)));
    out.push({ code: `${where}.punycode`, weight: latin || unlike ? 0.1 : 0.3, evidence: `${host} is an internationalised name shown as ${uni}` });
  }
  return out;
}
