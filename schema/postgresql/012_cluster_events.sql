-- PostgreSQL twin of schema/012_cluster_events.sql, and what keeps several nodes in step
-- (docs/postgresql.md "Coherence across nodes"): each epoch bump also notifies channel
-- `civic_epoch` (payload: the epoch's name), sent by PostgreSQL at COMMIT and dropped with a
-- rollback, so every node's listener (server/store/cluster_events) refreshes its caches at once.
-- Several bumps of one counter in a transaction make one notification (identical payloads fold).
CREATE OR REPLACE FUNCTION civic_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE epochs SET n = n + 1 WHERE name = TG_ARGV[0];
    PERFORM pg_notify('civic_epoch', TG_ARGV[0]);
    RETURN NULL;
END
$$;

-- 'categories': the public category list (api/city_api: CategoryListCache).
INSERT INTO epochs (name, n) VALUES ('categories', 0);
CREATE TRIGGER epoch_categories AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH ROW EXECUTE FUNCTION civic_epoch_bump('categories');

-- The test clock (API.md §9) shared by every node: one row; POST /api/v1/admin/clock sets it and
-- notifies `civic_clock`, every node started with --test-clock applies it. `version` only grows,
-- so a node never goes back to an older setting it read late.
CREATE TABLE test_clock (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    pinned_to BIGINT,           -- unix seconds; NULL: the real clock
    version   BIGINT NOT NULL
);
INSERT INTO test_clock (id, pinned_to, version) VALUES (1, NULL, 0);
