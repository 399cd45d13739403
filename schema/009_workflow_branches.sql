-- The rest of the standard's workflow (API.md §4, issue 17): 核实 (checking), 挂账 (parked),
-- 自行处置 (self-handled) and 作废 (voided).

-- verified: a worker confirmed the problem on the spot (confirm_check). self_handled: filed by
-- the worker who fixed it (born resolved). check_deadline_at: when the 核实 worker should have
-- answered. parked_until: the date a parked ticket is to be looked at again; parked_at and
-- parked_from: when and from which status it was parked, so that unpark can return it there and
-- move its deadline by the time spent parked; parked_seconds: all the time it spent parked, so
-- that a deadline recomputed later (set_category) keeps those shifts.
ALTER TABLE reports ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
ALTER TABLE reports ADD COLUMN self_handled INTEGER NOT NULL DEFAULT 0 CHECK (self_handled IN (0, 1));
ALTER TABLE reports ADD COLUMN check_deadline_at INTEGER;
ALTER TABLE reports ADD COLUMN parked_until INTEGER;
ALTER TABLE reports ADD COLUMN parked_at INTEGER;
ALTER TABLE reports ADD COLUMN parked_from TEXT CHECK (parked_from IN ('accepted', 'assigned', 'in_progress'));
ALTER TABLE reports ADD COLUMN parked_seconds INTEGER NOT NULL DEFAULT 0 CHECK (parked_seconds >= 0);

-- Three CHECK constraints gain values: reports.status (checking, parked, voided), photos.stage
-- (check: the 核实 worker's photos) and ledger_transfers.kind (report_voided: points taken back
-- from a voided report). SQLite cannot ALTER a CHECK; widening one changes no stored row, so this
-- is SQLite's documented in-place procedure ("Making Other Kinds Of Table Schema Changes",
-- https://www.sqlite.org/lang_altertable.html): edit the CREATE text in sqlite_schema, inside
-- this migration's transaction, after the ALTERs above (ADD COLUMN rewrites that same text by
-- offsets), then RESET so that this connection re-reads it; the CREATE INDEX below bumps the
-- schema cookie so that every other connection re-reads it too. Rebuilding `reports` instead
-- would mean recreating the triggers and indexes of 003, 005 and 007 and switching foreign keys
-- off around a migration.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql, '''rejected'', ''duplicate''))', '''rejected'', ''duplicate'', ''checking'', ''parked'', ''voided''))')
WHERE type = 'table' AND name = 'reports';
UPDATE sqlite_schema
SET sql = replace(sql, 'stage IN (''report'', ''resolution'')', 'stage IN (''report'', ''resolution'', ''check'')')
WHERE type = 'table' AND name = 'photos';
UPDATE sqlite_schema
SET sql = replace(sql, '''credit_exchange'', ''adjustment'')', '''credit_exchange'', ''adjustment'', ''report_voided'')')
WHERE type = 'table' AND name = 'ledger_transfers';
PRAGMA writable_schema = RESET;

-- Parked tickets waiting for their date, for the city's list of 挂账 cases.
CREATE INDEX reports_by_parked_until ON reports (parked_until) WHERE status = 'parked';

-- 'open_reports' (007): a voided ticket is no longer open, like a closed one.
DROP TRIGGER epoch_open_reports_update;
CREATE TRIGGER epoch_open_reports_update AFTER UPDATE OF status, category, lat, lon, created_at ON reports
WHEN (OLD.status IN ('closed', 'rejected', 'duplicate', 'voided')) IS NOT
     (NEW.status IN ('closed', 'rejected', 'duplicate', 'voided'))
  OR OLD.category IS NOT NEW.category OR OLD.lat IS NOT NEW.lat OR OLD.lon IS NOT NEW.lon
  OR OLD.created_at IS NOT NEW.created_at
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'open_reports'; END;
