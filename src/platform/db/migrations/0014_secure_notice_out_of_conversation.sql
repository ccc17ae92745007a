-- The secure-message notice email carries the customer's live link. It no longer lives in the
-- conversation (which every agent on the ticket reads): the conversation keeps a "secure message
-- sent" note, and the email text waits here, encrypted under the customer's key, only until the
-- worker has sent it (or given up), when it is cleared.
ALTER TABLE outbound_mail ADD COLUMN body_enc bytea;

-- Notices already delivered (or given up) keep no link in the conversation either. Notices still
-- queued keep theirs until sent; the ticket read shows every notice as the note, never its text.
UPDATE messages SET body_enc = NULL
 WHERE id IN (SELECT notice_message_id FROM secure_messages WHERE notice_message_id IS NOT NULL)
   AND delivery_status IN ('sent', 'written', 'failed');
