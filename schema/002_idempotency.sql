-- Idempotency-Key (API.md §0): the first response to (caller, key), kept 24 h.
CREATE TABLE idempotency_keys (
    caller       TEXT    NOT NULL,   -- 'user:<id>' or 'kiosk:<id>'
    key          TEXT    NOT NULL,
    fingerprint  BLOB    NOT NULL,   -- SHA-256 of what the request asked for
    status       INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    body         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (caller, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
