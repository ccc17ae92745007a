/**
 * Contract of the organisation settings routes (src/identity/organization/): the email
 * channel settings in force (read-only: they come from the environment, so
 * relay credentials never sit in the database) with a "send test" action, and
 * the security policy in force (sessions, step-up, second factors, passwords,
 * sign-in lockout, address allowlist). Decision 0093.
 */
import { Type } from 'typebox';
import { Email, Nullable, type Endpoint } from './common.js';

/**
 * Sign-in lockout. src/identity/auth/auth.service.ts enforces it; its tests and the
 * security-policy tests check the behaviour matches these numbers.
 */
export const SIGNIN_LOCKOUT = {
  /** Failed passwords before an account locks; each further failure doubles the lock. */
  accountFreeFailures: 5,
  /** The longest an account lock lasts. */
  accountMaxLockMinutes: 60,
  /** Failed sign-ins from one address within the window before the address is refused for a window. */
  addressMaxFailures: 30,
  addressWindowMinutes: 15,
} as const;

// ---------------------------------------------------------------- email channels
export const InboundMailSettings = Type.Object({
  /** Whether the built-in SMTP server runs. */
  enabled: Type.Boolean(),
  host: Type.String(),
  port: Type.Integer(),
  /** Whether STARTTLS is offered (a certificate is configured). */
  starttls: Type.Boolean(),
  maxMessageBytes: Type.Integer(),
  /** Upstream servers whose Authentication-Results headers are trusted. */
  trustedAuthservIds: Type.Array(Type.String()),
  /** Addresses the server accepts mail for in this organisation. */
  mailboxCount: Type.Integer(),
});
export const OUTBOUND_MODES = ['relay', 'outbox'] as const;
export const OutboundMailSettings = Type.Object({
  /** relay: through the SMTP relay; outbox: written to <data>/outbox as .eml files (development, air-gapped). */
  mode: Type.Enum(OUTBOUND_MODES),
  /** The relay's host and port; never its user name or password. */
  relay: Nullable(Type.Object({
    host: Type.String(),
    port: Type.Integer(),
    /** smtps:// (TLS from the first byte); otherwise STARTTLS when the relay offers it. */
    implicitTls: Type.Boolean(),
    /** Whether the relay URL carries credentials (they are never shown). */
    authenticated: Type.Boolean(),
  })),
  from: Type.String(),
  dkim: Type.Object({ enabled: Type.Boolean(), domain: Nullable(Type.String()), selector: Nullable(Type.String()) }),
});
export const MailSettings = Type.Object({ inbound: InboundMailSettings, outbound: OutboundMailSettings, publicUrl: Type.String() });

export const MailTestBody = Type.Object({
  /** A staff address of this organisation; the caller's own address when absent. */
  to: Type.Optional(Email),
}, { additionalProperties: false });
export const MAIL_TEST_OUTCOMES = ['sent', 'written', 'failed'] as const;
/** Why a test failed, in words safe to show (never the relay's own message, which may echo credentials). */
export const MAIL_TEST_REASONS = ['connection_failed', 'timeout', 'authentication_failed', 'tls_failed', 'dns_failed', 'rejected', 'dkim_key_unreadable', 'unknown'] as const;
export const MailTestResult = Type.Object({
  /** sent: the relay accepted it; written: it is in the outbox folder; failed: see reason. */
  outcome: Type.Enum(MAIL_TEST_OUTCOMES),
  to: Type.String(),
  reason: Nullable(Type.Enum(MAIL_TEST_REASONS)),
  /** The relay's SMTP reply code when it answered with one (e.g. 535, 550). */
  smtpCode: Nullable(Type.Integer()),
  durationMs: Type.Integer(),
});

// ---------------------------------------------------------------- security policy
export const SecurityPolicy = Type.Object({
  sessions: Type.Object({
    /** A session ends after this long without a request. */
    idleMinutes: Type.Integer(),
    /** …and after this long in any case. */
    maxHours: Type.Integer(),
    /** A fresh second factor allows sensitive actions for this long. */
    stepUpMinutes: Type.Integer(),
    /** Permissions whose use needs a fresh second factor. */
    stepUpPermissions: Type.Array(Type.String()),
  }),
  mfa: Type.Object({
    /** Every staff account verifies a second factor at each sign-in. */
    requiredForAllStaff: Type.Boolean(),
    /** Roles whose members must use a passkey (a phishing-resistant factor); editable per custom role. */
    roles: Type.Array(Type.Object({ id: Type.String(), key: Type.String(), name: Type.String(), builtIn: Type.Boolean(), requirePhishingResistant: Type.Boolean(), members: Type.Integer() })),
  }),
  passwords: Type.Object({
    minLength: Type.Integer(),
    maxLength: Type.Integer(),
    /** Refused when on the list of breached and common passwords. */
    breachedListChecked: Type.Boolean(),
    /** Refused when made of the person's name, email or the product's name. */
    contextWordsChecked: Type.Boolean(),
  }),
  lockout: Type.Object({
    accountFreeFailures: Type.Integer(),
    accountMaxLockMinutes: Type.Integer(),
    addressMaxFailures: Type.Integer(),
    addressWindowMinutes: Type.Integer(),
  }),
  /** Addresses or ranges staff may sign in from (empty: anywhere); change with PUT /api/organization/allowlist. */
  allowedCidrs: Type.Array(Type.String()),
});

const Limit = Type.Object({
  /** null: no limit. */
  limit: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  used: Type.Integer({ minimum: 0 }),
});

/** The organisation's limits and usage (decision 0235); only the installation's operator changes them. */
export const OrganizationLimits = Type.Object({
  /** Active and invited staff; service accounts take no seat. */
  seats: Limit,
  /** Bytes of attachment files kept. */
  storageBytes: Limit,
  /** Inbound messages (email, request form) today, UTC. */
  inboundPerDay: Limit,
  /** The UTC day the inbound count is for (YYYY-MM-DD). */
  day: Type.String(),
});

export const organizationEndpoints = {
  /** channels.manage: the email settings in force, secrets never included. */
  mail: { method: 'GET', url: '/api/organization/mail', response: MailSettings },
  /** channels.manage, rate-limited, audited: send a test message to a staff address of the organisation. */
  mailTest: { method: 'POST', url: '/api/organization/mail/test', body: MailTestBody, response: MailTestResult },
  /** users.read: the security policy in force (read-only; the allowlist and per-role passkey flag have their own routes). */
  securityPolicy: { method: 'GET', url: '/api/organization/security-policy', response: SecurityPolicy },
  /** users.read: the limits the installation's operator set, and what is used (read-only). */
  limits: { method: 'GET', url: '/api/organization/limits', response: OrganizationLimits },
} as const satisfies Record<string, Endpoint>;
