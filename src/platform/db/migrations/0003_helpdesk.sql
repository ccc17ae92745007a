-- Helpdesk core: customers' other fields, mailboxes, tickets, messages,
-- attachments, quarantine and the outbound mail queue.
-- Customer data (names, addresses, bodies, subjects, raw mail, attachment
-- names) is stored only as ciphertext under the customer's data key
-- (invariant 2); lookups go through blind indexes or keyed hashes.
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE customers ADD COLUMN address_enc       bytea;
ALTER TABLE customers ADD COLUMN notes_enc         bytea;
ALTER TABLE customers ADD COLUMN custom_fields_enc bytea;
-- Set when this record was merged into another; it is then read-only.
ALTER TABLE customers ADD COLUMN merged_into       uuid REFERENCES customers (id);

-- Further email addresses and phone numbers of a customer.
CREATE TABLE customer_contacts (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id),
  customer_id  uuid NOT NULL REFERENCES customers (id),
  kind         text NOT NULL CHECK (kind IN ('email', 'phone')),
  value_enc    bytea NOT NULL,
  value_bidx   bytea,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_contacts_lookup ON customer_contacts (org_id, kind, value_bidx);
CREATE INDEX customer_contacts_customer ON customer_contacts (customer_id);

-- An inbound address and the team its mail is routed to. Addresses are the
-- organisation's own, not customer data.
CREATE TABLE mailboxes (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations (id),
  address     text NOT NULL UNIQUE CHECK (address = lower(address) AND length(address) BETWEEN 3 AND 254),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  team_id     uuid REFERENCES teams (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tickets (
  id                  uuid PRIMARY KEY,
  org_id              uuid NOT NULL REFERENCES organizations (id),
  -- Shown to people as #number and written in subjects as [#number].
  number              bigserial NOT NULL UNIQUE,
  subject_enc         bytea,
  status              text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')),
  priority            text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  channel             text NOT NULL CHECK (channel IN ('email', 'web', 'portal', 'api', 'phone')),
  requester_id        uuid REFERENCES customers (id),
  assignee_id         uuid REFERENCES users (id),
  team_id             uuid REFERENCES teams (id),
  mailbox_id          uuid REFERENCES mailboxes (id),
  tags                text[] NOT NULL DEFAULT '{}',
  custom_fields_enc   bytea,
  -- Keyed hash of the reply token written in outbound addresses (support+<token>@…).
  reply_token_hash    bytea UNIQUE,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  last_message_at     timestamptz NOT NULL DEFAULT now(),
  first_response_at   timestamptz,
  solved_at           timestamptz,
  closed_at           timestamptz
);
CREATE INDEX tickets_org_status ON tickets (org_id, status, last_message_at DESC);
CREATE INDEX tickets_org_team ON tickets (org_id, team_id, last_message_at DESC);
CREATE INDEX tickets_org_assignee ON tickets (org_id, assignee_id, last_message_at DESC);
CREATE INDEX tickets_requester ON tickets (requester_id);
CREATE INDEX tickets_tags ON tickets USING gin (tags);

CREATE TABLE messages (
  id                  uuid PRIMARY KEY,
  org_id              uuid NOT NULL REFERENCES organizations (id),
  ticket_id           uuid NOT NULL REFERENCES tickets (id),
  kind                text NOT NULL CHECK (kind IN ('inbound_email', 'public_reply', 'internal_note')),
  author_type         text NOT NULL CHECK (author_type IN ('customer', 'user', 'system')),
  author_user_id      uuid REFERENCES users (id),
  -- The customer whose key encrypts this message (the requester or sender).
  customer_id         uuid REFERENCES customers (id),
  body_enc            bytea,
  html_enc            bytea,
  raw_enc             bytea,
  raw_size            integer,
  -- Threading: a keyed hash of the Message-ID for look-ups, the value itself encrypted for References.
  message_id_hash     bytea,
  message_id_enc      bytea,
  auto_submitted      boolean NOT NULL DEFAULT false,
  -- What the sensitive-data scan did: [{type, start, end, action}] — never the value.
  redactions          jsonb NOT NULL DEFAULT '[]',
  -- Phishing analysis: score, verdict and reason codes in clear (filtering), the evidence encrypted.
  threat_score        integer,
  threat_verdict      text CHECK (threat_verdict IN ('clean', 'suspicious', 'phishing')),
  threat_codes        text[] NOT NULL DEFAULT '{}',
  threat_reasons_enc  bytea,
  delivery_status     text CHECK (delivery_status IN ('queued', 'sent', 'retrying', 'failed', 'written')),
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_ticket ON messages (ticket_id, created_at);
CREATE INDEX messages_message_id ON messages (org_id, message_id_hash) WHERE message_id_hash IS NOT NULL;

CREATE TABLE attachments (
  id              uuid PRIMARY KEY,
  org_id          uuid NOT NULL REFERENCES organizations (id),
  message_id      uuid NOT NULL REFERENCES messages (id),
  customer_id     uuid REFERENCES customers (id),
  -- Path-safe key in the blob store (never derived from the file name); NULL when not stored (too large).
  blob_key        text,
  filename_enc    bytea,
  -- The blob is sealed with its own random key; that key is stored here under
  -- the customer's key, so key rotation re-encrypts 32 bytes, not the blob,
  -- and erasing the customer makes the blob unreadable.
  content_key_enc bytea,
  declared_type   text NOT NULL,
  sniffed_type    text NOT NULL,
  size            bigint NOT NULL,
  dangerous       boolean NOT NULL DEFAULT false,
  danger_reasons  text[] NOT NULL DEFAULT '{}',
  status          text NOT NULL CHECK (status IN ('stored', 'too_large')),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_message ON attachments (message_id);

-- Messages held back: malformed, phishing, unroutable. Never dropped; the raw
-- message is kept encrypted (under the organisation's key: the sender may be
-- unknown). Reason codes in clear, no PII.
CREATE TABLE quarantine (
  id              uuid PRIMARY KEY,
  org_id          uuid NOT NULL REFERENCES organizations (id),
  mailbox_id      uuid REFERENCES mailboxes (id),
  reason          text NOT NULL CHECK (reason IN ('malformed', 'phishing', 'dangerous', 'reported')),
  codes           text[] NOT NULL DEFAULT '{}',
  threat_score    integer,
  raw_enc         bytea NOT NULL,
  raw_size        integer NOT NULL,
  details_enc     bytea,
  status          text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'released', 'deleted')),
  decided_by      uuid REFERENCES users (id),
  decided_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_org_status ON quarantine (org_id, status, created_at DESC);

-- Outbound mail: a durable queue with retries and backoff. The message is
-- composed at send time from the encrypted ticket and message, so no plaintext
-- copy waits here.
CREATE TABLE outbound_mail (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organizations (id),
  ticket_id        uuid NOT NULL REFERENCES tickets (id),
  message_id       uuid NOT NULL REFERENCES messages (id),
  customer_id      uuid REFERENCES customers (id),
  to_enc           bytea NOT NULL,
  -- Our own Message-ID (<uuid@host>): no customer data.
  smtp_message_id  text NOT NULL,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz,
  -- SMTP reply code and a fixed description; never the server's text (it may quote addresses).
  last_error       text,
  sent_at          timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_mail_due ON outbound_mail (next_attempt_at) WHERE status IN ('queued', 'sending');
