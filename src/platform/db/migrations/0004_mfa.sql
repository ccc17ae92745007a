-- Second factors, beyond what 0002 created: challenges bound to the session
-- that asked for them and to what they are for, the pending value an
-- enrolment challenge confirms, and opt-in emailed codes.

-- 'verify' challenges complete sign-in or step-up; 'enrol' challenges add a
-- factor. One can never stand in for the other.
ALTER TABLE mfa_challenges ADD COLUMN purpose text NOT NULL DEFAULT 'verify' CHECK (purpose IN ('verify', 'enrol'));
-- The session (id hash) that asked: a challenge is useless from any other session.
ALTER TABLE mfa_challenges ADD COLUMN session_hash bytea;
-- An enrolment's pending value (a phone number), encrypted under the organisation's key.
ALTER TABLE mfa_challenges ADD COLUMN payload_enc bytea;
CREATE INDEX mfa_challenges_recent ON mfa_challenges (user_id, kind, created_at);

-- Emailed sign-in codes are a factor only for people who turned them on.
CREATE TABLE mfa_email (
  user_id       uuid PRIMARY KEY REFERENCES users (id),
  confirmed_at  timestamptz NOT NULL DEFAULT now()
);
