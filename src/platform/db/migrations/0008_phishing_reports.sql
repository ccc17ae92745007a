-- Phishing defence in the product (issue 6): per-organisation allow and block
-- lists, agents' phishing reports (their awareness record), the sender domains
-- an organisation has already received clean mail from, and a mark on a
-- reported ticket message. Decisions in docs/decisions/0035-0037.
-- Frozen: never edit an applied migration; add a new file instead.

-- Allow and block lists: a registrable domain or a full address, lower-cased.
-- 'pending' entries are suggestions (from a phishing report) that do not reach
-- the analyzer until an administrator approves them.
CREATE TABLE sender_lists (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id),
  kind         text NOT NULL CHECK (kind IN ('allow', 'block')),
  value        text NOT NULL CHECK (value = lower(value) AND length(value) BETWEEN 3 AND 254),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending')),
  source       text NOT NULL DEFAULT 'admin' CHECK (source IN ('admin', 'report')),
  reason       text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
  added_by     uuid REFERENCES users (id),
  approved_by  uuid REFERENCES users (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, kind, value)
);
CREATE INDEX sender_lists_org_active ON sender_lists (org_id) WHERE status = 'active';

-- Registrable domains this organisation has received clean mail from
-- ("first contact" is a signal). Domains only, never addresses.
CREATE TABLE known_sender_domains (
  org_id      uuid NOT NULL REFERENCES organizations (id),
  domain      text NOT NULL CHECK (domain = lower(domain) AND length(domain) BETWEEN 1 AND 253),
  messages    integer NOT NULL DEFAULT 1,
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, domain)
);

-- A reported message stays in its ticket (the conversation keeps its shape)
-- but is marked, so the web app hides its body and links behind the report.
ALTER TABLE messages ADD COLUMN reported_at timestamptz;

-- The agents' awareness record: who reported which message, when, and what
-- the security officers later decided. One report per message.
CREATE TABLE phishing_reports (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations (id),
  reporter_id    uuid NOT NULL REFERENCES users (id),
  ticket_id      uuid NOT NULL REFERENCES tickets (id),
  message_id     uuid NOT NULL REFERENCES messages (id),
  quarantine_id  uuid NOT NULL REFERENCES quarantine (id),
  -- The agent's comment may quote the message: encrypted under the organisation's key.
  comment_enc    bytea,
  outcome        text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'confirmed', 'false_positive')),
  decided_by     uuid REFERENCES users (id),
  decided_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id)
);
CREATE INDEX phishing_reports_reporter ON phishing_reports (org_id, reporter_id, created_at DESC);
