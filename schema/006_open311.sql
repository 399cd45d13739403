-- Open311 GeoReport v2 (API.md §10): partner apps' keys, the media URLs they send, and an index
-- for the date windows of GET requests.

-- A partner app posts reports with an api_key. Only the key's SHA-256 is kept. Each partner owns
-- a hidden account (users row, never able to log in: its phone is not a phone number and its
-- password hash is not a hash) so that its reports have a reporter like every other report;
-- domain/reports pays no points to it.
CREATE TABLE open311_partners (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    key_hash   BLOB    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL UNIQUE REFERENCES users (id),
    created_at INTEGER NOT NULL
);

-- media_url as the partner sent it; stored, never fetched by the server.
CREATE TABLE open311_media_urls (
    report_id INTEGER PRIMARY KEY REFERENCES reports (id),
    url       TEXT    NOT NULL
) WITHOUT ROWID;

-- Date windows (newest first) use 005's reports_by_created: an index on (created_at) already
-- orders ties by rowid, which is the report id.
