-- PostgreSQL twin of schema/009_workflow_branches.sql: 核实 (checking), 挂账 (parked), 自行处置
-- (self-handled) and 作废 (voided).
ALTER TABLE reports ADD COLUMN verified BIGINT NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
ALTER TABLE reports ADD COLUMN self_handled BIGINT NOT NULL DEFAULT 0 CHECK (self_handled IN (0, 1));
ALTER TABLE reports ADD COLUMN check_deadline_at BIGINT;
ALTER TABLE reports ADD COLUMN parked_until BIGINT;
ALTER TABLE reports ADD COLUMN parked_at BIGINT;
ALTER TABLE reports ADD COLUMN parked_from TEXT CHECK (parked_from IN ('accepted', 'assigned', 'in_progress'));
ALTER TABLE reports ADD COLUMN parked_seconds BIGINT NOT NULL DEFAULT 0 CHECK (parked_seconds >= 0);

-- The CHECKs that gain values (SQLite edits their text in place; here they are replaced).
ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check
    CHECK (status IN ('submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected',
                      'duplicate', 'checking', 'parked', 'voided'));
ALTER TABLE photos DROP CONSTRAINT photos_stage_check;
ALTER TABLE photos ADD CONSTRAINT photos_stage_check CHECK (stage IN ('report', 'resolution', 'check'));
ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_kind_check;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_kind_check
    CHECK (kind IN ('report_accepted', 'report_closed', 'redemption', 'redemption_void', 'donation',
                    'honour_exchange', 'credit_exchange', 'adjustment', 'report_voided'));

CREATE INDEX reports_by_parked_until ON reports (parked_until) WHERE status = 'parked';

-- 'open_reports' (007): a voided ticket is no longer open, like a closed one.
DROP TRIGGER epoch_open_reports_update ON reports;
CREATE TRIGGER epoch_open_reports_update AFTER UPDATE OF status, category, lat, lon, created_at ON reports
    FOR EACH ROW
    WHEN ((OLD.status IN ('closed', 'rejected', 'duplicate', 'voided'))
              IS DISTINCT FROM (NEW.status IN ('closed', 'rejected', 'duplicate', 'voided'))
          OR OLD.category IS DISTINCT FROM NEW.category OR OLD.lat IS DISTINCT FROM NEW.lat
          OR OLD.lon IS DISTINCT FROM NEW.lon OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION civic_epoch_bump('open_reports');
