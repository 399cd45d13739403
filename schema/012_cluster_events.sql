-- What keeps several nodes in step on PostgreSQL (schema/postgresql/012_cluster_events.sql,
-- docs/postgresql.md "Coherence across nodes"). SQLite is one node: it gets the same epoch and
-- table so that both schemas stay alike, and its test clock stays in the process.

-- 'categories': the public category list (api/city_api: CategoryListCache).
INSERT INTO epochs (name, n) VALUES ('categories', 0);
CREATE TRIGGER epoch_categories_insert AFTER INSERT ON categories
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'categories'; END;
CREATE TRIGGER epoch_categories_update AFTER UPDATE ON categories
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'categories'; END;
CREATE TRIGGER epoch_categories_delete AFTER DELETE ON categories
BEGIN UPDATE epochs SET n = n + 1 WHERE name = 'categories'; END;

-- The test clock's shared row (unused on SQLite: the clock lives in the process).
CREATE TABLE test_clock (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    pinned_to INTEGER,
    version   INTEGER NOT NULL
);
INSERT INTO test_clock (id, pinned_to, version) VALUES (1, NULL, 0);
