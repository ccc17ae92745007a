/**
 * The data files under ./data, loaded once. Lists are plain text so administrators can read
 * and extend them; a deployment passes its own Lexicon in the AnalysisContext.
 */
import { readFileSync } from 'node:fs';
import type { Lexicon } from './types.js';
import { projectPath } from '../../platform/paths.js';

function readData(name: string): string {
  return readFileSync(projectPath('src', 'threats', 'phishing', 'data', name), 'utf8');
}

/** Lines of a list file without comments and blanks, trimmed. */
export function parseListText(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line) out.push(line);
  }
  return out;
}

export interface BrandEntry {
  names: string[];
  /** Registrable domains the brand mails from; empty means "only the organisation itself". */
  domains: string[];
}

export interface Lists {
  freeMail: ReadonlySet<string>;
  shorteners: ReadonlySet<string>;
  abusedHosting: ReadonlySet<string>;
  riskyTlds: ReadonlySet<string>;
  /** Open-redirect endpoints, "host/path-prefix" (redirectors.txt). */
  redirectors: readonly string[];
  /** Department and function words for display names (role-words.txt). */
  roleWords: readonly string[];
  brands: BrandEntry[];
  confusables: ReadonlyMap<string, string>;
  lexicon: Lexicon;
}

function lowerSet(name: string): Set<string> {
  return new Set(parseListText(readData(name)).map((s) => s.toLowerCase()));
}

export function parseBrands(text: string): BrandEntry[] {
  return parseListText(text).map((line) => {
    const [names = '', domains = ''] = line.split('|');
    const split = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
    return { names: split(names), domains: split(domains.toLowerCase()) };
  });
}

let cached: Lists | undefined;

export function loadLists(): Lists {
  if (cached) return cached;
  const conf = JSON.parse(readData('confusables.json')) as Record<string, string>;
  cached = {
    freeMail: lowerSet('free-mail.txt'),
    shorteners: lowerSet('shorteners.txt'),
    abusedHosting: lowerSet('abused-hosting.txt'),
    riskyTlds: lowerSet('risky-tlds.txt'),
    redirectors: [...lowerSet('redirectors.txt')],
    roleWords: [...lowerSet('role-words.txt')],
    brands: parseBrands(readData('brands.txt')),
    confusables: new Map(Object.entries(conf)),
    lexicon: {
      credentials: parseListText(readData('phrases-credentials.txt')),
      urgency: parseListText(readData('phrases-urgency.txt')),
      payment: parseListText(readData('phrases-payment.txt')),
      giftCards: parseListText(readData('phrases-giftcards.txt')),
      bypass: parseListText(readData('phrases-bypass.txt')),
      genericGreeting: parseListText(readData('phrases-greeting.txt')),
      scamOffers: parseListText(readData('phrases-scam.txt')),
    },
  };
  return cached;
}

/** The shipped word lists plus an administrator's additions. */
export function extendLexicon(extra: Partial<Lexicon>, base: Lexicon = loadLists().lexicon): Lexicon {
  const merge = (a: string[], b: string[] | undefined) => (b ? [...new Set([...a, ...b])] : a);
  return {
    credentials: merge(base.credentials, extra.credentials),
    urgency: merge(base.urgency, extra.urgency),
    payment: merge(base.payment, extra.payment),
    giftCards: merge(base.giftCards, extra.giftCards),
    bypass: merge(base.bypass, extra.bypass),
    genericGreeting: merge(base.genericGreeting, extra.genericGreeting),
    scamOffers: merge(base.scamOffers, extra.scamOffers),
  };
}
