-- STAND-IN on branch wf-time only: the columns and statuses of the rest of the standard's workflow
-- (API.md §4) that 010's statistics read. The real migration 009 is written on branch wf-actions
-- (核实, 挂账, 自行处置, 作废); at the merge, take wf-actions' file whole in place of this one.
ALTER TABLE reports ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
ALTER TABLE reports ADD COLUMN self_handled INTEGER NOT NULL DEFAULT 0 CHECK (self_handled IN (0, 1));
ALTER TABLE reports ADD COLUMN check_deadline_at INTEGER;
ALTER TABLE reports ADD COLUMN parked_until INTEGER;
ALTER TABLE reports ADD COLUMN parked_at INTEGER;
ALTER TABLE reports ADD COLUMN parked_from TEXT CHECK (parked_from IN ('accepted', 'assigned', 'in_progress'));

-- reports.status gains checking, parked, voided. SQLite cannot ALTER a CHECK; widening one changes
-- no stored row, so the CREATE text is edited in place (https://www.sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"); the index below bumps the schema cookie.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql, '''rejected'', ''duplicate''))', '''rejected'', ''duplicate'', ''checking'', ''parked'', ''voided''))')
WHERE type = 'table' AND name = 'reports';
PRAGMA writable_schema = RESET;

CREATE INDEX reports_by_parked_until ON reports (parked_until) WHERE status = 'parked';
