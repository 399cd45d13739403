-- PostgreSQL twin of schema/014_signatures_by_time.sql: the seen kiosk signatures keyed by time
-- first, so that each call's insert lands at the right edge of one index instead of a random
-- leaf of the primary key plus the by-time index. Made again rather than altered so that its
-- columns stand in the key's order, as in the SQLite twin (which needs that order).
CREATE TABLE kiosk_signatures_by_time (
    timestamp BIGINT  NOT NULL,
    kiosk_id  BIGINT  NOT NULL REFERENCES kiosks (id),
    signature BYTEA   NOT NULL,
    PRIMARY KEY (timestamp, kiosk_id, signature)
);
INSERT INTO kiosk_signatures_by_time (timestamp, kiosk_id, signature)
    SELECT timestamp, kiosk_id, signature FROM kiosk_signatures_seen;
DROP TABLE kiosk_signatures_seen;
ALTER TABLE kiosk_signatures_by_time RENAME TO kiosk_signatures_seen;
ALTER TABLE kiosk_signatures_seen RENAME CONSTRAINT kiosk_signatures_by_time_pkey TO kiosk_signatures_seen_pkey;
ALTER TABLE kiosk_signatures_seen RENAME CONSTRAINT kiosk_signatures_by_time_kiosk_id_fkey TO kiosk_signatures_seen_kiosk_id_fkey;
