-- Issue 18, case 4: SQLite codes `x IN ('a', 'b', 'c')` (three or more constants) as a lookup in
-- a temporary b-tree, built afresh each time a trigger's program runs: a b-tree, a pager and a
-- page cache opened, filled and freed, with a 20-page bulk allocation whose first touch
-- page-faults. An accept ran six of them (perf: the page cache's bulk initialisation was the
-- writer thread's hottest instruction, 7 % of the machine). The same tests as comparisons cost a
-- few VM instructions. PostgreSQL's twin is empty: its IN lists are plain expressions.
-- tests/unit/server/test_store.cpp (Migrations.NoTriggerBuildsATemporaryTable) keeps it so.

DROP TRIGGER epoch_open_reports_update;
CREATE TRIGGER epoch_open_reports_update AFTER UPDATE OF status, category, lat, lon, created_at ON reports
WHEN (OLD.status = 'closed' OR OLD.status = 'rejected' OR OLD.status = 'duplicate' OR OLD.status = 'voided') IS NOT
     (NEW.status = 'closed' OR NEW.status = 'rejected' OR NEW.status = 'duplicate' OR NEW.status = 'voided')
  OR OLD.category IS NOT NEW.category OR OLD.lat IS NOT NEW.lat OR OLD.lon IS NOT NEW.lon
  OR OLD.created_at IS NOT NEW.created_at
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'open_reports'; END;

-- 017's worker-load triggers; a ticket is open for its assignee while assigned, in progress or
-- resolved.
DROP TRIGGER reports_stats_load_after_insert;
CREATE TRIGGER reports_stats_load_after_insert AFTER INSERT ON reports
WHEN NEW.assignee_id IS NOT NULL
 AND (NEW.status = 'assigned' OR NEW.status = 'in_progress' OR NEW.status = 'resolved')
BEGIN
    INSERT INTO worker_loads (worker_id, open_tickets) VALUES (NEW.assignee_id, 1)
    ON CONFLICT (worker_id) DO UPDATE SET open_tickets = open_tickets + 1;
END;

DROP TRIGGER reports_stats_load_after_update;
CREATE TRIGGER reports_stats_load_after_update AFTER UPDATE OF status, assignee_id ON reports
WHEN (CASE WHEN OLD.status = 'assigned' OR OLD.status = 'in_progress' OR OLD.status = 'resolved'
           THEN OLD.assignee_id END) IS NOT
     (CASE WHEN NEW.status = 'assigned' OR NEW.status = 'in_progress' OR NEW.status = 'resolved'
           THEN NEW.assignee_id END)
BEGIN
    UPDATE worker_loads SET open_tickets = open_tickets - 1
    WHERE worker_id = OLD.assignee_id
      AND (OLD.status = 'assigned' OR OLD.status = 'in_progress' OR OLD.status = 'resolved');
    INSERT INTO worker_loads (worker_id, open_tickets)
    SELECT NEW.assignee_id, 1
    WHERE NEW.assignee_id IS NOT NULL
      AND (NEW.status = 'assigned' OR NEW.status = 'in_progress' OR NEW.status = 'resolved')
    ON CONFLICT (worker_id) DO UPDATE SET open_tickets = open_tickets + 1;
END;
