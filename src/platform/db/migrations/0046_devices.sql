-- Registered devices and where customer data may go (docs/devices.md, decisions 0215–0217).
-- A device is a browser holding a non-extractable ECDSA P-256 key (WebCrypto, kept in IndexedDB); the server
-- keeps only the public key (SPKI DER). A session is bound to a device once the browser signs a single-use
-- challenge issued to that session. Revoking a device ends every session bound to it.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE devices (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  public_key bytea NOT NULL,
  user_agent text,
  -- Network prefixes (/24 for IPv4, /48 for IPv6) this device was seen on; a new one asks a privileged role for a fresh factor.
  known_networks text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  last_ip text,
  revoked_at timestamptz,
  revoked_by uuid REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX devices_user ON devices (user_id, created_at);
CREATE UNIQUE INDEX devices_public_key ON devices (public_key);

-- Single-use challenges, each bound to the session that asked for it (stored as the session's id hash).
CREATE TABLE device_challenges (
  challenge_hash bytea PRIMARY KEY,
  session_id_hash bytea NOT NULL,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX device_challenges_expiry ON device_challenges (expires_at);

ALTER TABLE sessions ADD COLUMN device_id uuid REFERENCES devices(id) ON DELETE SET NULL;
CREATE INDEX sessions_device ON sessions (device_id) WHERE device_id IS NOT NULL;

-- Per role: customer data (attachments, exports, copies of revealed fields, printing) only from a registered
-- device, and, when the list is not empty, only from these networks. No row: no restriction.
CREATE TABLE data_egress_policies (
  role_id uuid PRIMARY KEY REFERENCES roles(id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  require_device boolean NOT NULL DEFAULT false,
  allowed_cidrs text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by uuid REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX data_egress_policies_org ON data_egress_policies (org_id);

-- A person is told when a new device or network is used for a privileged role.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting', 'training_due', 'policy_attestation', 'new_device'));
ALTER TABLE notification_preferences DROP CONSTRAINT notification_preferences_kind_check;
ALTER TABLE notification_preferences ADD CONSTRAINT notification_preferences_kind_check CHECK (kind IN ('assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting', 'training_due', 'policy_attestation', 'new_device'));
