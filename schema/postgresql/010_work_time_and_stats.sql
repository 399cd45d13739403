-- PostgreSQL twin of schema/010_work_time_and_stats.sql (see there).
CREATE TABLE work_calendar (
    id            BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    calendar_json TEXT   NOT NULL,
    updated_at    BIGINT NOT NULL
);

ALTER TABLE categories ADD COLUMN sla_unit TEXT NOT NULL DEFAULT 'hours'
    CHECK (sla_unit IN ('hours', 'work_hours', 'work_days'));

ALTER TABLE stats_hour_grid_category ADD COLUMN checked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_category ADD COLUMN refuted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_category ADD COLUMN parked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_category ADD COLUMN self_handled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_category ADD COLUMN voided BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN checked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN refuted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN parked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN self_handled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN voided BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN checked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN refuted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN parked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN self_handled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN voided BIGINT NOT NULL DEFAULT 0;

DROP TRIGGER reports_stats ON reports;
DROP FUNCTION reports_stats_apply();
DROP VIEW report_stat_facts;
DROP FUNCTION report_stat_facts_of(reports);

CREATE FUNCTION report_stat_facts_of(r reports)
RETURNS TABLE (id BIGINT, created_at BIGINT, hour BIGINT, grid_key BIGINT, category TEXT, worker_key BIGINT,
               received BIGINT, accepted BIGINT, rejected BIGINT, duplicate BIGINT, closed BIGINT, closed_on_time BIGINT, resolved_ever BIGINT, reworked BIGINT, extended BIGINT, close_seconds BIGINT, rating_sum BIGINT, rated BIGINT, checked BIGINT, refuted BIGINT, parked BIGINT, self_handled BIGINT, voided BIGINT)
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
       CASE WHEN r.resolved_at IS NOT NULL OR r.closed_at IS NOT NULL OR r.rework_count > 0 THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.rework_count > 0 THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.extension_hours > 0 THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'closed' THEN r.closed_at - r.created_at ELSE 0 END::BIGINT,
       coalesce(r.rating, 0)::BIGINT,
       CASE WHEN r.rating IS NOT NULL THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.check_deadline_at IS NOT NULL OR r.verified = 1 OR r.status = 'checking' THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'rejected' AND r.check_deadline_at IS NOT NULL AND r.verified = 0 THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'parked' THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.self_handled = 1 THEN 1 ELSE 0 END::BIGINT,
       CASE WHEN r.status = 'voided' THEN 1 ELSE 0 END::BIGINT
$$;

CREATE VIEW report_stat_facts AS
SELECT f.* FROM reports r CROSS JOIN LATERAL report_stat_facts_of(r) f;

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
        VALUES (f.hour, f.grid_key, f.category, signs[i] * f.received, signs[i] * f.accepted, signs[i] * f.rejected, signs[i] * f.duplicate, signs[i] * f.closed, signs[i] * f.closed_on_time, signs[i] * f.resolved_ever, signs[i] * f.reworked, signs[i] * f.extended, signs[i] * f.close_seconds, signs[i] * f.rating_sum, signs[i] * f.rated, signs[i] * f.checked, signs[i] * f.refuted, signs[i] * f.parked, signs[i] * f.self_handled, signs[i] * f.voided)
        ON CONFLICT (hour, grid_key, category) DO UPDATE SET
            received = t.received + excluded.received, accepted = t.accepted + excluded.accepted,
            rejected = t.rejected + excluded.rejected, duplicate = t.duplicate + excluded.duplicate,
            closed = t.closed + excluded.closed, closed_on_time = t.closed_on_time + excluded.closed_on_time,
            resolved_ever = t.resolved_ever + excluded.resolved_ever, reworked = t.reworked + excluded.reworked,
            extended = t.extended + excluded.extended, close_seconds = t.close_seconds + excluded.close_seconds,
            rating_sum = t.rating_sum + excluded.rating_sum, rated = t.rated + excluded.rated,
            checked = t.checked + excluded.checked, refuted = t.refuted + excluded.refuted,
            parked = t.parked + excluded.parked, self_handled = t.self_handled + excluded.self_handled,
            voided = t.voided + excluded.voided;
        INSERT INTO stats_hour_grid AS t
        VALUES (f.hour, f.grid_key, signs[i] * f.received, signs[i] * f.accepted, signs[i] * f.rejected, signs[i] * f.duplicate, signs[i] * f.closed, signs[i] * f.closed_on_time, signs[i] * f.resolved_ever, signs[i] * f.reworked, signs[i] * f.extended, signs[i] * f.close_seconds, signs[i] * f.rating_sum, signs[i] * f.rated, signs[i] * f.checked, signs[i] * f.refuted, signs[i] * f.parked, signs[i] * f.self_handled, signs[i] * f.voided)
        ON CONFLICT (hour, grid_key) DO UPDATE SET
            received = t.received + excluded.received, accepted = t.accepted + excluded.accepted,
            rejected = t.rejected + excluded.rejected, duplicate = t.duplicate + excluded.duplicate,
            closed = t.closed + excluded.closed, closed_on_time = t.closed_on_time + excluded.closed_on_time,
            resolved_ever = t.resolved_ever + excluded.resolved_ever, reworked = t.reworked + excluded.reworked,
            extended = t.extended + excluded.extended, close_seconds = t.close_seconds + excluded.close_seconds,
            rating_sum = t.rating_sum + excluded.rating_sum, rated = t.rated + excluded.rated,
            checked = t.checked + excluded.checked, refuted = t.refuted + excluded.refuted,
            parked = t.parked + excluded.parked, self_handled = t.self_handled + excluded.self_handled,
            voided = t.voided + excluded.voided;
        INSERT INTO stats_hour_grid_worker AS t
        VALUES (f.hour, f.grid_key, f.worker_key, signs[i] * f.received, signs[i] * f.accepted, signs[i] * f.rejected, signs[i] * f.duplicate, signs[i] * f.closed, signs[i] * f.closed_on_time, signs[i] * f.resolved_ever, signs[i] * f.reworked, signs[i] * f.extended, signs[i] * f.close_seconds, signs[i] * f.rating_sum, signs[i] * f.rated, signs[i] * f.checked, signs[i] * f.refuted, signs[i] * f.parked, signs[i] * f.self_handled, signs[i] * f.voided)
        ON CONFLICT (hour, grid_key, worker_key) DO UPDATE SET
            received = t.received + excluded.received, accepted = t.accepted + excluded.accepted,
            rejected = t.rejected + excluded.rejected, duplicate = t.duplicate + excluded.duplicate,
            closed = t.closed + excluded.closed, closed_on_time = t.closed_on_time + excluded.closed_on_time,
            resolved_ever = t.resolved_ever + excluded.resolved_ever, reworked = t.reworked + excluded.reworked,
            extended = t.extended + excluded.extended, close_seconds = t.close_seconds + excluded.close_seconds,
            rating_sum = t.rating_sum + excluded.rating_sum, rated = t.rated + excluded.rated,
            checked = t.checked + excluded.checked, refuted = t.refuted + excluded.refuted,
            parked = t.parked + excluded.parked, self_handled = t.self_handled + excluded.self_handled,
            voided = t.voided + excluded.voided;
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

DELETE FROM stats_hour_grid_category;
INSERT INTO stats_hour_grid_category
SELECT hour, grid_key, category, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed), sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum), sum(rated), sum(checked), sum(refuted), sum(parked), sum(self_handled), sum(voided)
FROM report_stat_facts GROUP BY hour, grid_key, category;
DELETE FROM stats_hour_grid;
INSERT INTO stats_hour_grid
SELECT hour, grid_key, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed), sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum), sum(rated), sum(checked), sum(refuted), sum(parked), sum(self_handled), sum(voided)
FROM report_stat_facts GROUP BY hour, grid_key;
DELETE FROM stats_hour_grid_worker;
INSERT INTO stats_hour_grid_worker
SELECT hour, grid_key, worker_key, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed), sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum), sum(rated), sum(checked), sum(refuted), sum(parked), sum(self_handled), sum(voided)
FROM report_stat_facts GROUP BY hour, grid_key, worker_key;
