/**
 * Contract of staff single sign-on (src/identity/sso/; docs/sso.md, decisions 0204 and 0209): an organisation's
 * OpenID Connect or SAML 2.0 connection (policies.manage reads and changes it; the client secret is accepted, never
 * returned; SAML from the provider's metadata), and the sign-in screen's discovery by email domain. The provider's
 * answer comes back to GET /api/auth/sso/callback (OpenID Connect) or POST /api/auth/sso/saml/acs (SAML), browser
 * requests outside this table, as is Trustdesk's SAML metadata (GET /api/auth/sso/saml/:id/metadata, XML).
 */
import { Type } from 'typebox';
import { Email, Nullable, Timestamp, Uuid, type Endpoint } from './common.js';

export const SSO_CALLBACK_PATH = '/api/auth/sso/callback';

/** The reasons the sign-in screen may be told (the audit trail keeps the precise one). */
export const SSO_PUBLIC_ERRORS = ['expired', 'no_account', 'email_not_verified', 'provider', 'unavailable', 'failed', 'suspended', 'seats'] as const;

const Domain = Type.String({ minLength: 3, maxLength: 253, pattern: '^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$' });
const Scope = Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' });
const AcrValue = Type.String({ minLength: 1, maxLength: 200 });

/** A provider group and the roles (keys) and teams (ids) a person in it gets when provisioned on first sign-in. */
export const GroupMapping = Type.Object(
  {
    group: Type.String({ minLength: 1, maxLength: 200 }),
    roles: Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { maxItems: 10 }),
    teams: Type.Array(Uuid, { maxItems: 20 }),
  },
  { additionalProperties: false },
);
const Provisioning = {
  /** Create accounts on first sign-in for people in a mapped group (off by default). */
  jitProvisioning: Type.Optional(Type.Boolean()),
  groupMappings: Type.Optional(Type.Array(GroupMapping, { maxItems: 50 })),
};

/** What both protocols' connections share: domains, the second-factor policy, single-sign-on-only and break-glass. */
const Policy = {
  emailDomains: Type.Array(Domain, { minItems: 1, maxItems: 20 }),
  trustProviderMfa: Type.Boolean(),
  /** acr values (OpenID Connect) or AuthnContextClassRef values (SAML) that mean MFA, and phishing-resistant MFA. */
  mfaAcrValues: Type.Optional(Type.Array(AcrValue, { maxItems: 10 })),
  phishingResistantAcrValues: Type.Optional(Type.Array(AcrValue, { maxItems: 10 })),
  ssoOnly: Type.Optional(Type.Boolean()),
  /** Staff who may still sign in with password and second factor when `ssoOnly` is on. */
  breakGlassUserIds: Type.Optional(Type.Array(Uuid, { maxItems: 10 })),
};

export const SsoConnectionBody = Type.Object(
  {
    enabled: Type.Boolean(),
    displayName: Type.String({ minLength: 1, maxLength: 60 }),
    issuer: Type.String({ minLength: 8, maxLength: 500 }),
    clientId: Type.String({ minLength: 1, maxLength: 300 }),
    /** Left out: the stored secret stays; null: none (a public client). */
    clientSecret: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 1000 }))),
    scopes: Type.Optional(Type.Array(Scope, { minItems: 1, maxItems: 20 })),
    ...Policy,
    ...Provisioning,
  },
  { additionalProperties: false },
);

/** Identity-provider metadata as the administrator pasted or uploaded it (XML, parsed strictly on the server). */
export const SAML_METADATA_MAX_CHARS = 256 * 1024;

export const SamlConnectionBody = Type.Object(
  {
    enabled: Type.Boolean(),
    displayName: Type.String({ minLength: 1, maxLength: 60 }),
    /** Required for a new SAML connection; left out, the stored provider stays. */
    idpMetadataXml: Type.Optional(Type.String({ minLength: 1, maxLength: SAML_METADATA_MAX_CHARS })),
    ...Policy,
    ...Provisioning,
  },
  { additionalProperties: false },
);

export const SamlDetails = Type.Object({
  idpEntityId: Type.String(),
  ssoUrl: Type.String(),
  metadataValidUntil: Nullable(Timestamp),
  certificates: Type.Array(Type.Object({ subject: Type.String(), fingerprint256: Type.String(), notAfter: Timestamp })),
  /** Trustdesk's entity ID for this connection (also its metadata URL). */
  spEntityId: Type.String(),
});

export const SsoConnection = Type.Object({
  id: Uuid,
  protocol: Type.Union([Type.Literal('oidc'), Type.Literal('saml')]),
  enabled: Type.Boolean(),
  displayName: Type.String(),
  issuer: Type.String(),
  clientId: Type.String(),
  hasClientSecret: Type.Boolean(),
  emailDomains: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  trustProviderMfa: Type.Boolean(),
  mfaAcrValues: Type.Array(Type.String()),
  phishingResistantAcrValues: Type.Array(Type.String()),
  ssoOnly: Type.Boolean(),
  breakGlassUserIds: Type.Array(Uuid),
  jitProvisioning: Type.Boolean(),
  groupMappings: Type.Array(GroupMapping),
  /** Null for OpenID Connect. */
  saml: Nullable(SamlDetails),
  updatedAt: Timestamp,
});

export const SsoSettings = Type.Object({
  connection: Nullable(SsoConnection),
  /** The redirect URI to register at the provider. */
  redirectUri: Type.String(),
  /** SAML: the assertion consumer service URL, and Trustdesk's metadata URL (null until a SAML connection exists). */
  samlAcsUrl: Type.String(),
  samlMetadataUrl: Nullable(Type.String()),
});

export const SsoDiscoverBody = Type.Object({ email: Email }, { additionalProperties: false });
export const SsoDiscoverResult = Type.Object({
  /** The provider's name ("Sign in with …"), or null: no single sign-on for this address; use the password. */
  provider: Nullable(Type.String()),
  /** Where to send the browser, or null. */
  authorizationUrl: Nullable(Type.String()),
});

export const ssoEndpoints = {
  settings: { method: 'GET', url: '/api/sso/connection', response: SsoSettings },
  save: { method: 'PUT', url: '/api/sso/connection', body: SsoConnectionBody, response: SsoSettings },
  saveSaml: { method: 'PUT', url: '/api/sso/connection/saml', body: SamlConnectionBody, response: SsoSettings },
  remove: { method: 'DELETE', url: '/api/sso/connection', response: Type.Object({ ok: Type.Literal(true) }) },
  discover: { method: 'POST', url: '/api/auth/sso/discover', body: SsoDiscoverBody, response: SsoDiscoverResult },
} as const satisfies Record<string, Endpoint>;
