-- Customer satisfaction (CSAT) and reports (decisions 0155-0157).

-- One survey per solve of an email ticket. The link token is stored only as its SHA-256; the row binds
-- it to the ticket and the organisation and gives it an expiry.
CREATE TABLE csat_surveys (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id),
  ticket_id    uuid NOT NULL REFERENCES tickets (id),
  customer_id  uuid REFERENCES customers (id),
  -- The system note in the conversation that carries the email's delivery status.
  message_id   uuid REFERENCES messages (id),
  token_hash   bytea NOT NULL UNIQUE,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX csat_surveys_ticket ON csat_surveys (ticket_id, created_at DESC);

-- One rating per ticket (the latest answer wins while a link or the portal allows changing it).
-- The comment is the customer's text: DLP-redacted, then encrypted under the customer's key.
CREATE TABLE csat_ratings (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id),
  ticket_id    uuid NOT NULL UNIQUE REFERENCES tickets (id),
  customer_id  uuid REFERENCES customers (id),
  survey_id    uuid REFERENCES csat_surveys (id),
  rating       text NOT NULL CHECK (rating IN ('good', 'bad')),
  comment_enc  bytea,
  source       text NOT NULL CHECK (source IN ('email', 'portal')),
  rated_at     timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Reports read only metadata columns, by time range within an organisation (decision 0157). The indexes
-- carry every column the queries read (INCLUDE), so they are answered by index-only scans instead of
-- fetching a million heap rows scattered over the table.
CREATE INDEX tickets_org_created ON tickets (org_id, created_at)
  INCLUDE (team_id, assignee_id, channel, first_response_at, solved_at, closed_at, first_response_due_at, resolution_due_at);
CREATE INDEX tickets_org_resolved ON tickets (org_id, (COALESCE(solved_at, closed_at)))
  INCLUDE (created_at, team_id, assignee_id, solved_at, closed_at)
  WHERE solved_at IS NOT NULL OR closed_at IS NOT NULL;
CREATE INDEX tickets_org_unresolved ON tickets (org_id) INCLUDE (team_id, assignee_id) WHERE solved_at IS NULL AND closed_at IS NULL;
CREATE INDEX messages_org_verdict ON messages (org_id, created_at) INCLUDE (ticket_id, threat_verdict) WHERE threat_verdict IS NOT NULL;
CREATE INDEX quarantine_org_created ON quarantine (org_id, created_at) INCLUDE (mailbox_id, reason);
CREATE INDEX csat_ratings_org_rated_cover ON csat_ratings (org_id, rated_at) INCLUDE (ticket_id, rating);

-- Reports for everyone who works tickets, scoped in SQL (decision 0156): agents see their own figures,
-- team leads their teams', administrators, security officers and auditors the organisation's.
INSERT INTO role_permissions (role_id, permission, scope)
SELECT id, 'reports.read', 'own' FROM roles WHERE built_in AND key = 'agent'
ON CONFLICT DO NOTHING;
UPDATE role_permissions SET scope = 'team'
 WHERE permission = 'reports.read' AND role_id IN (SELECT id FROM roles WHERE built_in AND key = 'supervisor');
