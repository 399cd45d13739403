#pragma once
// Users, sessions and the failed-login window: the SQL behind domain/accounts.
#include "server/store/conn.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace civic::store {

struct UserRow {
    std::int64_t id = 0;
    std::string phone;
    std::string password_hash;
    std::string display_name;
    std::string role;
    std::int64_t created_at = 0;
    std::vector<std::int64_t> grid_ids;  // sorted
};

struct LockoutRow {
    std::int64_t failures = 0;
    std::int64_t window_start = 0;
    std::int64_t locked_until = 0;
};

std::optional<UserRow> find_user(Conn& conn, std::int64_t id);
std::optional<UserRow> find_user_by_phone(Conn& conn, std::string_view phone);
// Throws DbError (constraint_unique) when the phone is taken.
std::int64_t insert_user(Conn& conn, const UserRow& user);
void insert_user_grid(Conn& conn, std::int64_t user_id, std::int64_t grid_id);
bool any_user_with_role(Conn& conn, std::string_view role);
// The lowest id with that role, if any.
std::optional<std::int64_t> first_user_with_role(Conn& conn, std::string_view role);
std::int64_t count_users(Conn& conn);

struct SessionUser {
    UserRow user;
    std::int64_t expires_at = 0;  // of the session
};

// The user owning an unexpired session, by the SHA-256 of its token.
std::optional<SessionUser> find_session_user(Conn& conn, std::string_view token_hash, std::int64_t now);

void insert_session(Conn& conn, std::string_view token_hash, std::int64_t user_id, std::int64_t now,
                    std::int64_t expires_at);
void delete_session(Conn& conn, std::string_view token_hash);

std::optional<LockoutRow> find_lockout(Conn& conn, std::string_view phone);
// The phone's failure window for an update: on PostgreSQL created if missing ({0, now, 0}) and
// locked until commit, so concurrent failures are counted one after another; on SQLite the
// plain read, or {0, now, 0} (the writer excludes the others).
LockoutRow lock_lockout(Conn& conn, std::string_view phone, std::int64_t now);
void save_lockout(Conn& conn, std::string_view phone, const LockoutRow& row);
void delete_lockout(Conn& conn, std::string_view phone);

}  // namespace civic::store
