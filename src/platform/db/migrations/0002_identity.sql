-- Identity and access: staff, roles and permissions, teams, sessions, API
-- tokens, second factors, single-use links and codes, lockout, access reviews.
-- Every bearer secret is stored only as a SHA-256 hash (invariant 6).

ALTER TABLE organizations ADD COLUMN allowed_cidrs text[] NOT NULL DEFAULT '{}';
ALTER TABLE organizations ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';

CREATE TABLE users (
  id                   uuid PRIMARY KEY,
  org_id               uuid NOT NULL REFERENCES organizations (id),
  -- Staff sign-in address, lower-cased. Staff are not customers: their
  -- address is an account identifier, not customer data.
  email                text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  password_hash        text,
  status               text NOT NULL CHECK (status IN ('invited', 'active', 'deactivated')),
  failed_signins       integer NOT NULL DEFAULT 0,
  locked_until         timestamptz,
  last_signin_at       timestamptz,
  password_changed_at  timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  deactivated_at       timestamptz,
  UNIQUE (email)
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE roles (
  id                           uuid PRIMARY KEY,
  org_id                       uuid NOT NULL REFERENCES organizations (id),
  key                          text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{1,40}$'),
  name                         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  built_in                     boolean NOT NULL DEFAULT false,
  -- Members must use WebAuthn (phishing-resistant) as their second factor.
  require_phishing_resistant   boolean NOT NULL DEFAULT false,
  allowed_cidrs                text[] NOT NULL DEFAULT '{}',
  created_at                   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, key)
);

-- scope: 'own' (assigned to me), 'team' (my teams), 'org' (the whole organisation).
CREATE TABLE role_permissions (
  role_id     uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  permission  text NOT NULL,
  scope       text NOT NULL DEFAULT 'org' CHECK (scope IN ('own', 'team', 'org')),
  PRIMARY KEY (role_id, permission)
);

CREATE TABLE user_roles (
  user_id     uuid NOT NULL REFERENCES users (id),
  role_id     uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  granted_by  uuid,
  granted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role_id)
);

CREATE TABLE teams (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations (id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

CREATE TABLE team_members (
  team_id     uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id),
  added_by    uuid,
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE sessions (
  id_hash          bytea PRIMARY KEY,
  user_id          uuid NOT NULL REFERENCES users (id),
  org_id           uuid NOT NULL REFERENCES organizations (id),
  csrf_hash        bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  -- Set when a second factor was verified in this session; NULL = password only.
  mfa_at           timestamptz,
  mfa_method       text,
  step_up_at       timestamptz,
  ip               text,
  user_agent       text,
  revoked_at       timestamptz,
  revoked_reason   text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE api_tokens (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations (id),
  user_id        uuid NOT NULL REFERENCES users (id),
  kind           text NOT NULL CHECK (kind IN ('personal', 'service')),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash     bytea NOT NULL UNIQUE,
  prefix         text NOT NULL,
  scopes         text[] NOT NULL,
  expires_at     timestamptz NOT NULL,
  created_by     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz,
  last_used_ip   text,
  revoked_at     timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE mfa_totp (
  user_id         uuid PRIMARY KEY REFERENCES users (id),
  secret_enc      bytea NOT NULL,
  confirmed_at    timestamptz,
  -- The last accepted time step: a code is never accepted twice.
  last_step       bigint NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webauthn_credentials (
  id              uuid PRIMARY KEY,
  user_id         uuid NOT NULL REFERENCES users (id),
  credential_id   text NOT NULL UNIQUE,
  public_key      bytea NOT NULL,
  counter         bigint NOT NULL DEFAULT 0,
  transports      text[] NOT NULL DEFAULT '{}',
  device_type     text,
  backed_up       boolean NOT NULL DEFAULT false,
  name            text NOT NULL DEFAULT 'Passkey',
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

CREATE TABLE recovery_codes (
  user_id     uuid NOT NULL REFERENCES users (id),
  code_hash   bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- Pending second-factor challenges (WebAuthn challenges, emailed/SMS codes).
CREATE TABLE mfa_challenges (
  id           uuid PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id),
  kind         text NOT NULL CHECK (kind IN ('webauthn-register', 'webauthn-auth', 'email-code', 'sms-code')),
  secret_hash  bytea,
  challenge    text,
  attempts     integer NOT NULL DEFAULT 0,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id);

CREATE TABLE user_phones (
  user_id      uuid PRIMARY KEY REFERENCES users (id),
  phone_enc    bytea NOT NULL,
  verified_at  timestamptz
);

-- Single-use links: first-run setup, invitations, password resets.
CREATE TABLE auth_links (
  token_hash  bytea PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('setup', 'invite', 'reset')),
  org_id      uuid REFERENCES organizations (id),
  user_id     uuid REFERENCES users (id),
  created_by  uuid,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Development SMS driver: messages an administrator can read instead of a provider sending them.
CREATE TABLE sms_outbox (
  id          uuid PRIMARY KEY,
  org_id      uuid,
  to_number   text NOT NULL,
  body        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Failed sign-ins per source address (per-account counters live on users).
CREATE TABLE signin_throttle (
  key           text PRIMARY KEY,
  failures      integer NOT NULL DEFAULT 0,
  window_start  timestamptz NOT NULL DEFAULT now(),
  locked_until  timestamptz
);

CREATE TABLE access_review_campaigns (
  id                  uuid PRIMARY KEY,
  org_id              uuid NOT NULL REFERENCES organizations (id),
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  team_id             uuid REFERENCES teams (id),
  created_by          uuid NOT NULL REFERENCES users (id),
  reviewer_id         uuid REFERENCES users (id),
  deadline            timestamptz NOT NULL,
  revoke_undecided    boolean NOT NULL DEFAULT false,
  dormant_days        integer NOT NULL DEFAULT 90,
  unused_days         integer NOT NULL DEFAULT 90,
  status              text NOT NULL CHECK (status IN ('open', 'closed')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  closed_at           timestamptz,
  last_reminder_at    timestamptz
);

CREATE TABLE access_review_items (
  id             uuid PRIMARY KEY,
  campaign_id    uuid NOT NULL REFERENCES access_review_campaigns (id) ON DELETE CASCADE,
  user_id        uuid NOT NULL REFERENCES users (id),
  kind           text NOT NULL CHECK (kind IN ('role', 'team')),
  role_id        uuid REFERENCES roles (id) ON DELETE SET NULL,
  team_id        uuid REFERENCES teams (id) ON DELETE SET NULL,
  dormant        boolean NOT NULL DEFAULT false,
  unused_permissions text[] NOT NULL DEFAULT '{}',
  decision       text CHECK (decision IN ('certify', 'revoke')),
  decided_by     uuid REFERENCES users (id),
  decided_at     timestamptz,
  comment        text CHECK (length(comment) <= 2000),
  applied_at     timestamptz
);
CREATE INDEX access_review_items_campaign ON access_review_items (campaign_id);
