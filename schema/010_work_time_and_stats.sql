-- Issue 17, working time and statistics (API.md §4 "The rest of the standard's workflow",
-- docs/workflow.md).
--
-- The city's working calendar: one row, the canonical JSON of common/work_calendar (absent: the
-- default calendar, Asia/Shanghai 08:30-12:00 and 14:30-18:00, Monday to Friday, no holidays).
CREATE TABLE work_calendar (
    id            INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    calendar_json TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- A category's time limit: sla_hours holds the amount, sla_unit says in what. 'hours': calendar
-- hours (as before); 'work_hours': working hours of the calendar; 'work_days': working days.
ALTER TABLE categories ADD COLUMN sla_unit TEXT NOT NULL DEFAULT 'hours'
    CHECK (sla_unit IN ('hours', 'work_hours', 'work_days'));

-- Statistics gain checked (went through 核实), refuted (不属实), parked (now parked, 挂账),
-- self_handled (自行处置) and voided (作废): five more running sums, the one definition of every
-- figure (the view) redefined, the triggers that read it recreated, and the sums recomputed.
ALTER TABLE stats_hour_grid_category ADD COLUMN checked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_category ADD COLUMN refuted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_category ADD COLUMN parked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_category ADD COLUMN self_handled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_category ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN checked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN refuted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN parked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN self_handled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN checked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN refuted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN parked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN self_handled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stats_hour_grid_worker ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER reports_stats_after_insert;
DROP TRIGGER reports_stats_before_update;
DROP TRIGGER reports_stats_after_update;
DROP VIEW report_stat_facts;

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
       CASE WHEN resolved_at IS NOT NULL OR closed_at IS NOT NULL OR rework_count > 0 THEN 1 ELSE 0 END
           AS resolved_ever,
       CASE WHEN rework_count > 0 THEN 1 ELSE 0 END AS reworked,
       CASE WHEN extension_hours > 0 THEN 1 ELSE 0 END AS extended,
       CASE WHEN status = 'closed' THEN closed_at - created_at ELSE 0 END AS close_seconds,
       coalesce(rating, 0) AS rating_sum,
       CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END AS rated,
       -- 核实: request_check sets check_deadline_at; confirm_check sets verified.
       CASE WHEN check_deadline_at IS NOT NULL OR verified = 1 OR status = 'checking' THEN 1 ELSE 0 END AS checked,
       -- 不属实: rejected after a 核实 that did not confirm the problem.
       CASE WHEN status = 'rejected' AND check_deadline_at IS NOT NULL AND verified = 0 THEN 1 ELSE 0 END
           AS refuted,
       CASE WHEN status = 'parked' THEN 1 ELSE 0 END AS parked,
       CASE WHEN self_handled = 1 THEN 1 ELSE 0 END AS self_handled,
       CASE WHEN status = 'voided' THEN 1 ELSE 0 END AS voided
FROM reports;

CREATE TRIGGER reports_stats_after_insert AFTER INSERT ON reports
BEGIN
    INSERT INTO stats_hour_grid_category
    SELECT hour, grid_key, category, received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, close_seconds, rating_sum, rated, checked, refuted, parked, self_handled, voided
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key, category) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_hour_grid
    SELECT hour, grid_key, received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, close_seconds, rating_sum, rated, checked, refuted, parked, self_handled, voided
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_hour_grid_worker
    SELECT hour, grid_key, worker_key, received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, close_seconds, rating_sum, rated, checked, refuted, parked, self_handled, voided
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key, worker_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_week_reporter
    SELECT week_key, reporter_id, received, accepted, closed FROM report_reporter_facts WHERE id = NEW.id
    ON CONFLICT (week_key, reporter_id) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        closed = closed + excluded.closed;
END;

CREATE TRIGGER reports_stats_before_update BEFORE UPDATE ON reports
BEGIN
    INSERT INTO stats_hour_grid_category
    SELECT hour, grid_key, category, -received, -accepted, -rejected, -duplicate, -closed, -closed_on_time, -resolved_ever, -reworked, -extended, -close_seconds, -rating_sum, -rated, -checked, -refuted, -parked, -self_handled, -voided
    FROM report_stat_facts WHERE id = OLD.id
    ON CONFLICT (hour, grid_key, category) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_hour_grid
    SELECT hour, grid_key, -received, -accepted, -rejected, -duplicate, -closed, -closed_on_time, -resolved_ever, -reworked, -extended, -close_seconds, -rating_sum, -rated, -checked, -refuted, -parked, -self_handled, -voided
    FROM report_stat_facts WHERE id = OLD.id
    ON CONFLICT (hour, grid_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_hour_grid_worker
    SELECT hour, grid_key, worker_key, -received, -accepted, -rejected, -duplicate, -closed, -closed_on_time, -resolved_ever, -reworked, -extended, -close_seconds, -rating_sum, -rated, -checked, -refuted, -parked, -self_handled, -voided
    FROM report_stat_facts WHERE id = OLD.id
    ON CONFLICT (hour, grid_key, worker_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_week_reporter
    SELECT week_key, reporter_id, -received, -accepted, -closed FROM report_reporter_facts WHERE id = OLD.id
    ON CONFLICT (week_key, reporter_id) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        closed = closed + excluded.closed;
END;

CREATE TRIGGER reports_stats_after_update AFTER UPDATE ON reports
BEGIN
    INSERT INTO stats_hour_grid_category
    SELECT hour, grid_key, category, received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, close_seconds, rating_sum, rated, checked, refuted, parked, self_handled, voided
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key, category) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_hour_grid
    SELECT hour, grid_key, received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, close_seconds, rating_sum, rated, checked, refuted, parked, self_handled, voided
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_hour_grid_worker
    SELECT hour, grid_key, worker_key, received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, close_seconds, rating_sum, rated, checked, refuted, parked, self_handled, voided
    FROM report_stat_facts WHERE id = NEW.id
    ON CONFLICT (hour, grid_key, worker_key) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        rejected = rejected + excluded.rejected, duplicate = duplicate + excluded.duplicate,
        closed = closed + excluded.closed, closed_on_time = closed_on_time + excluded.closed_on_time,
        resolved_ever = resolved_ever + excluded.resolved_ever, reworked = reworked + excluded.reworked,
        extended = extended + excluded.extended, close_seconds = close_seconds + excluded.close_seconds,
        rating_sum = rating_sum + excluded.rating_sum, rated = rated + excluded.rated,
        checked = checked + excluded.checked, refuted = refuted + excluded.refuted,
        parked = parked + excluded.parked, self_handled = self_handled + excluded.self_handled,
        voided = voided + excluded.voided;
    INSERT INTO stats_week_reporter
    SELECT week_key, reporter_id, received, accepted, closed FROM report_reporter_facts WHERE id = NEW.id
    ON CONFLICT (week_key, reporter_id) DO UPDATE SET
        received = received + excluded.received, accepted = accepted + excluded.accepted,
        closed = closed + excluded.closed;
END;

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
