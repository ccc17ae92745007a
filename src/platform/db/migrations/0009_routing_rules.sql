-- Routing rules: conditions on a new inbound ticket (mailbox, sender domain,
-- subject words) and what to set (team, assignee, priority, tags). The first
-- enabled rule that matches, by position, applies. Conditions are the
-- organisation's configuration, not customer data.
CREATE TABLE routing_rules (
  id                   uuid PRIMARY KEY,
  org_id               uuid NOT NULL REFERENCES organizations (id),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  position             integer NOT NULL DEFAULT 0,
  enabled              boolean NOT NULL DEFAULT true,
  match_mailbox_id     uuid REFERENCES mailboxes (id) ON DELETE CASCADE,
  match_sender_domain  text CHECK (match_sender_domain = lower(match_sender_domain)),
  match_subject_words  text[] NOT NULL DEFAULT '{}',
  set_team_id          uuid REFERENCES teams (id) ON DELETE SET NULL,
  set_assignee_id      uuid REFERENCES users (id),
  set_priority         text CHECK (set_priority IN ('low', 'normal', 'high', 'urgent')),
  add_tags             text[] NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routing_rules_org ON routing_rules (org_id, position);
