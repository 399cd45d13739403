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

-- One trigger a table and counter: PostgreSQL names several events in one trigger where SQLite
-- needs a trigger an event; each row event still moves the counter once.
INSERT INTO epochs (name, n) VALUES ('auth', 0);
CREATE TRIGGER epoch_auth_sessions AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');
CREATE TRIGGER epoch_auth_users AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');
CREATE TRIGGER epoch_auth_user_grids AFTER INSERT OR UPDATE OR DELETE ON user_grids
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('auth');

INSERT INTO epochs (name, n) VALUES ('open_reports', 0);
CREATE TRIGGER epoch_open_reports_insert_delete AFTER INSERT OR DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('open_reports');
-- (Its own trigger: a WHEN reading OLD is not allowed on an INSERT trigger.)
CREATE TRIGGER epoch_open_reports_update AFTER UPDATE OF status, category, lat, lon, created_at ON reports
    FOR EACH ROW
    WHEN ((OLD.status IN ('closed', 'rejected', 'duplicate')) IS DISTINCT FROM (NEW.status IN ('closed', 'rejected', 'duplicate'))
          OR OLD.category IS DISTINCT FROM NEW.category OR OLD.lat IS DISTINCT FROM NEW.lat
          OR OLD.lon IS DISTINCT FROM NEW.lon OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION civic_epoch_bump('open_reports');
