-- Retention and legal hold (decision 0207, docs/privacy.md "Retention and legal hold").
-- legal_holds: a hold on a customer or a ticket stops every deletion of it (retention and erasure) until lifted;
-- a lifted hold stays as the record of who held what, why and for how long. The reason is staff text, never
-- customer data.
-- retention_runs: one deletion run of an organisation's retention policy, with the policy and cut-off dates it
-- ran under, what it planned (the dry run's counts) and what it has deleted so far. retention_run_items: the exact
-- records the run planned to delete, frozen when it was started, so the dry run, the plan and the deletion count the
-- same set whatever changes meanwhile (a hold set during the run still wins: the item is skipped).
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE legal_holds (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  object_type  text NOT NULL CHECK (object_type IN ('customer', 'ticket')),
  object_id    uuid NOT NULL,
  reason       text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
  set_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  set_at       timestamptz NOT NULL DEFAULT now(),
  lifted_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  lifted_at    timestamptz,
  lift_reason  text CHECK (length(lift_reason) BETWEEN 3 AND 500),
  CHECK ((lifted_at IS NULL) = (lift_reason IS NULL))
);
-- One active hold per object.
CREATE UNIQUE INDEX legal_holds_active ON legal_holds (org_id, object_type, object_id) WHERE lifted_at IS NULL;
CREATE INDEX legal_holds_org ON legal_holds (org_id, set_at DESC);

CREATE TABLE retention_runs (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  via           text NOT NULL CHECK (via IN ('api', 'cli')),
  -- The moment the cut-offs were computed from, and the policy with its cut-off dates (no customer data).
  as_of         timestamptz NOT NULL,
  policy        jsonb NOT NULL,
  planned       jsonb NOT NULL,
  deleted       jsonb NOT NULL DEFAULT '{}',
  skipped       jsonb NOT NULL DEFAULT '{}',
  requested_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz,
  -- A worker's lease: a run whose worker died is taken up again once it runs out.
  locked_until  timestamptz,
  error         text CHECK (length(error) <= 500)
);
-- One unfinished run per organisation.
CREATE UNIQUE INDEX retention_runs_active ON retention_runs (org_id) WHERE status IN ('queued', 'running');
CREATE INDEX retention_runs_org ON retention_runs (org_id, created_at DESC);

CREATE TABLE retention_run_items (
  run_id     uuid NOT NULL REFERENCES retention_runs (id) ON DELETE CASCADE,
  category   text NOT NULL CHECK (category IN ('tickets', 'quarantine', 'exports', 'customers')),
  object_id  uuid NOT NULL,
  state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'deleted', 'skipped')),
  PRIMARY KEY (run_id, category, object_id)
);
CREATE INDEX retention_run_items_pending ON retention_run_items (run_id, category, object_id) WHERE state = 'pending';

-- An inactive customer is erased through a data-subject request of its own, recorded by the retention run, so it
-- gets the same certificate of erasure as any other.
ALTER TABLE privacy_requests DROP CONSTRAINT privacy_requests_via_check;
ALTER TABLE privacy_requests ADD CONSTRAINT privacy_requests_via_check CHECK (via IN ('portal', 'agent', 'api', 'cli', 'retention'));
ALTER TABLE privacy_requests DROP CONSTRAINT privacy_requests_verification_check;
ALTER TABLE privacy_requests ADD CONSTRAINT privacy_requests_verification_check CHECK (verification IN ('code', 'staff', 'policy'));

-- The age tests of the policy: tickets by when they were solved, customers by their tickets' last activity.
CREATE INDEX tickets_retention ON tickets (org_id, (COALESCE(solved_at, closed_at))) WHERE status IN ('solved', 'closed');
CREATE INDEX quarantine_retention ON quarantine (org_id, created_at);
