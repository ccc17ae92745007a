/**
 * The named, replaceable stages of the ingest pipeline. Defaults: threat
 * analysis by src/phishing (sender authentication from a trusted upstream's
 * Authentication-Results, or checked live when a resolver is given), the
 * sensitive-data scan by src/dlp, and a notifier that only logs ids. Given a
 * database, the analyzer also gets the organisation's context (staff, allow
 * and block lists, known sender domains) and the notifier mails security
 * officers about quarantined threats (src/phishing-reports).
 */
import type { DNSResolver } from 'mailauth';
import type { Db } from '../db/database.js';
import type { Logger } from '../logging.js';
import type { Mailer } from '../notify/mailer.js';
import { createOrgContextLoader, rememberSenderDomain, type OrgContextLoader } from '../phishing-reports/org-context.js';
import { createSecurityNotifier } from '../phishing-reports/notify.js';
import { analyzeMessage, authFromHeaders, checkAuthentication, type Analysis, type AuthResults, type ParsedMessage } from '../phishing/index.js';
import { scanSensitiveData, type SensitiveDataScanner } from './scan.js';

export interface ThreatInput {
  parsed: ParsedMessage;
  raw: Buffer;
  orgId: string;
  orgName: string;
  /** Domains of the organisation's mailboxes. */
  orgDomains: string[];
  envelope: { mailFrom: string; remoteAddress?: string | undefined; helo?: string | undefined };
}

export type ThreatAnalyzer = (input: ThreatInput) => Promise<Analysis | null>;

export interface IngestEvent {
  type: 'ticket.created' | 'message.received' | 'message.quarantined';
  orgId: string;
  ticketId?: string;
  messageId?: string;
  quarantineId?: string;
  autoSubmitted?: boolean;
}

export type Notifier = (event: IngestEvent) => void | Promise<void>;

export interface IngestHooks {
  analyzeThreats: ThreatAnalyzer;
  scanSensitiveData: SensitiveDataScanner;
  notify: Notifier;
}

export interface DefaultHookOptions {
  trustedAuthservIds?: string[];
  /** Check SPF/DKIM/DMARC/ARC live with this resolver (the SMTP server's own view of the connection). */
  resolver?: DNSResolver;
  logger?: Logger;
  /** The organisation's context is loaded from here for every message (none without it). */
  db?: Db;
  /** Replaces the loader built from `db` (tests). */
  loadOrgContext?: OrgContextLoader;
  /** With `db`: quarantined threats are mailed to security officers. */
  mailer?: Mailer;
  publicUrl?: string;
}

export function createThreatAnalyzer(options: DefaultHookOptions = {}): ThreatAnalyzer {
  const trusted = options.trustedAuthservIds ?? [];
  const loadOrgContext = options.loadOrgContext ?? (options.db ? createOrgContextLoader({ db: options.db }) : undefined);
  const db = options.db;
  return async (input) => {
    let auth: AuthResults | undefined = authFromHeaders(input.parsed.headers, trusted);
    if (!auth && options.resolver && input.envelope.remoteAddress) {
      auth = await checkAuthentication({
        raw: input.raw,
        ip: input.envelope.remoteAddress,
        helo: input.envelope.helo ?? '',
        mailFrom: input.envelope.mailFrom,
        resolver: options.resolver,
      }).catch(() => undefined);
    }
    const senderAddress = input.parsed.from?.address ?? '';
    const org = loadOrgContext ? await loadOrgContext({ orgId: input.orgId, senderAddress }) : undefined;
    const analysis = analyzeMessage(input.parsed, {
      orgDomains: input.orgDomains,
      staff: org?.staff ?? [],
      brandNames: [input.orgName],
      knownCustomerDomains: [],
      partnerDomains: [],
      allowList: org?.allowList ?? [],
      blockList: org?.blockList ?? [],
      ...(org ? { knownSenderDomains: org.knownSenderDomains } : {}),
      trustedAuthservIds: trusted,
      ...(auth ? { auth } : {}),
    });
    if (db && senderAddress && analysis.verdict === 'clean') {
      // Only clean mail makes a domain "known"; a failure here must not lose the message.
      await rememberSenderDomain(db, { orgId: input.orgId, senderAddress }).catch((err: unknown) => options.logger?.warn({ err }, 'could not remember sender domain'));
    }
    return analysis;
  };
}

export function createDefaultHooks(options: DefaultHookOptions = {}): IngestHooks {
  const logger = options.logger;
  return {
    analyzeThreats: createThreatAnalyzer(options),
    scanSensitiveData,
    notify:
      options.db && options.mailer
        ? createSecurityNotifier({ db: options.db, mailer: options.mailer, logger, publicUrl: options.publicUrl })
        : (event) => logger?.debug({ event: event.type, ticketId: event.ticketId, messageId: event.messageId }, 'ingest event'),
  };
}
