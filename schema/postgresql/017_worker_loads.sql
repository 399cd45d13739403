-- PostgreSQL twin of schema/017_worker_loads.sql (see there). The pick locks the grid's rows
-- here (store/worker_loads_repo.cpp), so that two nodes accepting at once see each other's picks.
CREATE TABLE worker_loads (
    worker_id    BIGINT NOT NULL PRIMARY KEY REFERENCES users (id),
    open_tickets BIGINT NOT NULL DEFAULT 0
);

INSERT INTO worker_loads (worker_id, open_tickets)
SELECT worker_id, sum(open_ticket) FROM (
    SELECT user_id AS worker_id, 0 AS open_ticket FROM user_grids
    UNION ALL
    SELECT assignee_id, 1 FROM reports
    WHERE assignee_id IS NOT NULL AND status IN ('assigned', 'in_progress', 'resolved')
) AS loads GROUP BY worker_id;

-- The worker a ticket counts for: its assignee while it is open, else NULL.
CREATE FUNCTION report_open_assignee(status TEXT, assignee_id BIGINT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN status IN ('assigned', 'in_progress', 'resolved') THEN assignee_id END
$$;

CREATE FUNCTION worker_load_add(worker BIGINT, delta BIGINT) RETURNS void LANGUAGE sql AS $$
INSERT INTO worker_loads AS t (worker_id, open_tickets) VALUES (worker, delta)
ON CONFLICT (worker_id) DO UPDATE SET open_tickets = t.open_tickets + excluded.open_tickets
$$;

CREATE FUNCTION reports_worker_load_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BIGINT;
    now_open BIGINT;
BEGIN
    IF TG_OP = 'UPDATE' THEN was := report_open_assignee(OLD.status, OLD.assignee_id); END IF;
    now_open := report_open_assignee(NEW.status, NEW.assignee_id);
    IF was IS NOT DISTINCT FROM now_open THEN RETURN NULL; END IF;
    -- Lower id first, the order the pick locks them in: a reassignment racing a pick waits
    -- instead of deadlocking.
    IF was IS NOT NULL AND now_open IS NOT NULL AND now_open < was THEN
        PERFORM worker_load_add(now_open, 1);
        PERFORM worker_load_add(was, -1);
    ELSE
        IF was IS NOT NULL THEN PERFORM worker_load_add(was, -1); END IF;
        IF now_open IS NOT NULL THEN PERFORM worker_load_add(now_open, 1); END IF;
    END IF;
    RETURN NULL;
END
$$;

-- Reports are never deleted (schema/postgresql/005_stats.sql refuses it).
CREATE TRIGGER reports_worker_load AFTER INSERT OR UPDATE OF status, assignee_id ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_worker_load_apply();

CREATE FUNCTION user_grids_worker_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO worker_loads (worker_id, open_tickets) VALUES (NEW.user_id, 0) ON CONFLICT (worker_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER user_grids_worker_load AFTER INSERT ON user_grids
    FOR EACH ROW EXECUTE FUNCTION user_grids_worker_load();
