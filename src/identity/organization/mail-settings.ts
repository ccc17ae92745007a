/**
 * The email channel as configured (environment only, decision 0093): what the
 * settings screen shows, with the relay's credentials left out, and a test
 * message sent through the same transport and DKIM signing customer replies
 * use, reported as an outcome and a fixed reason — never the relay's own
 * error text, which can echo the relay URL with its password.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Static } from 'typebox';
import type { Config } from '../../platform/config/config.js';
import { MAIL_TEST_REASONS, type MailSettings, type MailTestResult } from '../../platform/http/schemas/organization.js';
import { createMailTransport, type DkimOptions } from '../../helpdesk/mail/transport.js';
import type { MailTransport } from '../../helpdesk/mail/outbound-queue.js';
import type { OutboxKeySource } from '../../platform/notify/outbox.js';

type MailConfig = Pick<Config, 'smtpEnabled' | 'smtpHost' | 'smtpPort' | 'smtpMaxBytes' | 'smtpTlsCert' | 'smtpAuthservIds' | 'relayUrl' | 'dkimDomain' | 'dkimSelector' | 'dkimKeyFile' | 'mailFrom' | 'publicUrl' | 'dataDirPath'>;

const DEFAULT_PORTS: Record<string, number> = { 'smtp:': 587, 'smtps:': 465 };

export function mailSettings(config: MailConfig, mailboxCount: number): Static<typeof MailSettings> {
  let relay: Static<typeof MailSettings>['outbound']['relay'] = null;
  if (config.relayUrl) {
    const u = new URL(config.relayUrl);
    relay = { host: u.hostname, port: u.port ? Number(u.port) : (DEFAULT_PORTS[u.protocol] ?? 587), implicitTls: u.protocol === 'smtps:', authenticated: Boolean(u.username || u.password) };
  }
  const dkim = Boolean(config.dkimDomain && config.dkimSelector && config.dkimKeyFile);
  return {
    inbound: {
      enabled: config.smtpEnabled,
      host: config.smtpHost,
      port: config.smtpPort,
      starttls: Boolean(config.smtpTlsCert),
      maxMessageBytes: config.smtpMaxBytes,
      trustedAuthservIds: config.smtpAuthservIds.split(',').map((x) => x.trim()).filter(Boolean),
      mailboxCount,
    },
    outbound: {
      mode: relay ? 'relay' : 'outbox',
      relay,
      from: config.mailFrom,
      dkim: { enabled: dkim, domain: dkim ? (config.dkimDomain ?? null) : null, selector: dkim ? (config.dkimSelector ?? null) : null },
    },
    publicUrl: config.publicUrl,
  };
}

type Reason = (typeof MAIL_TEST_REASONS)[number];

/** Maps a nodemailer/socket error to a fixed reason and, when the relay answered, its SMTP code. */
export function classifyMailError(err: unknown): { reason: Reason; smtpCode: number | null } {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; errno?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const smtpCode = typeof e.responseCode === 'number' && Number.isInteger(e.responseCode) && e.responseCode >= 200 && e.responseCode < 600 ? e.responseCode : null;
  if (code === 'EAUTH' || smtpCode === 535 || smtpCode === 534) return { reason: 'authentication_failed', smtpCode };
  if (code === 'ETIMEDOUT' || code === 'ETIMEOUT') return { reason: 'timeout', smtpCode };
  if (code === 'ETLS' || code === 'ESTARTTLS' || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code === 'CERT_HAS_EXPIRED' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') return { reason: 'tls_failed', smtpCode };
  if (code === 'EDNS' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: 'dns_failed', smtpCode };
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || (smtpCode !== null && smtpCode >= 400)) return { reason: 'rejected', smtpCode };
  if (code === 'ECONNECTION' || code === 'ECONNREFUSED' || code === 'ESOCKET' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { reason: 'connection_failed', smtpCode };
  return { reason: 'unknown', smtpCode };
}

export interface MailTestOptions {
  /** The outbox key (Services.outboxKey): without a relay the test is sealed into the outbox. */
  outboxKey: OutboxKeySource;
  /** Seconds to wait for the relay at each step (default 15). */
  timeoutSeconds?: number;
  /** A transport to use instead of the configured one (tests). */
  transport?: MailTransport;
}

/**
 * Sends one test message to `to` through the configured relay (with DKIM
 * when configured) or into the outbox, and reports what happened.
 */
export async function sendTestMail(config: MailConfig, to: string, options: MailTestOptions): Promise<Static<typeof MailTestResult>> {
  const started = Date.now();
  const result = (outcome: 'sent' | 'written' | 'failed', failure: { reason: Reason; smtpCode: number | null } | null) => ({
    outcome, to, reason: failure?.reason ?? null, smtpCode: failure?.smtpCode ?? null, durationMs: Date.now() - started,
  });
  let transport = options.transport;
  if (!transport) {
    let dkim: DkimOptions | undefined;
    if (config.dkimDomain && config.dkimSelector && config.dkimKeyFile) {
      try {
        dkim = { domainName: config.dkimDomain, keySelector: config.dkimSelector, privateKey: readFileSync(config.dkimKeyFile, 'utf8') };
      } catch {
        return result('failed', { reason: 'dkim_key_unreadable', smtpCode: null });
      }
    }
    transport = createMailTransport({ relayUrl: config.relayUrl, outboxDir: path.join(config.dataDirPath, 'outbox'), outboxKey: options.outboxKey, dkim, timeoutSeconds: options.timeoutSeconds ?? 15 });
  }
  const host = (() => {
    try {
      return new URL(config.publicUrl).hostname || 'localhost';
    } catch {
      return 'localhost';
    }
  })();
  try {
    const { delivery } = await transport.send({
      from: config.mailFrom,
      to,
      subject: 'Trustdesk test message',
      text: `This is a test message from Trustdesk${config.publicUrl ? ` at ${config.publicUrl}` : ''}.\n\nAn administrator sent it from the email channel settings to check that outbound mail works. No action is needed.\n`,
      messageId: `<${randomUUID()}@${host}>`,
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Trustdesk-Test': '1' },
    });
    return result(delivery, null);
  } catch (err) {
    return result('failed', classifyMailError(err));
  } finally {
    if (!options.transport) transport.close?.();
  }
}
