-- PostgreSQL twin of schema/014_signatures_by_time.sql: the seen kiosk signatures keyed by time
-- first, so that each call's insert lands at the right edge of one index instead of a random
-- leaf of the primary key plus the by-time index.
ALTER TABLE kiosk_signatures_seen DROP CONSTRAINT kiosk_signatures_seen_pkey;
ALTER TABLE kiosk_signatures_seen ADD PRIMARY KEY (timestamp, kiosk_id, signature);
DROP INDEX kiosk_signatures_seen_by_time;
