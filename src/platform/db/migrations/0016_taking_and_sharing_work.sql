-- Taking and sharing work (decisions 0140-0142).

-- "Assign to me": tickets.take, a team-scoped permission of agents and leads (organisation-wide for administrators).
-- New organisations get it from BUILT_IN_ROLES; the built-in roles of existing organisations get it here.
INSERT INTO role_permissions (role_id, permission, scope)
SELECT id, 'tickets.take', CASE key WHEN 'administrator' THEN 'org' ELSE 'team' END
FROM roles
WHERE built_in AND key IN ('agent', 'supervisor', 'administrator')
ON CONFLICT (role_id, permission) DO NOTHING;

-- Who gets a new ticket routed to a team: nobody (manual), the next member in turn, or the least busy member.
ALTER TABLE teams ADD COLUMN assignment_strategy text NOT NULL DEFAULT 'manual'
  CHECK (assignment_strategy IN ('manual', 'round_robin', 'least_busy'));
-- Round-robin pointer: the member who got the team's last ticket. Moved with the team row locked.
ALTER TABLE teams ADD COLUMN round_robin_last_user_id uuid REFERENCES users (id) ON DELETE SET NULL;

-- A member who is away gets no ticket from a strategy (taking one by hand stays possible).
ALTER TABLE users ADD COLUMN away boolean NOT NULL DEFAULT false;

-- A routing rule may hand the ticket out by strategy instead of naming a person.
ALTER TABLE routing_rules ADD COLUMN assign_strategy text CHECK (assign_strategy IN ('round_robin', 'least_busy'));

-- Saved views: a filter over the tickets one may read, personal or shared with a team.
CREATE TABLE saved_views (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations (id),
  owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Shared with this team's members; NULL: personal.
  team_id     uuid REFERENCES teams (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  filters     jsonb NOT NULL DEFAULT '{}',
  columns     text[] NOT NULL DEFAULT '{}',
  sort        text NOT NULL DEFAULT 'updated' CHECK (sort IN ('updated', 'created', 'priority', 'sla_due', 'number')),
  sort_dir    text NOT NULL DEFAULT 'desc' CHECK (sort_dir IN ('asc', 'desc')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saved_views_owner ON saved_views (org_id, owner_id);
CREATE INDEX saved_views_team ON saved_views (org_id, team_id) WHERE team_id IS NOT NULL;
