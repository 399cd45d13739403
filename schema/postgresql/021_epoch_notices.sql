-- Issue 13: the writing node learns which epochs its transaction moved without reading them.
-- The bump also raises a NOTICE `civic_epoch <name> <n>` (the counter's new value) when the
-- session asked for it (`SET civic.epoch_notices = on`, the daemon's pool connections only:
-- tools and bulk copies get none). PostgreSQL sends it before the statement's result, so by
-- the COMMIT the engine holds every counter its transaction moved and publishes them after it
-- (store/commit_epoch.cpp, observe_epoch_notices) — a write that moves none reads nothing.
CREATE OR REPLACE FUNCTION civic_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved BIGINT;
BEGIN
    UPDATE epochs SET n = n + 1 WHERE name = TG_ARGV[0] RETURNING n INTO moved;
    PERFORM pg_notify('civic_epoch', TG_ARGV[0]);
    IF current_setting('civic.epoch_notices', true) = 'on' THEN
        RAISE NOTICE 'civic_epoch % %', TG_ARGV[0], moved;
    END IF;
    RETURN NULL;
END
$$;
