-- Agent productivity: SLA policies and breach times, macros, merge/split
-- links, the keyed search-token index, webhooks and their delivery queue.
-- No customer plaintext here: macro bodies and webhook secrets are encrypted
-- under the organisation's key; search tokens are keyed hashes (leakage in
-- docs/decisions/0080); webhook payloads carry ids and metadata only.
-- Frozen: never edit an applied migration; add a new file instead.

-- One active policy per organisation. Targets per priority in minutes of
-- business time; business hours in the policy's IANA time zone.
CREATE TABLE sla_policies (
  id              uuid PRIMARY KEY,
  org_id          uuid NOT NULL REFERENCES organizations (id),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  active          boolean NOT NULL DEFAULT true,
  time_zone       text NOT NULL,
  -- {"weekdays":[1,2,3,4,5],"start":"09:00","end":"17:00"} (ISO weekdays, 1 = Monday)
  business_hours  jsonb NOT NULL,
  -- ["2025-12-25", …] local dates without business hours
  holidays        jsonb NOT NULL DEFAULT '[]',
  -- {"urgent":{"firstResponseMinutes":60,"resolutionMinutes":480}, …}
  targets         jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sla_policies_one_active ON sla_policies (org_id) WHERE active;

ALTER TABLE tickets ADD COLUMN sla_policy_id          uuid REFERENCES sla_policies (id);
ALTER TABLE tickets ADD COLUMN first_response_due_at  timestamptz;
ALTER TABLE tickets ADD COLUMN resolution_due_at      timestamptz;
-- Merge and split keep their history: a merged ticket points at its survivor.
ALTER TABLE tickets ADD COLUMN merged_into_id         uuid REFERENCES tickets (id);
ALTER TABLE tickets ADD COLUMN split_from_id          uuid REFERENCES tickets (id);
CREATE INDEX tickets_first_response_due ON tickets (org_id, first_response_due_at) WHERE first_response_at IS NULL AND first_response_due_at IS NOT NULL;
CREATE INDEX tickets_resolution_due ON tickets (org_id, resolution_due_at) WHERE resolution_due_at IS NOT NULL AND status NOT IN ('solved', 'closed');

-- Canned replies with actions. The body is encrypted under the organisation's
-- key (templates may quote policies or internal wording); the name is a label.
CREATE TABLE macros (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations (id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  body_enc    bytea,
  -- {"status":"pending","priority":"high","addTags":[],"removeTags":[],"assigneeId":null,"teamId":null}
  actions     jsonb NOT NULL DEFAULT '{}',
  created_by  uuid REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

-- Keyword search over encrypted bodies: HMAC(org search key, normalised word),
-- truncated, one row per distinct word per message (or per ticket subject,
-- message_id NULL). Deleted with the customer on erasure.
CREATE TABLE search_tokens (
  org_id       uuid NOT NULL REFERENCES organizations (id),
  ticket_id    uuid NOT NULL REFERENCES tickets (id),
  message_id   uuid REFERENCES messages (id),
  customer_id  uuid REFERENCES customers (id),
  token        bytea NOT NULL
);
CREATE INDEX search_tokens_lookup ON search_tokens (org_id, token, ticket_id);
CREATE INDEX search_tokens_ticket ON search_tokens (ticket_id);
CREATE INDEX search_tokens_message ON search_tokens (message_id);
CREATE INDEX search_tokens_customer ON search_tokens (customer_id);

CREATE TABLE webhook_subscriptions (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations (id),
  -- The receiver's URL is the organisation's own configuration, not customer data.
  url         text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
  events      text[] NOT NULL,
  -- Signing secret under the organisation's key; shown once at creation.
  secret_enc  bytea NOT NULL,
  active      boolean NOT NULL DEFAULT true,
  created_by  uuid REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_org ON webhook_subscriptions (org_id) WHERE active;

-- The durable delivery queue: one row per (event, subscription), queued in the
-- transaction that caused the event, claimed with SKIP LOCKED and retried with
-- backoff. The payload holds ids and metadata only.
CREATE TABLE webhook_deliveries (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organizations (id),
  subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  event_id         uuid NOT NULL,
  event_type       text NOT NULL,
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz,
  -- HTTP status or a fixed error kind; never the receiver's response body.
  last_error       text,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at DESC);
