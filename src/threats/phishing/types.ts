/** Plain data shared by the phishing engine, its parser and its callers. */
import type { LearnedModel } from './learning/model.js';

/** Case-insensitive header multimap: keys are lower-case names, values in message order. */
export type HeaderMap = ReadonlyMap<string, readonly string[]>;

export interface ParsedAddress {
  /** Display name as decoded, '' when absent. */
  name: string;
  /** Lower-cased address, '' when the header had no usable address. */
  address: string;
}

export interface ParsedAttachment {
  filename: string;
  contentType: string;
  size: number;
  /** Kept only up to the parser's limit; archives are listed from it. */
  content?: Buffer;
}

export interface ParsedMessage {
  from: ParsedAddress | null;
  replyTo: ParsedAddress[];
  subject: string;
  text: string;
  html: string;
  /** True when the message had no text part (or an empty one) and `text` was derived from `html`. */
  textFromHtml?: boolean;
  headers: HeaderMap;
  attachments: ParsedAttachment[];
  /** True when the parser hit a limit or failed; the message is still analysed. */
  truncated?: boolean;
}

export type AuthVerdict =
  | 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy';

export interface AuthResults {
  /** Where the verdicts came from: checked by us, or read from a trusted upstream header. */
  source: 'live' | 'header';
  spf?: AuthVerdict;
  spfDomain?: string;
  dkim?: AuthVerdict;
  /** Domains of DKIM signatures that passed. */
  dkimDomains?: string[];
  dmarc?: AuthVerdict;
  arc?: AuthVerdict;
  /** authserv-id of the header the results came from (source 'header'). */
  authservId?: string;
}

export interface StaffMember {
  name: string;
  email: string;
  executive?: boolean;
}

/** Word lists an administrator can extend; each entry is a phrase matched as whole words. */
export interface Lexicon {
  credentials: string[];
  urgency: string[];
  payment: string[];
  giftCards: string[];
  bypass: string[];
  genericGreeting: string[];
  scamOffers: string[];
}

export interface AnalysisContext {
  orgDomains: string[];
  staff: StaffMember[];
  brandNames: string[];
  knownCustomerDomains: string[];
  partnerDomains: string[];
  /** Domains seen before; when given, a domain not in it earns a "first contact" reason. */
  knownSenderDomains?: ReadonlySet<string>;
  /** Domains or addresses. */
  allowList: string[];
  blockList: string[];
  auth?: AuthResults;
  trustedAuthservIds?: string[];
  /** Replaces the shipped word lists (use extendLexicon to add to them). */
  lexicon?: Lexicon;
  /** The organisation's model learned from its people's labels (decision 0173). */
  learned?: LearnedContext;
}

/** An organisation's learned model and how a token becomes the key it is stored under (a keyed hash in the product). */
export interface LearnedContext {
  model: LearnedModel;
  key(token: string): string;
}

export interface Reason {
  code: string;
  /** 0..1: how much this reason alone says the message is phishing. */
  weight: number;
  /** What a person can check, e.g. "link text shows paypal.com but goes to 185.2.3.4". */
  evidence: string;
}

export type Verdict = 'clean' | 'suspicious' | 'phishing';

export interface Analysis {
  score: number;
  verdict: Verdict;
  reasons: Reason[];
  /** The message's learning tokens (decision 0173), when a learned model or the caller asked for them. */
  tokens?: string[];
}
