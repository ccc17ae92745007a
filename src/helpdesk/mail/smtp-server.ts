/**
 * The inbound SMTP server. Recipients are checked against mailboxes at RCPT
 * time (unknown → 550, so nothing is accepted that cannot be routed); the
 * message is answered 250 only after the ingest pipeline has stored it, and a
 * failure answers 451 so the sending server retries. STARTTLS is offered when a
 * certificate is configured. A suspended organisation's mailbox answers
 * 450 4.2.1 at RCPT time (the sender retries; decision 0202). No AUTH: this is a receiving MX, not a relay.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { BlobStore } from '../../protection/blobs/store.js';
import type { IngestHooks } from '../ingest/hooks.js';
import { ingestInboundEmail, type IngestOutcome } from '../ingest/pipeline.js';
import type { HelpdeskDeps } from '../tickets/context.js';
import { smtpMessages, smtpSessions } from '../../platform/metrics/metrics.js';
import { inSpan, SpanKind } from '../../platform/tracing/tracing.js';
import { recipientSuspended, resolveMailboxes } from './mailboxes.js';
import { inboundOpen, isLimitReached } from '../../identity/organizations/limits.js';

export interface InboundSmtpOptions {
  deps: HelpdeskDeps;
  hooks: IngestHooks;
  blobs: BlobStore;
  maxBytes: number;
  maxAttachmentBytes?: number;
  tlsCertPath?: string | undefined;
  tlsKeyPath?: string | undefined;
  /** Name announced in the greeting. */
  hostname?: string;
  maxRecipients?: number;
  onIngested?: (outcomes: IngestOutcome[]) => void;
}

export interface InboundSmtpServer {
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function createInboundSmtpServer(options: InboundSmtpOptions): InboundSmtpServer {
  const { deps } = options;
  const tls = options.tlsCertPath && options.tlsKeyPath ? { cert: readFileSync(options.tlsCertPath), key: readFileSync(options.tlsKeyPath) } : null;
  const maxRecipients = options.maxRecipients ?? 50;
  const serverOptions: SMTPServerOptions = {
    name: options.hostname ?? 'trustdesk',
    banner: 'Trustdesk ESMTP',
    size: options.maxBytes,
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tls ? { key: tls.key, cert: tls.cert, secure: false } : {}),
    logger: false,
    // RFC 3463 codes: "451 4.3.0" tells the sending server the failure is ours and temporary.
    hideENHANCEDSTATUSCODES: false,
    maxClients: 200,
    socketTimeout: 60_000,
    closeTimeout: 10_000,
    onConnect(_session, callback) {
      smtpSessions.inc();
      callback();
    },
    onRcptTo(address, session, callback) {
      if (session.envelope.rcptTo.length >= maxRecipients) {
        smtpMessages.inc({ outcome: 'refused_recipient' });
        return callback(new SmtpReply(452, 'Too many recipients'));
      }
      resolveMailboxes(deps.db, [address.address])
        .then(async (routes) => {
          if (routes.length) {
            // An organisation past its inbound messages for today (UTC): temporary, the sender retries (decision 0235).
            for (const r of routes) {
              const today = await inboundOpen(deps.db, r.orgId);
              if (!today.open) {
                smtpMessages.inc({ outcome: 'refused_limit' });
                return callback(new SmtpReply(450, `Mailbox not accepting messages: the organisation has taken its ${today.max} messages for today (UTC), try again later`));
              }
            }
            return callback();
          }
          smtpMessages.inc({ outcome: 'refused_recipient' });
          // A suspended organisation's mailbox: temporary, so the sending server keeps the message and retries
          // (and bounces it to the sender only after its own retry period, commonly days) — decision 0202.
          if (await recipientSuspended(deps.db, address.address)) return callback(new SmtpReply(450, 'Mailbox disabled: the organisation is suspended, try again later'));
          callback(new SmtpReply(550, 'No such mailbox here'));
        })
        .catch((err: unknown) => {
          deps.logger.error({ err }, 'mailbox lookup failed');
          smtpMessages.inc({ outcome: 'failed_temporary' });
          callback(new SmtpReply(451, 'Temporary failure, try again later'));
        });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= options.maxBytes) chunks.push(c);
      });
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if (stream.sizeExceeded || size > options.maxBytes) {
          smtpMessages.inc({ outcome: 'refused_size' });
          return callback(new SmtpReply(552, `Message exceeds the ${options.maxBytes}-byte limit`));
        }
        const raw = Buffer.concat(chunks, size);
        const rcptTo = session.envelope.rcptTo.map((r) => r.address);
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        // One server span per message (src/platform/tracing): the ingest stages and their statements are its children.
        inSpan(
          'smtp receive',
          {},
          (span) =>
            resolveMailboxes(deps.db, rcptTo)
              .then((routes) =>
                ingestInboundEmail(deps, { hooks: options.hooks, blobs: options.blobs, maxAttachmentBytes: options.maxAttachmentBytes ?? options.maxBytes }, { raw, mailFrom, rcptTo, remoteAddress: session.remoteAddress, helo: session.hostNameAppearsAs }, routes),
              )
              .then((outcomes) => (span?.setAttribute('trustdesk.outcome', 'stored'), outcomes)),
          SpanKind.SERVER,
        )
          .then((outcomes) => {
            options.onIngested?.(outcomes);
            // Stored (as a ticket message or in quarantine): only now do we take responsibility.
            smtpMessages.inc({ outcome: 'stored' });
            callback(null, 'Message stored');
          })
          .catch((err: unknown) => {
            // A limit reached between RCPT and the end of DATA (another instance took the last message, or the
            // attachments would exceed the storage limit): a temporary refusal naming it, so the sender retries.
            if (isLimitReached(err)) {
              smtpMessages.inc({ outcome: 'refused_limit' });
              if (err.limit === 'storage') return callback(new SmtpReply(452, "Mailbox full: the organisation's attachment storage is used up, try again later"));
              return callback(new SmtpReply(450, 'Mailbox not accepting messages: the organisation has taken its messages for today (UTC), try again later'));
            }
            deps.logger.error({ err, size }, 'inbound message could not be stored');
            smtpMessages.inc({ outcome: 'failed_temporary' });
            callback(new SmtpReply(451, 'Temporary failure storing the message, try again later'));
          });
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', (err) => deps.logger.warn({ err }, 'smtp server error'));
  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.server.once('error', onError);
        server.listen(port, host, () => {
          server.server.off('error', onError);
          resolve((server.server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
