-- PostgreSQL twin of schema/005_stats.sql: closure statistics kept as running sums per (UTC hour
-- of creation, grid[, category | current assignee]) and per (ISO week, reporter), maintained in
-- the same transaction as every ticket change.
--
-- SQLite needs the sums' upserts written out in three triggers reading a view; here one
-- PL/pgSQL trigger function does it, and what a report contributes is defined once, by
-- report_stat_facts_of(reports) — used by the trigger (on OLD and NEW), by the view
-- report_stat_facts (the recomputation check, the partial hours at a window's edges), and by
-- the back-fill below. Figures and column names are those of the SQLite view.

CREATE FUNCTION report_stat_facts_of(r reports)
RETURNS TABLE (id BIGINT, created_at BIGINT, hour BIGINT, grid_key BIGINT, category TEXT, worker_key BIGINT,
               received BIGINT, accepted BIGINT, rejected BIGINT, duplicate BIGINT, closed BIGINT,
               closed_on_time BIGINT, resolved_ever BIGINT, reworked BIGINT, extended BIGINT,
               close_seconds BIGINT, rating_sum BIGINT, rated BIGINT)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT r.id,
       r.created_at,
       r.created_at / 3600,
       coalesce(r.grid_id, 0),
       r.category,
       coalesce(r.assignee_id, 0),
       1::BIGINT,
       CASE WHEN r.accepted_at IS NOT NULL THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'rejected' THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'duplicate' THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'closed' THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'closed' AND r.closed_at <= r.deadline_at THEN 1 ELSE 0 END::BIGINT,
       -- rework and a low rating clear resolved_at, but both start from `resolved`, and closing
       -- needs it too: so the ticket reached `resolved` at least once exactly when this holds.
       CASE WHEN r.resolved_at IS NOT NULL OR r.closed_at IS NOT NULL OR r.rework_count > 0 THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.rework_count > 0 THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.extension_hours > 0 THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'closed' THEN r.closed_at - r.created_at ELSE 0 END::BIGINT,
       coalesce(r.rating, 0)::BIGINT,
       CASE WHEN r.rating IS NOT NULL THEN 1 ELSE 0 END::BIGINT
$$;

CREATE VIEW report_stat_facts AS
SELECT f.* FROM reports r CROSS JOIN LATERAL report_stat_facts_of(r) f;

-- Reports per reporter per Asia/Shanghai ISO week (Monday 00:00 UTC+8).
-- week_key = (created_at + 8 h + 3 days) / 7 days: 1970-01-01 was a Thursday.
CREATE FUNCTION report_reporter_facts_of(r reports)
RETURNS TABLE (id BIGINT, week_key BIGINT, reporter_id BIGINT, received BIGINT, accepted BIGINT, closed BIGINT)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT r.id,
       (r.created_at + 28800 + 259200) / 604800,
       r.reporter_id,
       1::BIGINT,
       CASE WHEN r.accepted_at IS NOT NULL THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'closed' THEN 1 ELSE 0 END::BIGINT
$$;

CREATE VIEW report_reporter_facts AS
SELECT f.* FROM reports r CROSS JOIN LATERAL report_reporter_facts_of(r) f;

CREATE TABLE stats_hour_grid_category (
    hour           BIGINT NOT NULL,
    grid_key       BIGINT NOT NULL,
    category       TEXT   NOT NULL,
    received       BIGINT NOT NULL,
    accepted       BIGINT NOT NULL,
    rejected       BIGINT NOT NULL,
    duplicate      BIGINT NOT NULL,
    closed         BIGINT NOT NULL,
    closed_on_time BIGINT NOT NULL,
    resolved_ever  BIGINT NOT NULL,
    reworked       BIGINT NOT NULL,
    extended       BIGINT NOT NULL,
    close_seconds  BIGINT NOT NULL,
    rating_sum     BIGINT NOT NULL,
    rated          BIGINT NOT NULL,
    PRIMARY KEY (hour, grid_key, category)
);

CREATE TABLE stats_hour_grid (
    hour           BIGINT NOT NULL,
    grid_key       BIGINT NOT NULL,
    received       BIGINT NOT NULL,
    accepted       BIGINT NOT NULL,
    rejected       BIGINT NOT NULL,
    duplicate      BIGINT NOT NULL,
    closed         BIGINT NOT NULL,
    closed_on_time BIGINT NOT NULL,
    resolved_ever  BIGINT NOT NULL,
    reworked       BIGINT NOT NULL,
    extended       BIGINT NOT NULL,
    close_seconds  BIGINT NOT NULL,
    rating_sum     BIGINT NOT NULL,
    rated          BIGINT NOT NULL,
    PRIMARY KEY (hour, grid_key)
);

CREATE TABLE stats_hour_grid_worker (
    hour           BIGINT NOT NULL,
    grid_key       BIGINT NOT NULL,
    worker_key     BIGINT NOT NULL,
    received       BIGINT NOT NULL,
    accepted       BIGINT NOT NULL,
    rejected       BIGINT NOT NULL,
    duplicate      BIGINT NOT NULL,
    closed         BIGINT NOT NULL,
    closed_on_time BIGINT NOT NULL,
    resolved_ever  BIGINT NOT NULL,
    reworked       BIGINT NOT NULL,
    extended       BIGINT NOT NULL,
    close_seconds  BIGINT NOT NULL,
    rating_sum     BIGINT NOT NULL,
    rated          BIGINT NOT NULL,
    PRIMARY KEY (hour, grid_key, worker_key)
);

CREATE TABLE stats_week_reporter (
    week_key    BIGINT NOT NULL,
    reporter_id BIGINT NOT NULL,
    received    BIGINT NOT NULL,
    accepted    BIGINT NOT NULL,
    closed      BIGINT NOT NULL,
    PRIMARY KEY (week_key, reporter_id)
);

-- The one trigger function: an insert adds NEW's contribution; an update takes OLD's away and
-- adds NEW's — unless the two are equal (most updates: a note, an assignee's timestamp), when
-- nothing is written, so concurrent ticket updates do not queue on the sums' rows for nothing.
CREATE FUNCTION reports_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    versions reports[];
    signs    BIGINT[];
    f        record;
    w        record;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (SELECT x FROM report_stat_facts_of(OLD) x) IS NOT DISTINCT FROM (SELECT x FROM report_stat_facts_of(NEW) x)
           AND (SELECT x FROM report_reporter_facts_of(OLD) x) IS NOT DISTINCT FROM
               (SELECT x FROM report_reporter_facts_of(NEW) x) THEN
            RETURN NULL;
        END IF;
        versions := ARRAY[OLD, NEW];
        signs := ARRAY[-1, 1];
    ELSE
        versions := ARRAY[NEW];
        signs := ARRAY[1];
    END IF;
    FOR i IN 1 .. array_length(versions, 1) LOOP
        SELECT * INTO f FROM report_stat_facts_of(versions[i]);
        SELECT * INTO w FROM report_reporter_facts_of(versions[i]);
        INSERT INTO stats_hour_grid_category AS t
        VALUES (f.hour, f.grid_key, f.category, signs[i] * f.received, signs[i] * f.accepted,
                signs[i] * f.rejected, signs[i] * f.duplicate, signs[i] * f.closed, signs[i] * f.closed_on_time,
                signs[i] * f.resolved_ever, signs[i] * f.reworked, signs[i] * f.extended,
                signs[i] * f.close_seconds, signs[i] * f.rating_sum, signs[i] * f.rated)
        ON CONFLICT (hour, grid_key, category) DO UPDATE SET
            received = t.received + excluded.received, accepted = t.accepted + excluded.accepted,
            rejected = t.rejected + excluded.rejected, duplicate = t.duplicate + excluded.duplicate,
            closed = t.closed + excluded.closed, closed_on_time = t.closed_on_time + excluded.closed_on_time,
            resolved_ever = t.resolved_ever + excluded.resolved_ever, reworked = t.reworked + excluded.reworked,
            extended = t.extended + excluded.extended, close_seconds = t.close_seconds + excluded.close_seconds,
            rating_sum = t.rating_sum + excluded.rating_sum, rated = t.rated + excluded.rated;
        INSERT INTO stats_hour_grid AS t
        VALUES (f.hour, f.grid_key, signs[i] * f.received, signs[i] * f.accepted,
                signs[i] * f.rejected, signs[i] * f.duplicate, signs[i] * f.closed, signs[i] * f.closed_on_time,
                signs[i] * f.resolved_ever, signs[i] * f.reworked, signs[i] * f.extended,
                signs[i] * f.close_seconds, signs[i] * f.rating_sum, signs[i] * f.rated)
        ON CONFLICT (hour, grid_key) DO UPDATE SET
            received = t.received + excluded.received, accepted = t.accepted + excluded.accepted,
            rejected = t.rejected + excluded.rejected, duplicate = t.duplicate + excluded.duplicate,
            closed = t.closed + excluded.closed, closed_on_time = t.closed_on_time + excluded.closed_on_time,
            resolved_ever = t.resolved_ever + excluded.resolved_ever, reworked = t.reworked + excluded.reworked,
            extended = t.extended + excluded.extended, close_seconds = t.close_seconds + excluded.close_seconds,
            rating_sum = t.rating_sum + excluded.rating_sum, rated = t.rated + excluded.rated;
        INSERT INTO stats_hour_grid_worker AS t
        VALUES (f.hour, f.grid_key, f.worker_key, signs[i] * f.received, signs[i] * f.accepted,
                signs[i] * f.rejected, signs[i] * f.duplicate, signs[i] * f.closed, signs[i] * f.closed_on_time,
                signs[i] * f.resolved_ever, signs[i] * f.reworked, signs[i] * f.extended,
                signs[i] * f.close_seconds, signs[i] * f.rating_sum, signs[i] * f.rated)
        ON CONFLICT (hour, grid_key, worker_key) DO UPDATE SET
            received = t.received + excluded.received, accepted = t.accepted + excluded.accepted,
            rejected = t.rejected + excluded.rejected, duplicate = t.duplicate + excluded.duplicate,
            closed = t.closed + excluded.closed, closed_on_time = t.closed_on_time + excluded.closed_on_time,
            resolved_ever = t.resolved_ever + excluded.resolved_ever, reworked = t.reworked + excluded.reworked,
            extended = t.extended + excluded.extended, close_seconds = t.close_seconds + excluded.close_seconds,
            rating_sum = t.rating_sum + excluded.rating_sum, rated = t.rated + excluded.rated;
        INSERT INTO stats_week_reporter AS t
        VALUES (w.week_key, w.reporter_id, signs[i] * w.received, signs[i] * w.accepted, signs[i] * w.closed)
        ON CONFLICT (week_key, reporter_id) DO UPDATE SET
            received = t.received + excluded.received, accepted = t.accepted + excluded.accepted,
            closed = t.closed + excluded.closed;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER reports_stats AFTER INSERT OR UPDATE ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_stats_apply();

-- Reports are never deleted (the ticket history is the record); refuse it, so the sums above
-- cannot silently drift.
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION civic_refuse('reports are never deleted');

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

CREATE INDEX reports_by_created ON reports (created_at);

CREATE INDEX reports_open_accepted ON reports (created_at, deadline_at, grid_id, category, assignee_id, accepted_at,
                                               closed_at)
    WHERE accepted_at IS NOT NULL AND closed_at IS NULL;

CREATE INDEX reports_open_by_deadline ON reports (deadline_at) WHERE accepted_at IS NOT NULL AND closed_at IS NULL;

CREATE INDEX ledger_transfers_by_kind ON ledger_transfers (kind, amount);
