-- STAND-IN on branch wf-time only (see schema/009_workflow_branches.sql): take wf-actions' file at
-- the merge.
ALTER TABLE reports ADD COLUMN verified BIGINT NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
ALTER TABLE reports ADD COLUMN self_handled BIGINT NOT NULL DEFAULT 0 CHECK (self_handled IN (0, 1));
ALTER TABLE reports ADD COLUMN check_deadline_at BIGINT;
ALTER TABLE reports ADD COLUMN parked_until BIGINT;
ALTER TABLE reports ADD COLUMN parked_at BIGINT;
ALTER TABLE reports ADD COLUMN parked_from TEXT CHECK (parked_from IN ('accepted', 'assigned', 'in_progress'));

ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check
    CHECK (status IN ('submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected',
                      'duplicate', 'checking', 'parked', 'voided'));

CREATE INDEX reports_by_parked_until ON reports (parked_until) WHERE status = 'parked';
