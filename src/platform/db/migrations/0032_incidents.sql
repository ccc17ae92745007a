-- Security incidents and their hand-off to IT (decision 0195).
-- Staff-written text (notes, transition reasons, the breach record) is encrypted under the organisation's key:
-- it may name customers. Evidence is referenced by id only; an insider alert by uuid with no foreign key.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE incidents (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  number         integer NOT NULL,
  title_enc      bytea NOT NULL,
  type           text NOT NULL CHECK (type IN ('phishing_reported', 'phishing_clicked', 'account_compromise', 'data_exposure', 'insider_alert', 'lost_device', 'other')),
  severity       text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  status         text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triage', 'contained', 'resolved')),
  owner_id       uuid REFERENCES users (id) ON DELETE SET NULL,
  source_kind    text NOT NULL CHECK (source_kind IN ('manual', 'phishing_report', 'quarantine', 'simulation', 'insider_alert')),
  source_id      uuid,
  created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz,
  -- Personal-data breach (GDPR art. 33/34): awareness starts the 72-hour clock.
  breach_aware_at     timestamptz,
  breach_deadline_at  timestamptz,
  -- The notification record's text fields, encrypted (JSON).
  breach_record_enc   bytea,
  notify_subjects     boolean,
  authority_notified_at timestamptz,
  subjects_notified_at  timestamptz,
  handed_off_at  timestamptz,
  UNIQUE (org_id, number),
  CHECK ((breach_aware_at IS NULL) = (breach_deadline_at IS NULL))
);
CREATE INDEX incidents_by_org ON incidents (org_id, status, created_at DESC);
-- One open incident per source object: a second click opens the same one.
CREATE UNIQUE INDEX incidents_one_per_source ON incidents (org_id, source_kind, source_id) WHERE source_id IS NOT NULL AND status <> 'resolved';

CREATE TABLE incident_evidence (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  incident_id  uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('ticket', 'quarantine', 'phishing_report', 'insider_alert', 'user', 'customer', 'audit_entry', 'simulation_recipient')),
  -- A uuid, or an audit entry's tree index.
  ref          text NOT NULL CHECK (length(ref) BETWEEN 1 AND 64),
  added_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  added_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (incident_id, kind, ref)
);

CREATE TABLE incident_events (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  incident_id  uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('created', 'note', 'status', 'changed', 'evidence', 'containment', 'breach', 'handoff')),
  actor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
  -- Ids and codes only (from/to status, action, target id); never personal data.
  detail       jsonb,
  -- A note or a reason, encrypted under the organisation's key.
  text_enc     bytea,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, created_at);

-- Where hand-offs go: the organisation's IT address and its data-protection officer's contact.
CREATE TABLE incident_settings (
  org_id       uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  it_email     text CHECK (it_email IS NULL OR length(it_email) BETWEEN 3 AND 320),
  dpo_contact  text CHECK (dpo_contact IS NULL OR length(dpo_contact) <= 500),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A containment action: this customer must pass identity verification before anything about them is revealed,
-- whatever the organisation's verification policy says.
ALTER TABLE customers ADD COLUMN verification_required_at timestamptz;

-- Security officers of existing organisations manage incidents; auditors read them.
INSERT INTO role_permissions (role_id, permission, scope)
SELECT r.id, p.permission, 'org' FROM roles r CROSS JOIN (VALUES ('incidents.manage'), ('incidents.read')) AS p (permission)
WHERE r.built_in AND r.key = 'security_officer'
ON CONFLICT DO NOTHING;
INSERT INTO role_permissions (role_id, permission, scope)
SELECT r.id, 'incidents.read', 'org' FROM roles r WHERE r.built_in AND r.key = 'auditor'
ON CONFLICT DO NOTHING;
