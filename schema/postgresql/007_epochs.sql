-- PostgreSQL twin of schema/007_epochs.sql: counters moved in the same transaction as the
-- changes they stand for (server/store/commit_epoch). One trigger function, the counter's name
-- as its argument; row-level like SQLite's triggers, so the counters take the same values.
CREATE TABLE epochs (
    name TEXT   PRIMARY KEY,
    n    BIGINT NOT NULL
);

CREATE FUNCTION civic_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE epochs SET n = n + 1 WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$;

INSERT INTO epochs (name, n) VALUES ('auth', 0);
CREATE TRIGGER epoch_auth_session_update AFTER UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');
CREATE TRIGGER epoch_auth_session_delete AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');
CREATE TRIGGER epoch_auth_user_update AFTER UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');
CREATE TRIGGER epoch_auth_user_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');
CREATE TRIGGER epoch_auth_grid_insert AFTER INSERT ON user_grids
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');
CREATE TRIGGER epoch_auth_grid_update AFTER UPDATE ON user_grids
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');
CREATE TRIGGER epoch_auth_grid_delete AFTER DELETE ON user_grids
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');

INSERT INTO epochs (name, n) VALUES ('open_reports', 0);
CREATE TRIGGER epoch_open_reports_insert AFTER INSERT ON reports
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('open_reports');
CREATE TRIGGER epoch_open_reports_update AFTER UPDATE OF status, category, lat, lon, created_at ON reports
    FOR EACH ROW
    WHEN ((OLD.status IN ('closed', 'rejected', 'duplicate')) IS DISTINCT FROM (NEW.status IN ('closed', 'rejected', 'duplicate'))
          OR OLD.category IS DISTINCT FROM NEW.category OR OLD.lat IS DISTINCT FROM NEW.lat
          OR OLD.lon IS DISTINCT FROM NEW.lon OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION civic_epoch_bump('open_reports');
CREATE TRIGGER epoch_open_reports_delete AFTER DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('open_reports');
