-- Issue 18, case 4: auto-assign picks the grid's least-loaded worker (docs/workflow.md,
-- docs/performance.md "Accept with auto-assign"). Counting each worker's open tickets on every
-- accept cost O(open tickets); the count is now kept per worker, in the same transaction as every
-- change of a ticket's assignee or status, so the pick reads one row per worker of the grid.
--
-- A ticket is open for its assignee while assigned, in progress or resolved (awaiting verify):
-- the definition the pick used before, now in one place, the triggers below. Every grid member
-- has a row (zero when idle), so the pick is a plain join; `civicsnapd check --database`
-- recounts from `reports` and compares (store/worker_loads_repo.cpp).
--
-- The report triggers are named reports_stats_* so that the bulk loader sets them aside and
-- rebuilds the counts with the statistics (store/bulk_repo.cpp).
CREATE TABLE worker_loads (
    worker_id    INTEGER NOT NULL PRIMARY KEY REFERENCES users (id),
    open_tickets INTEGER NOT NULL DEFAULT 0
);

INSERT INTO worker_loads (worker_id, open_tickets)
SELECT worker_id, sum(open_ticket) FROM (
    SELECT user_id AS worker_id, 0 AS open_ticket FROM user_grids
    UNION ALL
    SELECT assignee_id, 1 FROM reports
    WHERE assignee_id IS NOT NULL AND status IN ('assigned', 'in_progress', 'resolved')
) AS loads GROUP BY worker_id;

CREATE TRIGGER user_grids_worker_load AFTER INSERT ON user_grids
BEGIN
    INSERT INTO worker_loads (worker_id, open_tickets) VALUES (NEW.user_id, 0) ON CONFLICT (worker_id) DO NOTHING;
END;

CREATE TRIGGER reports_stats_load_after_insert AFTER INSERT ON reports
WHEN NEW.assignee_id IS NOT NULL AND NEW.status IN ('assigned', 'in_progress', 'resolved')
BEGIN
    INSERT INTO worker_loads (worker_id, open_tickets) VALUES (NEW.assignee_id, 1)
    ON CONFLICT (worker_id) DO UPDATE SET open_tickets = open_tickets + 1;
END;

-- Fires only when the ticket's open assignee (NULL when not open) changes.
CREATE TRIGGER reports_stats_load_after_update AFTER UPDATE OF status, assignee_id ON reports
WHEN (CASE WHEN OLD.status IN ('assigned', 'in_progress', 'resolved') THEN OLD.assignee_id END) IS NOT
     (CASE WHEN NEW.status IN ('assigned', 'in_progress', 'resolved') THEN NEW.assignee_id END)
BEGIN
    UPDATE worker_loads SET open_tickets = open_tickets - 1
    WHERE worker_id = OLD.assignee_id AND OLD.status IN ('assigned', 'in_progress', 'resolved');
    INSERT INTO worker_loads (worker_id, open_tickets)
    SELECT NEW.assignee_id, 1 WHERE NEW.assignee_id IS NOT NULL AND NEW.status IN ('assigned', 'in_progress', 'resolved')
    ON CONFLICT (worker_id) DO UPDATE SET open_tickets = open_tickets + 1;
END;

-- Reports are never deleted (schema/005_stats.sql refuses it): no trigger for that.
