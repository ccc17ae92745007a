-- Role-based security training (docs/training.md, decision 0191). A module version is one row: the shipped
-- ones (org_id null) are written from src/identity/training/modules/ at start-up, an organisation's own are
-- added through the API in the same format. The source is kept as written; the lesson HTML (sanitised) and the
-- quiz (with its right answers, never sent to a learner before an attempt) are what the parser made of it.
-- Rules assign a module by role and/or team with a due period and an optional re-assignment interval;
-- assignments pin the version a person was given; attempts keep each answer's correctness and the score.
-- New permissions: training.manage (administrators, security officers) and training.read (progress: team
-- leads for their teams, security officers, administrators and auditors for the organisation).
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE training_modules (
  id            uuid PRIMARY KEY,
  org_id        uuid REFERENCES organizations (id) ON DELETE CASCADE,
  key           text NOT NULL CHECK (key ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(key) BETWEEN 3 AND 60),
  version       integer NOT NULL CHECK (version >= 1),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
  summary       text NOT NULL DEFAULT '',
  audience      text[] NOT NULL DEFAULT '{}',
  minutes       integer NOT NULL CHECK (minutes BETWEEN 1 AND 60),
  pass_mark     integer NOT NULL CHECK (pass_mark BETWEEN 1 AND 100),
  max_attempts  integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
  source        text NOT NULL CHECK (length(source) <= 64000),
  lesson_html   text NOT NULL,
  quiz          jsonb NOT NULL,
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX training_modules_shipped ON training_modules (key, version) WHERE org_id IS NULL;
CREATE UNIQUE INDEX training_modules_own ON training_modules (org_id, key, version) WHERE org_id IS NOT NULL;

CREATE TABLE training_rules (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  module_key    text NOT NULL,
  role_key      text,
  team_id       uuid REFERENCES teams (id) ON DELETE CASCADE,
  due_days      integer NOT NULL CHECK (due_days BETWEEN 1 AND 365),
  every_months  integer CHECK (every_months BETWEEN 1 AND 60),
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_rules_org ON training_rules (org_id);

CREATE TABLE training_assignments (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  module_id     uuid NOT NULL REFERENCES training_modules (id),
  module_key    text NOT NULL,
  due_at        timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'assigned' CHECK (status IN ('assigned', 'passed', 'failed')),
  source        text NOT NULL CHECK (source IN ('rule', 'manual', 'simulation')),
  rule_id       uuid REFERENCES training_rules (id) ON DELETE SET NULL,
  assigned_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  attempts_used integer NOT NULL DEFAULT 0,
  best_score    integer,
  assigned_at   timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz
);
-- One open assignment per person and module: assigning again while one is open is a no-op.
CREATE UNIQUE INDEX training_assignments_open ON training_assignments (user_id, module_key) WHERE status = 'assigned';
CREATE INDEX training_assignments_org ON training_assignments (org_id, status, due_at);
CREATE INDEX training_assignments_user ON training_assignments (user_id, assigned_at DESC);

CREATE TABLE training_attempts (
  id            uuid PRIMARY KEY,
  assignment_id uuid NOT NULL REFERENCES training_assignments (id) ON DELETE CASCADE,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  attempt       integer NOT NULL,
  answers       jsonb NOT NULL,
  correct       jsonb NOT NULL,
  score         integer NOT NULL CHECK (score BETWEEN 0 AND 100),
  passed        boolean NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (assignment_id, attempt)
);

-- Existing organisations' built-in roles get the new permissions (new ones get them from the built-in roles).
INSERT INTO role_permissions (role_id, permission, scope)
SELECT id, 'training.manage', 'org' FROM roles WHERE built_in AND key IN ('administrator', 'security_officer')
ON CONFLICT DO NOTHING;
INSERT INTO role_permissions (role_id, permission, scope)
SELECT id, 'training.read', CASE WHEN key = 'supervisor' THEN 'team' ELSE 'org' END FROM roles
WHERE built_in AND key IN ('supervisor', 'administrator', 'security_officer', 'auditor')
ON CONFLICT DO NOTHING;
