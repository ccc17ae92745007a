-- Scheduled retention runs (decision 0218, docs/privacy.md "Schedule").
-- retention_schedules: at most one schedule per organisation; no row means runs start only when someone starts
-- them. A schedule is an approval given once by a person allowed to start a run (enabled_by): each occurrence
-- starts a run on their behalf only while they still hold that right. next_run_at is claimed with a conditional
-- UPDATE, so of several instances exactly one starts an occurrence.
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE retention_runs DROP CONSTRAINT retention_runs_via_check;
ALTER TABLE retention_runs ADD CONSTRAINT retention_runs_via_check CHECK (via IN ('api', 'cli', 'schedule'));

CREATE TABLE retention_schedules (
  org_id        uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  frequency     text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
  -- Weekly only: 0 = Sunday … 6 = Saturday (UTC).
  weekday       smallint CHECK (weekday BETWEEN 0 AND 6),
  -- The hour of the day, UTC.
  hour          smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
  enabled_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  enabled_at    timestamptz NOT NULL DEFAULT now(),
  next_run_at   timestamptz NOT NULL,
  last_run_at   timestamptz,
  last_run_id   uuid,
  last_outcome  text CHECK (last_outcome IN ('started', 'run_unfinished', 'approver_lacks_permission')),
  CHECK ((frequency = 'weekly') = (weekday IS NOT NULL))
);
CREATE INDEX retention_schedules_due ON retention_schedules (next_run_at);
