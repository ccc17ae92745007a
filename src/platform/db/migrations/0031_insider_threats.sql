-- Insider-threat detection over the audit trail (decision 0194).
-- The engine keeps a durable cursor on audit_log.idx, compact per-person state, and the alerts it raised
-- with the audit entries they rest on (ids and positions, never customer data).
-- Frozen: never edit an applied migration; add a new file instead.

-- One row per organisation: its thresholds (validated by src/threats/insider/config.ts before they are stored).
CREATE TABLE insider_settings (
  org_id        uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  thresholds    jsonb NOT NULL,
  updated_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The audit trail is one sequence for every organisation, so one evaluator reads it for the instance set:
-- the last idx it evaluated, moved in the same transaction as the state and alerts it produced.
CREATE TABLE insider_cursor (
  id            smallint PRIMARY KEY CHECK (id = 1),
  last_idx      bigint NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The engine's state: 'org' (team relations, organisation load) and 'user:<id>' (baselines, windows).
CREATE TABLE insider_state (
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
  state         jsonb NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, key)
);

CREATE TABLE insider_alerts (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rule          text NOT NULL CHECK (rule IN ('volume', 'unrelated', 'off_hours', 'exports', 'denied', 'new_network', 'dormant', 'grant_use', 'leaver')),
  user_id       uuid NOT NULL,
  explanation   text NOT NULL,
  -- [{ "id": audit entry id, "idx": its position }]
  evidence      jsonb NOT NULL,
  facts         jsonb NOT NULL,
  since         timestamptz NOT NULL,
  raised_at     timestamptz NOT NULL,
  -- The audit position that raised it: with the cursor in one transaction, an alert is stored exactly once.
  event_idx     bigint NOT NULL,
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'dismissed')),
  status_reason text CHECK (status_reason IS NULL OR length(status_reason) BETWEEN 1 AND 1000),
  status_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  status_at     timestamptz,
  -- The incident this alert was escalated to, once incidents exist (no reference yet: set by the incident feature).
  incident_id   uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, rule, user_id, event_idx)
);
CREATE INDEX insider_alerts_by_org ON insider_alerts (org_id, raised_at DESC);
CREATE INDEX insider_alerts_open ON insider_alerts (org_id, status, raised_at DESC);

CREATE TABLE insider_suppressions (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rule          text NOT NULL CHECK (rule IN ('volume', 'unrelated', 'off_hours', 'exports', 'denied', 'new_network', 'dormant', 'grant_use', 'leaver')),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason        text NOT NULL CHECK (length(reason) BETWEEN 3 AND 1000),
  expires_at    timestamptz NOT NULL,
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX insider_suppressions_by_org ON insider_suppressions (org_id, expires_at);

-- A scheduled deactivation (a leaver's last day): the insider rule watches the notice period.
ALTER TABLE users ADD COLUMN deactivation_scheduled_at timestamptz;

-- Security officers manage insider alerts, auditors read them (new organisations get this from the built-in roles).
INSERT INTO role_permissions (role_id, permission, scope)
SELECT r.id, p.permission, 'org' FROM roles r CROSS JOIN (VALUES ('insider.manage'), ('insider.read')) AS p (permission)
WHERE r.built_in AND r.key = 'security_officer'
ON CONFLICT DO NOTHING;
INSERT INTO role_permissions (role_id, permission, scope)
SELECT r.id, 'insider.read', 'org' FROM roles r WHERE r.built_in AND r.key = 'auditor'
ON CONFLICT DO NOTHING;
