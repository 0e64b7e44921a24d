-- A run killed mid-way is continued by the sync's next run, which carries its first start and
-- its committed counts forward so the completion webhook announces everything the logical run
-- changed; each run points at its operation so the operation of a killed run can be closed.
ALTER TABLE runs ADD COLUMN first_started_at BIGINT NOT NULL DEFAULT 0;
UPDATE runs SET first_started_at = started_at;
ALTER TABLE runs ADD COLUMN resumed_from BIGINT;
ALTER TABLE runs ADD COLUMN operation TEXT;
ALTER TABLE runs ADD COLUMN added BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN updated BIGINT NOT NULL DEFAULT 0;
