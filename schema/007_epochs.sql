-- Counters moved in the same transaction as the changes they stand for. The server keeps some
-- answers in memory and reads these counters after each commit (server/store/commit_epoch):
-- when one moved, every answer cached under it is dropped. A rolled-back change moves nothing.
CREATE TABLE epochs (
    name TEXT    PRIMARY KEY,
    n    INTEGER NOT NULL
) WITHOUT ROWID;

-- 'auth': what a bearer token resolves to (server/api/session_cache). Moved by a session ended
-- or changed, a user's row changed or removed, a grid membership added, changed or removed.
-- New sessions and new users are left out on purpose: a new row cannot make an existing
-- resolution wrong.
INSERT INTO epochs (name, n) VALUES ('auth', 0);
CREATE TRIGGER epoch_auth_session_update AFTER UPDATE ON sessions
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'auth'; END;
CREATE TRIGGER epoch_auth_session_delete AFTER DELETE ON sessions
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'auth'; END;
CREATE TRIGGER epoch_auth_user_update AFTER UPDATE ON users
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'auth'; END;
CREATE TRIGGER epoch_auth_user_delete AFTER DELETE ON users
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'auth'; END;
CREATE TRIGGER epoch_auth_grid_insert AFTER INSERT ON user_grids
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'auth'; END;
CREATE TRIGGER epoch_auth_grid_update AFTER UPDATE ON user_grids
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'auth'; END;
CREATE TRIGGER epoch_auth_grid_delete AFTER DELETE ON user_grids
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'auth'; END;

-- 'open_reports': which reports are open (not closed, rejected or duplicate), where, of what
-- category and since when — all that a report's possible_duplicates depends on (domain/reports:
-- PossibleDuplicatesCache). Moved by a new report, a report opened or closed, and any change of
-- those columns; not by steps between open states (accept, assign, start, resolve).
INSERT INTO epochs (name, n) VALUES ('open_reports', 0);
CREATE TRIGGER epoch_open_reports_insert AFTER INSERT ON reports
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'open_reports'; END;
CREATE TRIGGER epoch_open_reports_update AFTER UPDATE OF status, category, lat, lon, created_at ON reports
WHEN (OLD.status IN ('closed', 'rejected', 'duplicate')) IS NOT (NEW.status IN ('closed', 'rejected', 'duplicate'))
  OR OLD.category IS NOT NEW.category OR OLD.lat IS NOT NEW.lat OR OLD.lon IS NOT NEW.lon
  OR OLD.created_at IS NOT NEW.created_at
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'open_reports'; END;
CREATE TRIGGER epoch_open_reports_delete AFTER DELETE ON reports
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'open_reports'; END;
