/**
 * The named, replaceable stages of the ingest pipeline. Defaults: threat
 * analysis by src/threats/phishing (sender authentication from a trusted upstream's
 * Authentication-Results, or checked live when a resolver is given), the
 * sensitive-data scan by src/protection/dlp, and a notifier that only logs ids. Given a
 * database, the analyzer also gets the organisation's context (staff, allow
 * and block lists, known sender domains) and the notifier mails security
 * officers about quarantined threats (src/threats/phishing-reports); the analyzer
 * also reads the organisation's learned model (src/threats/phishing-learning).
 */
import type { DNSResolver } from 'mailauth';
import type { Db } from '../../platform/db/database.js';
import type { Keyring } from '../../protection/crypto/keyring.js';
import type { Logger } from '../../platform/logging.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import { createOrgContextLoader, rememberSenderDomain, type OrgContextLoader } from '../../threats/phishing-reports/org-context.js';
import { createSecurityNotifier } from '../../threats/phishing-reports/notify.js';
import { createLearnedLoader, type LearnedLoader } from '../../threats/phishing-learning/store.js';
import { analyzeMessage, authFromHeaders, checkAuthentication, type Analysis, type AuthResults, type ParsedMessage } from '../../threats/phishing/index.js';
import { scanSensitiveData, type SensitiveDataScanner } from './scan.js';
import type { IngestEvent, Notifier } from './events.js';

export type { IngestEvent, Notifier };

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

export interface IngestHooks {
  analyzeThreats: ThreatAnalyzer;
  scanSensitiveData: SensitiveDataScanner;
  notify: Notifier;
}

/** The organisation's context needs the database and the keyring (list values and known domains are keyed hashes). */
type OrgStore = { db: Db; keyring: Keyring } | { db?: undefined; keyring?: undefined };

export type DefaultHookOptions = OrgStore & DefaultHookSettings;

interface DefaultHookSettings {
  trustedAuthservIds?: string[];
  /** Check SPF/DKIM/DMARC/ARC live with this resolver (the SMTP server's own view of the connection). */
  resolver?: DNSResolver;
  logger?: Logger;
  /** Replaces the loader built from `db` (tests). */
  loadOrgContext?: OrgContextLoader;
  /** Replaces the learned-model loader built from `db` (tests). */
  loadLearned?: LearnedLoader;
  /** With `db`: quarantined threats are mailed to security officers. */
  mailer?: Mailer;
  publicUrl?: string;
}

export function createThreatAnalyzer(options: DefaultHookOptions = {}): ThreatAnalyzer {
  const trusted = options.trustedAuthservIds ?? [];
  const loadOrgContext = options.loadOrgContext ?? (options.db ? createOrgContextLoader({ db: options.db, keyring: options.keyring }) : undefined);
  const store = options.db ? { db: options.db, keyring: options.keyring } : undefined;
  const loadLearned = options.loadLearned ?? (options.db ? createLearnedLoader({ db: options.db, keyring: options.keyring, logger: options.logger }) : undefined);
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
    const org = loadOrgContext ? await loadOrgContext({ orgId: input.orgId, senderAddress, replyToAddresses: input.parsed.replyTo.map((r) => r.address) }) : undefined;
    // The organisation's learned model (decision 0174); a model that cannot be loaded never holds up the mail.
    const learned = loadLearned
      ? await loadLearned(input.orgId).catch((err: unknown) => {
          options.logger?.warn({ err, orgId: input.orgId }, 'learned phishing model not loaded; scoring without it');
          return null;
        })
      : null;
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
      ...(learned ? { learned } : {}),
    });
    if (store && senderAddress && analysis.verdict === 'clean') {
      // Only clean mail makes a domain "known"; a failure here must not lose the message.
      await rememberSenderDomain(store.db, store.keyring, { orgId: input.orgId, senderAddress }).catch((err: unknown) => options.logger?.warn({ err }, 'could not remember sender domain'));
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
