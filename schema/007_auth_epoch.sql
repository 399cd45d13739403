-- A counter moved in the same transaction as every change that can alter what a bearer token
-- resolves to: a session ended or changed, a user's row changed or removed, a grid membership
-- added or removed. The server keeps resolved tokens in memory (server/api/session_cache) and
-- reads this counter after each commit: when it moved, every cached resolution is dropped.
-- Inserts into sessions and users are left out on purpose: a new row cannot make an existing
-- resolution wrong.
CREATE TABLE auth_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);

CREATE TRIGGER auth_epoch_session_update AFTER UPDATE ON sessions
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_session_delete AFTER DELETE ON sessions
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_user_update AFTER UPDATE ON users
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_user_delete AFTER DELETE ON users
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_grid_insert AFTER INSERT ON user_grids
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_grid_update AFTER UPDATE ON user_grids
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_grid_delete AFTER DELETE ON user_grids
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
