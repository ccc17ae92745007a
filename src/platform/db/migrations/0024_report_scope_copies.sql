-- Reports without joins (decision 0163). The CSAT and phishing-verdict figures are scoped by the ticket's
-- team and assignee; joining every rating or analysed message of a year to its ticket took a second on a
-- million tickets. Each rating and each analysed message now carries a copy of its ticket's team and
-- assignee, kept equal by triggers in the same transaction as any change, whichever code path makes it
-- (assignment, team move, merge, split, import, a deleted team's ON DELETE SET NULL).
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE csat_ratings ADD COLUMN ticket_team_id uuid, ADD COLUMN ticket_assignee_id uuid;
ALTER TABLE messages ADD COLUMN ticket_team_id uuid, ADD COLUMN ticket_assignee_id uuid;

-- Backfill before the triggers exist (one set-based update instead of a trigger call per row).
UPDATE csat_ratings r SET ticket_team_id = t.team_id, ticket_assignee_id = t.assignee_id
  FROM tickets t WHERE t.id = r.ticket_id;
UPDATE messages m SET ticket_team_id = t.team_id, ticket_assignee_id = t.assignee_id
  FROM tickets t WHERE t.id = m.ticket_id AND m.threat_verdict IS NOT NULL;

-- A written row takes its ticket's values, whatever the writer supplied: the copy cannot be set wrong.
CREATE FUNCTION report_scope_from_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT t.team_id, t.assignee_id INTO NEW.ticket_team_id, NEW.ticket_assignee_id FROM tickets t WHERE t.id = NEW.ticket_id;
  RETURN NEW;
END;
$$;
CREATE TRIGGER csat_ratings_report_scope BEFORE INSERT OR UPDATE ON csat_ratings
  FOR EACH ROW EXECUTE FUNCTION report_scope_from_ticket();
-- Only analysed messages are counted by the reports; the others keep NULL and cost no look-up.
CREATE TRIGGER messages_report_scope BEFORE INSERT OR UPDATE ON messages
  FOR EACH ROW WHEN (NEW.threat_verdict IS NOT NULL) EXECUTE FUNCTION report_scope_from_ticket();

-- A ticket's new team or assignee reaches its rating and analysed messages in the same statement.
CREATE FUNCTION tickets_report_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE csat_ratings SET ticket_team_id = NEW.team_id, ticket_assignee_id = NEW.assignee_id WHERE ticket_id = NEW.id;
  UPDATE messages SET ticket_team_id = NEW.team_id, ticket_assignee_id = NEW.assignee_id
   WHERE ticket_id = NEW.id AND threat_verdict IS NOT NULL;
  RETURN NULL;
END;
$$;
CREATE TRIGGER tickets_report_scope AFTER UPDATE ON tickets
  FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
  EXECUTE FUNCTION tickets_report_scope();

-- The covering indexes of migration 0021 now carry the copies instead of the ticket id.
DROP INDEX csat_ratings_org_rated_cover;
CREATE INDEX csat_ratings_org_rated_cover ON csat_ratings (org_id, rated_at) INCLUDE (rating, ticket_team_id, ticket_assignee_id);
DROP INDEX messages_org_verdict;
CREATE INDEX messages_org_verdict ON messages (org_id, created_at) INCLUDE (threat_verdict, ticket_team_id, ticket_assignee_id)
  WHERE threat_verdict IS NOT NULL;
