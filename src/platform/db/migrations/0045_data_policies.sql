-- Data-handling policies (decision 0212): each organisation's internal policy for staff and public policy
-- for customers, in Markdown, versioned. A draft is editable; publishing turns it into the next version,
-- immutable from then on (the trigger below), with the date it takes effect. Staff attest to the internal
-- version in force (decision 0213); a customer who first writes sensitive data by email is told once about
-- the secure way (decision 0214). The generated part of the internal policy is not stored: it is rendered
-- from the settings in force whenever the policy is read.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE data_policy_versions (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('internal', 'public')),
  -- null while a draft; 1, 2, … once published.
  version      integer CHECK (version >= 1),
  status       text NOT NULL CHECK (status IN ('draft', 'published')),
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body_md      text NOT NULL CHECK (length(body_md) <= 100000),
  -- Role keys the internal policy asks to attest (empty: every staff member). Always empty for the public one.
  audience     text[] NOT NULL DEFAULT '{}',
  effective_at timestamptz,
  published_by uuid REFERENCES users (id) ON DELETE SET NULL,
  published_at timestamptz,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'draft') = (version IS NULL)),
  CHECK (status = 'draft' OR (effective_at IS NOT NULL AND published_at IS NOT NULL)),
  CHECK (kind = 'internal' OR cardinality(audience) = 0)
);
-- One draft per organisation and kind; version numbers unique per organisation and kind.
CREATE UNIQUE INDEX data_policy_versions_one_draft ON data_policy_versions (org_id, kind) WHERE status = 'draft';
CREATE UNIQUE INDEX data_policy_versions_number ON data_policy_versions (org_id, kind, version) WHERE version IS NOT NULL;

-- A published version never changes: what someone attested to is what stays on record.
CREATE FUNCTION data_policy_versions_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'published' THEN
    RAISE EXCEPTION 'a published policy version is immutable' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER data_policy_versions_frozen BEFORE UPDATE ON data_policy_versions FOR EACH ROW EXECUTE FUNCTION data_policy_versions_frozen();

-- One attestation per person and version; a repeat changes nothing.
CREATE TABLE policy_attestations (
  version_id       uuid NOT NULL REFERENCES data_policy_versions (id) ON DELETE CASCADE,
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- SHA-256 of the generated part as it read when the person confirmed (settings change; the record does not).
  generated_sha256 text NOT NULL CHECK (length(generated_sha256) = 64),
  attested_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version_id, user_id)
);
CREATE INDEX policy_attestations_by_user ON policy_attestations (org_id, user_id, attested_at DESC);

-- One reminder per person, version and kind, ever: the job may run on several instances and many times.
CREATE TABLE policy_reminders (
  version_id uuid NOT NULL REFERENCES data_policy_versions (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('due', 'overdue')),
  org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version_id, user_id, kind)
);

-- The customers already told how to send sensitive data safely: once per customer, not per message.
CREATE TABLE policy_customer_notices (
  org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, customer_id)
);

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting', 'training_due', 'policy_attestation'));
ALTER TABLE notification_preferences DROP CONSTRAINT notification_preferences_kind_check;
ALTER TABLE notification_preferences ADD CONSTRAINT notification_preferences_kind_check CHECK (kind IN ('assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting', 'training_due', 'policy_attestation'));
