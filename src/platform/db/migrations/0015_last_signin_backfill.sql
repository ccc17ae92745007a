-- The first administrator's sign-in at setup was never recorded, so the staff
-- page showed no sign-in and access reviews flagged them dormant. Setup now
-- records it; this fills it in for installations set up before, from the
-- newest session the person ever started.
UPDATE users u
   SET last_signin_at = s.latest
  FROM (SELECT user_id, max(created_at) AS latest FROM sessions GROUP BY user_id) s
 WHERE s.user_id = u.id
   AND u.last_signin_at IS NULL
   AND u.status = 'active';
