-- Data-subject requests (decision 0198): access and erasure requests with their identity check, due date one
-- month after receipt, approval and, for an erasure, the certificate of what was destroyed. No customer data is
-- stored here: the customer is named by id, the certificate holds key ids, counts and audit sequence numbers.
-- Frozen: never edit an applied migration; add a new file instead.

CREATE TABLE privacy_requests (
  id               uuid PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  customer_id      uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  kind             text NOT NULL CHECK (kind IN ('access', 'erasure')),
  -- 'cli': an operator's `trustdesk customers erase`, recorded and approved in one step.
  via              text NOT NULL CHECK (via IN ('portal', 'agent', 'api', 'cli')),
  status           text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'verified', 'approved', 'done', 'rejected')),
  -- How the customer's identity was checked: a verification code (customer_verifications) or a staff check with a reason.
  verification     text CHECK (verification IN ('code', 'staff')),
  verification_id  uuid REFERENCES customer_verifications (id) ON DELETE SET NULL,
  requested_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  verified_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  verified_at      timestamptz,
  decided_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  decided_at       timestamptz,
  rejected_reason  text CHECK (length(rejected_reason) <= 500),
  received_at      timestamptz NOT NULL,
  due_at           timestamptz NOT NULL,
  completed_at     timestamptz,
  certificate      jsonb,
  CHECK ((status = 'rejected') = (rejected_reason IS NOT NULL)),
  CHECK (status IN ('new', 'rejected') OR verification IS NOT NULL)
);
CREATE INDEX privacy_requests_queue ON privacy_requests (org_id, status, due_at);
-- One open request of a kind per customer: a repeated request is answered with the open one (conflict).
CREATE UNIQUE INDEX privacy_requests_open ON privacy_requests (org_id, customer_id, kind) WHERE status IN ('new', 'verified', 'approved');
