-- Awareness scores (decision 0196): computed on read from the simulation, report and training logs, so no table.
-- A new permission, awareness.read: team leads see their teams' members, security officers everyone.
-- Frozen: never edit an applied migration; add a new file instead.

-- Existing organisations' built-in roles get it (new organisations get it from the built-in roles).
INSERT INTO role_permissions (role_id, permission, scope)
SELECT id, 'awareness.read', CASE WHEN key = 'supervisor' THEN 'team' ELSE 'org' END FROM roles
WHERE built_in AND key IN ('supervisor', 'security_officer')
ON CONFLICT DO NOTHING;
