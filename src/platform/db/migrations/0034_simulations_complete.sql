-- Phishing simulations made complete (decision 0197): security officers' own templates with versions per
-- language, a campaign's copy of the template it sends, the landing form option, the recipient's language,
-- training reminders (due soon, overdue) at most once per assignment and kind, and the in-app reminder kind.
-- Organisation-wide simulation settings (scanner address ranges, banner, language) live in
-- organizations.settings under the key "simulations" and need no column.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE simulation_templates (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  scenario         text NOT NULL CHECK (length(scenario) <= 1000),
  difficulty       integer NOT NULL CHECK (difficulty BETWEEN 1 AND 3),
  training_topic   text NOT NULL CHECK (length(training_topic) BETWEEN 1 AND 100),
  default_language text NOT NULL CHECK (length(default_language) BETWEEN 2 AND 35),
  -- [{language, fromName, fromLocalPart, subject, body, redFlags: [{in, quote, explanation}]}], bounded in code
  -- (src/threats/simulations/custom-templates.ts). Invented text: never a customer's data.
  versions         jsonb NOT NULL,
  version          integer NOT NULL DEFAULT 1,
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulation_templates_by_org ON simulation_templates (org_id, name);

-- The template as it was when the campaign was made (null: a shipped template, found by template_id), so
-- editing or deleting a template never changes what a running campaign sends or its landing page shows.
ALTER TABLE simulation_campaigns ADD COLUMN template jsonb;
-- 'none': the landing page teaches at once; 'credentials' / 'payment': a realistic form first, whose
-- submission records only THAT something was typed (the fields have no names; nothing typed is sent).
ALTER TABLE simulation_campaigns ADD COLUMN landing_form text NOT NULL DEFAULT 'none' CHECK (landing_form IN ('none', 'credentials', 'payment'));
-- 'queue': an inbound ticket through ingest; 'mailbox': the agent's own mailbox through the relay.
ALTER TABLE simulation_campaigns ADD COLUMN delivery text NOT NULL DEFAULT 'queue' CHECK (delivery IN ('queue', 'mailbox'));
-- The language version the recipient was sent (the landing page shows the same one).
ALTER TABLE simulation_recipients ADD COLUMN language text;

-- One reminder per assignment and kind, ever: the job may run on several instances and many times.
CREATE TABLE training_reminders (
  assignment_id uuid NOT NULL REFERENCES training_assignments (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('due_soon', 'overdue')),
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (assignment_id, kind)
);

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting', 'training_due'));
ALTER TABLE notification_preferences DROP CONSTRAINT notification_preferences_kind_check;
ALTER TABLE notification_preferences ADD CONSTRAINT notification_preferences_kind_check CHECK (kind IN ('assigned', 'new_ticket', 'customer_reply', 'mention', 'sla_breach', 'chat_waiting', 'training_due'));
