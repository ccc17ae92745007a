/**
 * The named, replaceable stages of the ingest pipeline. Defaults: threat
 * analysis by src/phishing (sender authentication from a trusted upstream's
 * Authentication-Results, or checked live when a resolver is given), the
 * sensitive-data scan by src/dlp, and a notifier that only logs ids.
 */
import type { DNSResolver } from 'mailauth';
import type { Logger } from '../logging.js';
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
}

export function createThreatAnalyzer(options: DefaultHookOptions = {}): ThreatAnalyzer {
  const trusted = options.trustedAuthservIds ?? [];
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
    return analyzeMessage(input.parsed, {
      orgDomains: input.orgDomains,
      staff: [],
      brandNames: [input.orgName],
      knownCustomerDomains: [],
      partnerDomains: [],
      allowList: [],
      blockList: [],
      trustedAuthservIds: trusted,
      ...(auth ? { auth } : {}),
    });
  };
}

export function createDefaultHooks(options: DefaultHookOptions = {}): IngestHooks {
  const logger = options.logger;
  return {
    analyzeThreats: createThreatAnalyzer(options),
    scanSensitiveData,
    notify: (event) => logger?.debug({ event: event.type, ticketId: event.ticketId, messageId: event.messageId }, 'ingest event'),
  };
}
