-- An attachment whose contents hold data that must never be stored (a full card
-- number inside a PDF, an Office document or an archive) is recorded without
-- its bytes: status 'withheld', blob_key NULL, the reasons in danger_reasons.
ALTER TABLE attachments DROP CONSTRAINT attachments_status_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_status_check CHECK (status IN ('stored', 'too_large', 'withheld'));
