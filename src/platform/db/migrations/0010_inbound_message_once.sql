-- An inbound message is stored once per organisation, however many times and
-- on however many connections at once it is delivered: the Message-ID's keyed
-- hash is unique among inbound email. Copies stored before this constraint
-- (parallel deliveries raced the old select-then-insert check) are kept, not
-- deleted; all but the first lose their key, so they no longer count as the
-- message's copy for duplicate checks or threading.
-- Frozen: never edit an applied migration; add a new file instead.

UPDATE messages AS m
   SET message_id_hash = NULL
 WHERE m.kind = 'inbound_email'
   AND m.message_id_hash IS NOT NULL
   AND EXISTS (
         SELECT 1
           FROM messages AS o
          WHERE o.org_id = m.org_id
            AND o.kind = 'inbound_email'
            AND o.message_id_hash = m.message_id_hash
            AND (o.created_at, o.id) < (m.created_at, m.id)
       );

CREATE UNIQUE INDEX messages_inbound_message_id_unique
    ON messages (org_id, message_id_hash)
 WHERE kind = 'inbound_email' AND message_id_hash IS NOT NULL;
