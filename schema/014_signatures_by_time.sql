-- Kiosk signatures seen (schema/004), keyed by time first: a signature is recorded at every kiosk
-- call, and with the random signature bytes leading the key each insert landed on a random page
-- of the table (plus one of the by-time index). With the timestamp leading, inserts append at the
-- key's end, the purge deletes a range at its start, and the by-time index is no longer needed.
-- The key stays exact for replays: a replay repeats the signed timestamp with the signature.
-- The columns are declared in the key's order: SQLite 3.40's PRAGMA quick_check (run on every
-- backup) reports false "NULL value" errors for a WITHOUT ROWID table whose key columns are not.
CREATE TABLE kiosk_signatures_by_time (
    timestamp INTEGER NOT NULL,
    kiosk_id  INTEGER NOT NULL REFERENCES kiosks (id),
    signature BLOB    NOT NULL,   -- the 32 raw bytes, so hex case cannot make a replay look new
    PRIMARY KEY (timestamp, kiosk_id, signature)
) WITHOUT ROWID;
INSERT INTO kiosk_signatures_by_time (kiosk_id, signature, timestamp)
    SELECT kiosk_id, signature, timestamp FROM kiosk_signatures_seen;
DROP TABLE kiosk_signatures_seen;
ALTER TABLE kiosk_signatures_by_time RENAME TO kiosk_signatures_seen;
