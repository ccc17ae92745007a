-- Staff single sign-on, per organisation (decision 0204, docs/sso.md). One connection per organisation for now;
-- `protocol` leaves room for SAML beside OpenID Connect. The client secret is stored under the organisation's key.
-- Email domains route a person typing their address to their organisation's provider: a domain belongs to one
-- connection only (its own table, so the database refuses a second claim).
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE sso_connections (
  id                uuid PRIMARY KEY,
  org_id            uuid NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
  protocol          text NOT NULL DEFAULT 'oidc' CHECK (protocol IN ('oidc')),
  enabled           boolean NOT NULL DEFAULT false,
  display_name      text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 60),
  issuer            text NOT NULL CHECK (length(issuer) BETWEEN 8 AND 500),
  client_id         text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 300),
  -- Under the organisation's key (field context: sso_connections / client_secret_enc / id). Null: a public client.
  client_secret_enc bytea,
  scopes            text[] NOT NULL DEFAULT '{openid,email,profile}',
  -- Second factors: by default Trustdesk asks for its own after the provider. `trust_provider_mfa` accepts the
  -- provider's assertion instead, when `amr` says mfa/hwk/swk or `acr` is one of `mfa_acr_values`; `amr` hwk or an
  -- acr in `phishing_resistant_acr_values` also satisfies roles that require a passkey.
  trust_provider_mfa boolean NOT NULL DEFAULT false,
  mfa_acr_values    text[] NOT NULL DEFAULT '{}',
  phishing_resistant_acr_values text[] NOT NULL DEFAULT '{}',
  -- Password sign-in refused for the organisation, except for the named break-glass accounts.
  sso_only          boolean NOT NULL DEFAULT false,
  break_glass_user_ids uuid[] NOT NULL DEFAULT '{}',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sso_domains (
  domain        text PRIMARY KEY CHECK (domain = lower(domain) AND length(domain) BETWEEN 3 AND 253),
  connection_id uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE INDEX sso_domains_by_connection ON sso_domains (connection_id);

-- A sign-in sent to the provider and not yet back. Keyed by the hash of `state`; bound to the browser that started
-- it by the hash of a cookie (the PKCE verifier is derived from that cookie, so it is never stored). Single use.
CREATE TABLE sso_requests (
  state_hash    bytea PRIMARY KEY,
  binding_hash  bytea NOT NULL,
  connection_id uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  nonce         text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
CREATE INDEX sso_requests_expiry ON sso_requests (expires_at);

-- How a session's first factor was proven ('password' or 'sso'), kept through rotation; shown with the session.
ALTER TABLE sessions ADD COLUMN signin_method text NOT NULL DEFAULT 'password' CHECK (signin_method IN ('password', 'sso'));
