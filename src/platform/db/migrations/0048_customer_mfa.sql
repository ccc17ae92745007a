-- Customer second factors in the portal (decision 0220, docs/portal-mfa.md).
-- customer_totp: one authenticator app per customer; the secret encrypted under the customer's own data key
-- (erasing the customer shreds it), the last accepted time step only moves forward (no code twice).
-- customer_webauthn_credentials: passkeys; the signature counter only moves forward.
-- customer_mfa_challenges: WebAuthn challenges, single-use, five minutes, bound to the portal session that asked.
-- customer_sessions.mfa_at: when this portal session last proved a second factor (step-up); null until it does.
-- The organisation's requirement lives in organizations.settings.customerMfa (never / sensitive / always).
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE customer_sessions ADD COLUMN mfa_at timestamptz;
ALTER TABLE customer_sessions ADD COLUMN mfa_method text CHECK (mfa_method IN ('totp', 'webauthn'));

CREATE TABLE customer_totp (
  customer_id   uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  secret_enc    bytea NOT NULL,
  confirmed_at  timestamptz,
  last_step     bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer_webauthn_credentials (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  customer_id    uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  credential_id  text NOT NULL UNIQUE,
  public_key     bytea NOT NULL,
  counter        bigint NOT NULL DEFAULT 0,
  transports     text[] NOT NULL DEFAULT '{}',
  name           text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz
);
CREATE INDEX customer_webauthn_credentials_customer ON customer_webauthn_credentials (customer_id);

CREATE TABLE customer_mfa_challenges (
  id            uuid PRIMARY KEY,
  customer_id   uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  session_hash  bytea NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('webauthn-register', 'webauthn-auth')),
  challenge     text NOT NULL,
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
CREATE INDEX customer_mfa_challenges_customer ON customer_mfa_challenges (customer_id, expires_at);
