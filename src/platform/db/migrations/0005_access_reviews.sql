-- Access reviews (decisions 0060-0062).
-- Items keep a snapshot of what was reviewed (who, which role or team, what it
-- granted, when they last signed in), so a campaign's result reads the same
-- after the role, team or person has changed or gone.
ALTER TABLE access_review_items
  ADD COLUMN subject_email        text,
  ADD COLUMN subject_name         text,
  ADD COLUMN role_key             text,
  ADD COLUMN role_name            text,
  ADD COLUMN team_name            text,
  ADD COLUMN last_signin_at       timestamptz,
  ADD COLUMN granted_permissions  text[] NOT NULL DEFAULT '{}';

ALTER TABLE access_review_campaigns
  ADD COLUMN closed_by     uuid REFERENCES users (id),
  ADD COLUMN close_reason  text CHECK (close_reason IN ('manual', 'deadline'));

CREATE INDEX access_review_campaigns_org ON access_review_campaigns (org_id, created_at);
CREATE INDEX access_review_campaigns_open ON access_review_campaigns (deadline) WHERE status = 'open';

-- Unused-permission flags read a person's own events in a time window.
CREATE INDEX audit_log_actor_ts ON audit_log (actor_id, ts) WHERE actor_id IS NOT NULL;
