-- List and search reads name every customer they showed: the keyed subject
-- hashes go into details.subjects (a JSON array), so filtering the trail by
-- customer finds them as well as single-record reads (decision 0113).
-- Frozen: never edit an applied migration; add a new file instead.
CREATE INDEX audit_log_subjects ON audit_log USING gin ((details -> 'subjects'));
