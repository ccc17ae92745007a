-- Streaming the audit trail to SIEM destinations (decision 0193, docs/siem.md).
-- A destination is the organisation's own configuration; its secrets (HTTP token, TLS client key) are stored under
-- the organisation's key. The cursor is the durable delivery position: the audit sequence number (idx) of the last
-- entry the destination accepted.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE siem_destinations (
  id              uuid PRIMARY KEY,
  org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  transport       text NOT NULL CHECK (transport IN ('tls', 'tcp', 'udp', 'https')),
  -- syslog transports: host and port; https: url.
  host            text CHECK (length(host) BETWEEN 1 AND 253),
  port            integer CHECK (port BETWEEN 1 AND 65535),
  url             text CHECK (length(url) BETWEEN 8 AND 2000),
  format          text NOT NULL CHECK (format IN ('cef', 'ocsf')),
  -- PEM certificates (public): the CA to trust, and the client certificate for mutual TLS.
  ca_pem          text CHECK (length(ca_pem) <= 65536),
  client_cert_pem text CHECK (length(client_cert_pem) <= 65536),
  -- Secrets under the organisation's key (field context: siem_destinations / column / id).
  client_key_enc  bytea,
  token_enc       bytea,
  enabled         boolean NOT NULL DEFAULT true,
  -- Events waiting beyond which the destination is reported as falling behind.
  lag_alert_threshold integer NOT NULL DEFAULT 10000 CHECK (lag_alert_threshold BETWEEN 1 AND 100000000),
  created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((transport = 'https') = (url IS NOT NULL)),
  CHECK ((transport = 'https') = (host IS NULL AND port IS NULL))
);
CREATE INDEX siem_destinations_by_org ON siem_destinations (org_id, created_at);

CREATE TABLE siem_cursors (
  destination_id  uuid PRIMARY KEY REFERENCES siem_destinations (id) ON DELETE CASCADE,
  org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- idx of the last entry delivered; -1 before the first.
  cursor_idx      bigint NOT NULL DEFAULT -1,
  delivered       bigint NOT NULL DEFAULT 0,
  -- Sequenced entries of the organisation after the cursor, as last counted by the sender.
  lag             bigint NOT NULL DEFAULT 0,
  last_success_at timestamptz,
  last_error      text CHECK (length(last_error) <= 500),
  last_error_at   timestamptz,
  failures        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- Set while the lag is above the destination's threshold (the alert is raised once per crossing).
  lag_alert_at    timestamptz,
  -- The one sender of this destination across instances: a lease renewed with every batch.
  lease_owner     text,
  lease_until     timestamptz
);

-- The sender reads an organisation's sequenced entries in trail order.
CREATE INDEX audit_log_org_idx ON audit_log (org_id, idx) WHERE idx IS NOT NULL;

-- Security officers and administrators of existing organisations manage destinations; auditors read their status
-- (new organisations get these from the built-in roles).
INSERT INTO role_permissions (role_id, permission, scope)
SELECT r.id, p.permission, 'org' FROM roles r CROSS JOIN (VALUES ('siem.manage'), ('siem.read')) AS p (permission)
WHERE r.built_in AND r.key IN ('security_officer', 'administrator')
ON CONFLICT DO NOTHING;
INSERT INTO role_permissions (role_id, permission, scope)
SELECT r.id, 'siem.read', 'org' FROM roles r WHERE r.built_in AND r.key = 'auditor'
ON CONFLICT DO NOTHING;
