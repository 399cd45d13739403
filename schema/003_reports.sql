-- Reports (随手拍) and their life as tickets (API.md §4).

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    status          TEXT    NOT NULL CHECK (status IN ('submitted', 'accepted', 'assigned', 'in_progress',
                                                       'resolved', 'closed', 'rejected', 'duplicate')),
    category        TEXT    NOT NULL REFERENCES categories (code),
    description     TEXT    NOT NULL,
    lat             REAL    NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon             REAL    NOT NULL CHECK (lon BETWEEN -180 AND 180),
    address         TEXT,
    grid_id         INTEGER REFERENCES grids (id),
    assignee_id     INTEGER REFERENCES users (id),
    reporter_id     INTEGER NOT NULL REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    accepted_at     INTEGER,
    deadline_at     INTEGER,
    resolved_at     INTEGER,
    closed_at       INTEGER,
    extension_hours INTEGER NOT NULL DEFAULT 0 CHECK (extension_hours >= 0),
    rework_count    INTEGER NOT NULL DEFAULT 0 CHECK (rework_count >= 0),
    duplicate_of    INTEGER REFERENCES reports (id),
    rating          INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment  TEXT,
    points_awarded  INTEGER NOT NULL DEFAULT 0 CHECK (points_awarded >= 0),
    updated_at      INTEGER NOT NULL
);
-- One index per listing scope (newest first by id) and for the least-loaded-worker count.
CREATE INDEX reports_by_reporter ON reports (reporter_id, id);
CREATE INDEX reports_by_assignee ON reports (assignee_id, status);
CREATE INDEX reports_by_grid ON reports (grid_id, id);
CREATE INDEX reports_by_status ON reports (status, id);
CREATE INDEX reports_by_deadline ON reports (deadline_at) WHERE deadline_at IS NOT NULL
    AND status IN ('accepted', 'assigned', 'in_progress');

-- Open reports only (not closed/rejected/duplicate), as points, for the 50 m duplicate search.
CREATE VIRTUAL TABLE open_report_points USING rtree (id, min_lon, max_lon, min_lat, max_lat);

-- The ticket's history; one row per action, never updated.
CREATE TABLE report_events (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    at          INTEGER NOT NULL,
    actor_id    INTEGER NOT NULL REFERENCES users (id),
    action      TEXT    NOT NULL,
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    note        TEXT
);
CREATE INDEX report_events_by_report ON report_events (report_id, id);

-- Stored images, content-addressed: one row (and one file) per distinct cleaned image.
CREATE TABLE photo_blobs (
    sha256 TEXT    PRIMARY KEY,
    format TEXT    NOT NULL CHECK (format IN ('jpeg', 'png')),
    width  INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    bytes  INTEGER NOT NULL CHECK (bytes > 0),
    dhash  INTEGER NOT NULL
) WITHOUT ROWID;

-- A report's photos: which blob, at which stage.
CREATE TABLE photos (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports (id),
    stage      TEXT    NOT NULL CHECK (stage IN ('report', 'resolution')),
    sha256     TEXT    NOT NULL REFERENCES photo_blobs (sha256),
    created_at INTEGER NOT NULL
);
CREATE INDEX photos_by_report ON photos (report_id, id);
CREATE INDEX photos_by_sha ON photos (sha256, report_id);

-- Near-duplicate photo search: the 64-bit dHash cut into four 16-bit bands; two hashes within
-- Hamming distance 3 share at least one band exactly (pigeonhole), so an indexed lookup per band
-- finds every candidate. key = band * 65536 + band value.
CREATE TABLE photo_hash_bands (
    band_key  INTEGER NOT NULL,
    report_id INTEGER NOT NULL REFERENCES reports (id),
    dhash     INTEGER NOT NULL,
    PRIMARY KEY (band_key, report_id, dhash)
) WITHOUT ROWID;

-- Earlier reports whose photo this report's photo repeats (exactly or nearly), found on submit.
CREATE TABLE report_photo_reuse (
    report_id         INTEGER NOT NULL REFERENCES reports (id),
    earlier_report_id INTEGER NOT NULL REFERENCES reports (id),
    PRIMARY KEY (report_id, earlier_report_id)
) WITHOUT ROWID;
