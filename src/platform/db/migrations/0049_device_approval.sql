-- Devices approved by an administrator (decision 0222, docs/devices.md
-- "Approval"). When an organisation asks for it (organisation setting `devices.approval`), a newly registered
-- browser counts as a registered device for files and exports only once another administrator approved it.
-- Devices registered before (self-service) count as approved when they were registered.
-- Frozen: never edit an applied migration; add a new file instead.

ALTER TABLE devices ADD COLUMN approved_at timestamptz;
ALTER TABLE devices ADD COLUMN approved_by uuid REFERENCES users (id) ON DELETE SET NULL;
UPDATE devices SET approved_at = created_at;
