#include "server/store/accounts_repo.hpp"
#include "server/store/row_lock.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

namespace {
constexpr const char* kUserColumns = "id, phone, password_hash, display_name, role, created_at";

UserRow read_user(Conn& conn, Query& q) {
    UserRow u;
    u.id = q.int64(0);
    u.phone = q.text(1);
    u.password_hash = q.text(2);
    u.display_name = q.text(3);
    u.role = q.text(4);
    u.created_at = q.int64(5);
    auto grids = conn.query("SELECT grid_id FROM user_grids WHERE user_id = ? ORDER BY grid_id");
    grids.args(u.id);
    while (grids.next()) u.grid_ids.push_back(grids.int64(0));
    return u;
}
}  // namespace

std::optional<UserRow> find_user(Conn& conn, std::int64_t id) {
    auto q = conn.query(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?");
    q.args(id);
    if (!q.next()) return std::nullopt;
    return read_user(conn, q);
}

std::optional<UserRow> find_user_by_phone(Conn& conn, std::string_view phone) {
    auto q = conn.query(std::string("SELECT ") + kUserColumns + " FROM users WHERE phone = ?");
    q.args(phone);
    if (!q.next()) return std::nullopt;
    return read_user(conn, q);
}

std::int64_t insert_user(Conn& conn, const UserRow& u) {
    return conn
        .query(
            "INSERT INTO users (phone, password_hash, display_name, role, created_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id")
        .args(u.phone, u.password_hash, u.display_name, u.role, u.created_at)
        .run_returning_id();
}

void insert_user_grid(Conn& conn, std::int64_t user_id, std::int64_t grid_id) {
    conn.query("INSERT INTO user_grids (user_id, grid_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .args(user_id, grid_id)
        .run();
}

bool any_user_with_role(Conn& conn, std::string_view role) { return first_user_with_role(conn, role).has_value(); }

std::optional<std::int64_t> first_user_with_role(Conn& conn, std::string_view role) {
    auto q = conn.query("SELECT id FROM users WHERE role = ? ORDER BY id LIMIT 1");
    q.args(role);
    if (!q.next()) return std::nullopt;
    return q.int64(0);
}

std::int64_t count_users(Conn& conn) {
    auto q = conn.query("SELECT count(*) FROM users");
    q.next();
    return q.int64(0);
}

std::optional<SessionUser> find_session_user(Conn& conn, std::string_view token_hash, std::int64_t now) {
    auto q = conn.query(
        "SELECT u.id, u.phone, u.password_hash, u.display_name, u.role, u.created_at, s.expires_at "
        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?");
    q.bind_blob(1, token_hash).bind(2, now);
    if (!q.next()) return std::nullopt;
    const auto expires_at = q.int64(6);
    return SessionUser{read_user(conn, q), expires_at};
}

void insert_session(Conn& conn, std::string_view token_hash, std::int64_t user_id, std::int64_t now,
                    std::int64_t expires_at) {
    auto q = conn.query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)");
    q.bind_blob(1, token_hash).bind(2, user_id).bind(3, now).bind(4, expires_at);
    q.run();
}

void delete_session(Conn& conn, std::string_view token_hash) {
    auto q = conn.query("DELETE FROM sessions WHERE token_hash = ?");
    q.bind_blob(1, token_hash);
    q.run();
}

std::optional<LockoutRow> find_lockout(Conn& conn, std::string_view phone) {
    auto q = conn.query("SELECT failures, window_start, locked_until FROM login_lockouts WHERE phone = ?");
    q.args(phone);
    if (!q.next()) return std::nullopt;
    return LockoutRow{q.int64(0), q.int64(1), q.int64(2)};
}

LockoutRow lock_lockout(Conn& conn, std::string_view phone, std::int64_t now) {
    const LockoutRow fresh{0, now, 0};
    if (conn.engine() == Engine::sqlite) return find_lockout(conn, phone).value_or(fresh);
    conn.query(
            "INSERT INTO login_lockouts (phone, failures, window_start, locked_until) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING")
        .args(phone, fresh.failures, fresh.window_start, fresh.locked_until)
        .run();
    auto q =
        conn.query(locking(conn, "SELECT failures, window_start, locked_until FROM login_lockouts WHERE phone = ?"));
    q.args(phone);
    if (!q.next()) throw DbError(0, "login lockout row neither created nor found");
    return LockoutRow{q.int64(0), q.int64(1), q.int64(2)};
}

void save_lockout(Conn& conn, std::string_view phone, const LockoutRow& row) {
    conn.query(
            "INSERT INTO login_lockouts (phone, failures, window_start, locked_until) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (phone) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, "
            "locked_until = excluded.locked_until")
        .args(phone, row.failures, row.window_start, row.locked_until)
        .run();
}

void delete_lockout(Conn& conn, std::string_view phone) {
    conn.query("DELETE FROM login_lockouts WHERE phone = ?").args(phone).run();
}

}  // namespace civic::store
