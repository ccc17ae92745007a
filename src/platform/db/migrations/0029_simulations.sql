-- Phishing simulation campaigns delivered into the support queue (decision 0192).
-- A recipient's tracking token is stored only as its SHA-256; events record what happened, never what was typed.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE simulation_campaigns (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  template_id   text NOT NULL CHECK (length(template_id) BETWEEN 1 AND 100),
  mailbox_id    uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
  sender_domain text NOT NULL CHECK (length(sender_domain) BETWEEN 1 AND 253),
  -- 'as_real': the phishing analysis runs and its banner shows as for real mail (never quarantined);
  -- 'none': no analysis, no banner (testing the person, not the filter).
  banner        text NOT NULL CHECK (banner IN ('as_real', 'none')),
  status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'ended')),
  starts_at     timestamptz NOT NULL,
  window_minutes integer NOT NULL CHECK (window_minutes BETWEEN 0 AND 20160),
  ends_at       timestamptz NOT NULL,
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulation_campaigns_by_org ON simulation_campaigns (org_id, created_at DESC);

CREATE TABLE simulation_recipients (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  campaign_id   uuid NOT NULL REFERENCES simulation_campaigns (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Set at delivery: the raw token exists only in the delivered message.
  token_hash    bytea UNIQUE,
  -- The customer-like name drawn for this recipient, so the landing page shows the same message.
  customer_name text NOT NULL,
  scheduled_at  timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'delivering', 'delivered', 'skipped', 'failed')),
  skip_reason   text,
  ticket_id     uuid REFERENCES tickets (id) ON DELETE SET NULL,
  message_id    uuid REFERENCES messages (id) ON DELETE SET NULL,
  delivered_at  timestamptz,
  UNIQUE (campaign_id, user_id)
);
CREATE INDEX simulation_recipients_due ON simulation_recipients (status, scheduled_at);
CREATE INDEX simulation_recipients_by_message ON simulation_recipients (message_id);
-- Every ticket read asks whether the ticket is a simulation (the "opened" event).
CREATE INDEX simulation_recipients_by_ticket ON simulation_recipients (ticket_id);

CREATE TABLE simulation_events (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  recipient_id  uuid NOT NULL REFERENCES simulation_recipients (id) ON DELETE CASCADE,
  type          text NOT NULL CHECK (type IN ('delivered', 'opened', 'clicked', 'data_entered', 'reported', 'skipped')),
  -- A discounted event is kept with its reason but counts for nothing (a scanner's prefetch, a click after the end).
  discounted_reason text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulation_events_by_recipient ON simulation_events (recipient_id, created_at);

-- Security officers of existing organisations run simulations and read their results (new organisations
-- get it from the built-in roles; an administrator may grant it to other roles).
INSERT INTO role_permissions (role_id, permission, scope)
SELECT r.id, p.permission, 'org' FROM roles r CROSS JOIN (VALUES ('simulations.manage'), ('simulations.read')) AS p (permission)
WHERE r.built_in AND r.key = 'security_officer'
ON CONFLICT DO NOTHING;
