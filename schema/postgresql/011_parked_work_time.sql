-- PostgreSQL twin of schema/011_parked_work_time.sql: the working time a ticket spent parked (挂账),
-- beside 009's calendar seconds.
ALTER TABLE reports ADD COLUMN parked_work_seconds BIGINT NOT NULL DEFAULT 0 CHECK (parked_work_seconds >= 0);
