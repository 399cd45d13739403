-- Foundation: accounts, sessions, login lockout, grids, categories, kiosks, rewards.
-- Times are unix seconds (UTC). Money-like amounts (points) are integers.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    phone         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('resident', 'worker', 'manager', 'dispatcher', 'admin')),
    created_at    INTEGER NOT NULL
);
CREATE INDEX users_by_role ON users (role, id);

-- Session tokens are stored only as SHA-256 hashes.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed-login window per phone number (known or not, so the lockout reveals nothing).
CREATE TABLE login_lockouts (
    phone        TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE grids (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    boundary    TEXT    NOT NULL,   -- the GeoJSON geometry, re-serialised compactly
    auto_assign INTEGER NOT NULL CHECK (auto_assign IN (0, 1)),
    area_m2     REAL    NOT NULL,
    created_at  INTEGER NOT NULL
);
-- Bounding boxes for routing: candidates come from the R*Tree, the exact test is done in code.
CREATE VIRTUAL TABLE grid_boxes USING rtree (id, min_lon, max_lon, min_lat, max_lat);

CREATE TABLE user_grids (
    user_id INTEGER NOT NULL REFERENCES users (id),
    grid_id INTEGER NOT NULL REFERENCES grids (id),
    PRIMARY KEY (user_id, grid_id)
) WITHOUT ROWID;
CREATE INDEX user_grids_by_grid ON user_grids (grid_id, user_id);

CREATE TABLE categories (
    code             TEXT    PRIMARY KEY,
    name             TEXT    NOT NULL,
    sla_hours        INTEGER NOT NULL CHECK (sla_hours > 0),
    points_on_accept INTEGER NOT NULL CHECK (points_on_accept >= 0),
    points_on_close  INTEGER NOT NULL CHECK (points_on_close >= 0),
    created_at       INTEGER NOT NULL
) WITHOUT ROWID;

-- A kiosk's HMAC secret is needed in clear to verify signatures, so it is kept encrypted
-- (AES-256-GCM) under the data dir's master key rather than hashed.
CREATE TABLE kiosks (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    store      TEXT    NOT NULL,
    key_id     TEXT    NOT NULL UNIQUE,
    secret_enc BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE rewards (
    sku         TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    points_cost INTEGER NOT NULL CHECK (points_cost > 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    kind        TEXT    NOT NULL CHECK (kind IN ('goods', 'honour')),
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;
