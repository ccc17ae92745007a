/**
 * What portal, secure-message and verification services need: the helpdesk
 * dependencies plus the transactional mailer, the portal keys, the blob store,
 * an SMS sender and the public URL that links point at.
 */
import type { Services } from '../../platform/app/services.js';
import { LocalBlobStore, type BlobStore } from '../../protection/blobs/store.js';
import { OutboxSmsSender, type SmsSender } from '../../identity/auth/mfa/sms.js';
import type { DeferredTasks } from '../../platform/deferred.js';
import type { Mailer } from '../../platform/notify/mailer.js';
import { createHelpdeskDeps, type HelpdeskDeps } from '../tickets/context.js';
import { loadPortalKeys, type PortalKeys } from './keys.js';
import './schema.js';

export interface PortalPolicy {
  /** Customer sessions: idle timeout and absolute lifetime. */
  idleMs: number;
  absoluteMs: number;
  /** One-time codes and magic links. */
  codeTtlMs: number;
  maxCodeAttempts: number;
  /** Sign-in codes a customer may be sent per window before further requests are silently ignored. */
  maxChallengesPerWindow: number;
  challengeWindowMs: number;
  /** Secure-message links. */
  secureLinkTtlMs: number;
  /** Uploads. */
  maxUploadBytes: number;
  /** Public form: the least time a person takes, and how long a form stays valid. */
  minFillMs: number;
  maxFormAgeMs: number;
}

export const DEFAULT_PORTAL_POLICY: PortalPolicy = {
  idleMs: 30 * 60_000,
  absoluteMs: 8 * 3_600_000,
  codeTtlMs: 10 * 60_000,
  maxCodeAttempts: 5,
  maxChallengesPerWindow: 5,
  challengeWindowMs: 15 * 60_000,
  secureLinkTtlMs: 7 * 24 * 3_600_000,
  maxUploadBytes: 10 * 1024 * 1024,
  minFillMs: 3_000,
  maxFormAgeMs: 2 * 3_600_000,
};

export interface PortalDeps extends HelpdeskDeps {
  mailer: Mailer;
  /** Mail whose timing must not show whether an address is known goes out after the answer. */
  deferred: DeferredTasks;
  keys: PortalKeys;
  blobs: BlobStore;
  sms: SmsSender;
  publicUrl: string;
  policy: PortalPolicy;
}

export interface PortalDepsOptions {
  blobs?: BlobStore;
  sms?: SmsSender;
  policy?: Partial<PortalPolicy>;
}

export async function createPortalDeps(services: Services, options: PortalDepsOptions = {}): Promise<PortalDeps> {
  const helpdesk = await createHelpdeskDeps(services);
  return {
    ...helpdesk,
    mailer: services.mailer,
    deferred: services.deferred,
    keys: await loadPortalKeys(services.keyring),
    blobs: options.blobs ?? new LocalBlobStore(services.config.blobDirPath),
    sms: options.sms ?? new OutboxSmsSender(services.database.db),
    publicUrl: services.config.publicUrl.replace(/\/+$/, ''),
    policy: { ...DEFAULT_PORTAL_POLICY, ...options.policy },
  };
}

/** Request facts copied into audit events and session rows. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
  requestId: string;
}
