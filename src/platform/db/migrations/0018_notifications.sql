-- Notifications for staff (src/helpdesk/notifications, decision 0146). Nothing here is customer
-- data: a notification names a ticket by id, a kind and a count; the ticket's subject is never
-- copied (a screen or an email that shows it reads it from the ticket, as the reader may).

CREATE TABLE notifications (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations (id),
  user_id        uuid NOT NULL REFERENCES users (id),
  kind           text NOT NULL CHECK (kind IN ('assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting')),
  ticket_id      uuid REFERENCES tickets (id) ON DELETE CASCADE,
  -- Events folded into this row while it was unread (a flood of replies is one row, count n).
  count          integer NOT NULL DEFAULT 1 CHECK (count >= 1),
  -- Who caused the latest event (a staff member; null for customers and the system).
  actor_id       uuid,
  in_app         boolean NOT NULL,
  -- Waiting for the next digest email to this person; cleared when the digest is composed.
  email_pending  boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  read_at        timestamptz
);
-- One unread row per person, ticket and kind: later events fold into it.
CREATE UNIQUE INDEX notifications_unread_once ON notifications (user_id, ticket_id, kind) WHERE read_at IS NULL;
CREATE INDEX notifications_user_recent ON notifications (user_id, updated_at DESC, id);
CREATE INDEX notifications_email_pending ON notifications (user_id) WHERE email_pending;

-- Per person and kind: shown in the app, sent by email. Kinds without a row use the defaults in code.
CREATE TABLE notification_preferences (
  user_id     uuid NOT NULL REFERENCES users (id),
  kind        text NOT NULL CHECK (kind IN ('assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting')),
  in_app      boolean NOT NULL,
  email       boolean NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, kind)
);

-- Digest emails: at most one waiting per person; it is due no earlier than the interval after the
-- last one sent, so a flood of events becomes one email. Claimed like the other durable queues.
CREATE TABLE notification_emails (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organizations (id),
  user_id          uuid NOT NULL REFERENCES users (id),
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz,
  last_error       text,
  -- What the sent digest covered (numbers only), for support questions.
  events           integer,
  tickets          integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz
);
CREATE UNIQUE INDEX notification_emails_one_waiting ON notification_emails (user_id) WHERE status IN ('queued', 'sending');
CREATE INDEX notification_emails_due ON notification_emails (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE INDEX notification_emails_last_sent ON notification_emails (user_id, sent_at DESC) WHERE sent_at IS NOT NULL;

-- SLA warnings already given: once per ticket, target and due time (a new due time warns again).
CREATE TABLE notification_sla_warnings (
  ticket_id   uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  target      text NOT NULL CHECK (target IN ('first_response', 'resolution')),
  due_at      timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, target, due_at)
);
