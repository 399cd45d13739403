-- Closure statistics, supervision and the weekly bulletin (API.md §8); see docs/api.md §8.
--
-- A week's breakdown must stay fast with millions of reports, so the time-independent figures
-- are kept as running sums per (UTC hour of creation, grid), per (hour, grid, category) and per
-- (hour, grid, current assignee), maintained by triggers on `reports` in the same transaction as every
-- ticket change. The one figure that depends on "now" (overdue_open) cannot be pre-summed; it
-- is counted through a small partial index of accepted, not-yet-closed tickets.
-- `civicsnapd check` recomputes the sums from `reports` and compares.

-- What each report contributes to the sums: the single definition of every figure, used by
-- the triggers, by the recomputation check, and for the partial hours at a window's edges.
CREATE VIEW report_stat_facts AS
SELECT id,
       created_at,
       created_at / 3600 AS hour,
       coalesce(grid_id, 0) AS grid_key,
       category,
       coalesce(assignee_id, 0) AS worker_key,
       1 AS received,
       CASE WHEN accepted_at IS NOT NULL THEN 1 ELSE 0 END AS accepted,
       CASE WHEN status = 'rejected' THEN 1 ELSE 0 END AS rejected,
       CASE WHEN status = 'duplicate' THEN 1 ELSE 0 END AS duplicate,
       CASE WHEN status = 'closed' THEN 1 ELSE 0 END AS closed,
       CASE WHEN status = 'closed' AND closed_at <= deadline_at THEN 1 ELSE 0 END AS closed_on_time,
       -- rework and a low rating clear resolved_at, but both start from `resolved`, and closing
       -- needs it too: so the ticket reached `resolved` at least once exactly when this holds.
       CASE WHEN resolved_at IS NOT NULL OR closed_at IS NOT NULL OR rework_count > 0 THEN 1 ELSE 0 END
           AS resolved_ever,
       CASE WHEN rework_count > 0 THEN 1 ELSE 0 END AS reworked,
       CASE WHEN extension_hours > 0 THEN 1 ELSE 0 END AS extended,
       CASE WHEN status = 'closed' THEN closed_at - created_at ELSE 0 END AS close_seconds,
       coalesce(rating, 0) AS rating_sum,
       CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END AS rated
FROM reports;

CREATE TABLE stats_hour_grid_category (
    hour           INTEGER NOT NULL,   -- created_at / 3600 (UTC hours since 1970)
    grid_key       INTEGER NOT NULL,   -- grid id, 0 for reports outside every grid
    category       TEXT    NOT NULL,
    received       INTEGER NOT NULL,
    accepted       INTEGER NOT NULL,
    rejected       INTEGER NOT NULL,
    duplicate      INTEGER NOT NULL,
    closed         INTEGER NOT NULL,
    closed_on_time INTEGER NOT NULL,
    resolved_ever  INTEGER NOT NULL,
    reworked       INTEGER NOT NULL,
    extended       INTEGER NOT NULL,
    close_seconds  INTEGER NOT NULL,
    rating_sum     INTEGER NOT NULL,
    rated          INTEGER NOT NULL,
    PRIMARY KEY (hour, grid_key, category)
) WITHOUT ROWID;

-- The same per (hour, grid) only: the breakdown dashboards ask most (by grid, or no grouping)
-- reads one row per grid-hour, whatever the number of categories.
CREATE TABLE stats_hour_grid (
    hour           INTEGER NOT NULL,
    grid_key       INTEGER NOT NULL,
    received       INTEGER NOT NULL,
    accepted       INTEGER NOT NULL,
    rejected       INTEGER NOT NULL,
    duplicate      INTEGER NOT NULL,
    closed         INTEGER NOT NULL,
    closed_on_time INTEGER NOT NULL,
    resolved_ever  INTEGER NOT NULL,
    reworked       INTEGER NOT NULL,
    extended       INTEGER NOT NULL,
    close_seconds  INTEGER NOT NULL,
    rating_sum     INTEGER NOT NULL,
    rated          INTEGER NOT NULL,
    PRIMARY KEY (hour, grid_key)
) WITHOUT ROWID;

CREATE TABLE stats_hour_grid_worker (
    hour           INTEGER NOT NULL,
    grid_key       INTEGER NOT NULL,
    worker_key     INTEGER NOT NULL,   -- current assignee, 0 for none
    received       INTEGER NOT NULL,
    accepted       INTEGER NOT NULL,
    rejected       INTEGER NOT NULL,
    duplicate      INTEGER NOT NULL,
    closed         INTEGER NOT NULL,
    closed_on_time INTEGER NOT NULL,
    resolved_ever  INTEGER NOT NULL,
    reworked       INTEGER NOT NULL,
    extended       INTEGER NOT NULL,
    close_seconds  INTEGER NOT NULL,
    rating_sum     INTEGER NOT NULL,
    rated          INTEGER NOT NULL,
    PRIMARY KEY (hour, grid_key, worker_key)
) WITHOUT ROWID;

-- Reports per reporter per Asia/Shanghai ISO week (Monday 00:00 UTC+8), for the bulletin's top
-- reporters. week_key = (created_at + 8 h + 3 days) / 7 days: 1970-01-01 was a Thursday.
CREATE VIEW report_reporter_facts AS
SELECT id,
       (created_at + 28800 + 259200) / 604800 AS week_key,
       reporter_id,
       1 AS received,
       CASE WHEN accepted_at IS NOT NULL THEN 1 ELSE 0 END AS accepted,
       CASE WHEN status = 'closed' THEN 1 ELSE 0 END AS closed
FROM reports;

CREATE TABLE stats_week_reporter (
    week_key    INTEGER NOT NULL,
    reporter_id INTEGER NOT NULL,
    received    INTEGER NOT NULL,
    accepted    INTEGER NOT NULL,
    closed      INTEGER NOT NULL,
    PRIMARY KEY (week_key, reporter_id)
) WITHOUT ROWID;

-- Add (sign +1) or take away (sign -1) one report's contribution. Written three times below
-- because a trigger cannot call a shared routine; each copy reads the same view.
CREATE TRIGGER reports_stats_after_insert AFTER INSERT ON reports
BEGIN
    INSERT INTO stats_hour_grid_category
    SELECT hour, grid_key, category, received, accepted, rejected, duplicate, closed, closed_on_time,
           resolved_ever, reworked, extended, close_seconds, rating_sum, rated
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key, category) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_hour_grid
    SELECT hour, grid_key, received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, close_seconds, rating_sum, rated
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_hour_grid_worker
    SELECT hour, grid_key, worker_key, received, accepted, rejected, duplicate, closed, closed_on_time,
           resolved_ever, reworked, extended, close_seconds, rating_sum, rated
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key, worker_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_week_reporter
    SELECT week_key, reporter_id, received, accepted, closed FROM report_reporter_facts WHERE id = NEW.id
    ON CONFLICT (week_key, reporter_id) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        closed = closed + excluded.closed;
END;

-- An update first takes the old row's contribution away (BEFORE: the view still sees the old
-- row), then adds the new one (AFTER).
CREATE TRIGGER reports_stats_before_update BEFORE UPDATE ON reports
BEGIN
    INSERT INTO stats_hour_grid_category
    SELECT hour, grid_key, category, -received, -accepted, -rejected, -duplicate, -closed, -closed_on_time,
           -resolved_ever, -reworked, -extended, -close_seconds, -rating_sum, -rated
    FROM report_stat_facts WHERE id = OLD.id
    ON CONFLICT (hour, grid_key, category) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_hour_grid
    SELECT hour, grid_key, -received, -accepted, -rejected, -duplicate, -closed, -closed_on_time, -resolved_ever, -reworked, -extended, -close_seconds, -rating_sum, -rated
    FROM report_stat_facts WHERE id = OLD.id
    ON CONFLICT (hour, grid_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_hour_grid_worker
    SELECT hour, grid_key, worker_key, -received, -accepted, -rejected, -duplicate, -closed, -closed_on_time,
           -resolved_ever, -reworked, -extended, -close_seconds, -rating_sum, -rated
    FROM report_stat_facts WHERE id = OLD.id
    ON CONFLICT (hour, grid_key, worker_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_week_reporter
    SELECT week_key, reporter_id, -received, -accepted, -closed FROM report_reporter_facts WHERE id = OLD.id
    ON CONFLICT (week_key, reporter_id) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        closed = closed + excluded.closed;
END;

CREATE TRIGGER reports_stats_after_update AFTER UPDATE ON reports
BEGIN
    INSERT INTO stats_hour_grid_category
    SELECT hour, grid_key, category, received, accepted, rejected, duplicate, closed, closed_on_time,
           resolved_ever, reworked, extended, close_seconds, rating_sum, rated
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key, category) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_hour_grid
    SELECT hour, grid_key, received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, close_seconds, rating_sum, rated
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_hour_grid_worker
    SELECT hour, grid_key, worker_key, received, accepted, rejected, duplicate, closed, closed_on_time,
           resolved_ever, reworked, extended, close_seconds, rating_sum, rated
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key, worker_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated;
    INSERT INTO stats_week_reporter
    SELECT week_key, reporter_id, received, accepted, closed FROM report_reporter_facts WHERE id = NEW.id
    ON CONFLICT (week_key, reporter_id) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        closed = closed + excluded.closed;
END;

-- Reports are never deleted (the ticket history is the record); refuse it, so the sums above
-- cannot silently drift.
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports
BEGIN SELECT RAISE(ABORT, 'reports are never deleted'); END;

-- Sums for reports that existed before this migration.
INSERT INTO stats_hour_grid_category
SELECT hour, grid_key, category, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed),
       sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum),
       sum(rated)
FROM report_stat_facts GROUP BY hour, grid_key, category;
INSERT INTO stats_hour_grid
SELECT hour, grid_key, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed),
       sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum),
       sum(rated)
FROM report_stat_facts GROUP BY hour, grid_key;
INSERT INTO stats_hour_grid_worker
SELECT hour, grid_key, worker_key, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed),
       sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum),
       sum(rated)
FROM report_stat_facts GROUP BY hour, grid_key, worker_key;
INSERT INTO stats_week_reporter
SELECT week_key, reporter_id, sum(received), sum(accepted), sum(closed)
FROM report_reporter_facts GROUP BY week_key, reporter_id;

-- Creation time: the partial hours at the edges of a window are summed from the rows.
CREATE INDEX reports_by_created ON reports (created_at);

-- Accepted tickets not yet closed, by creation time: overdue_open for any window and "now"
-- without touching closed tickets. Covering, so the count never reads the table.
CREATE INDEX reports_open_accepted ON reports (created_at, deadline_at, grid_id, category, assignee_id, accepted_at,
                                               closed_at)
    WHERE accepted_at IS NOT NULL AND closed_at IS NULL;

-- The supervision list (督办): the same tickets, most overdue (earliest deadline) first.
CREATE INDEX reports_open_by_deadline ON reports (deadline_at) WHERE accepted_at IS NOT NULL AND closed_at IS NULL;

-- Points figures: one range per transfer kind instead of a scan of the whole ledger.
CREATE INDEX ledger_transfers_by_kind ON ledger_transfers (kind, amount);
