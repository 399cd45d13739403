#include "server/domain/accounts.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "common/utf8.hpp"

namespace civic::domain {

bool is_valid_phone(std::string_view p) {
    if (p.size() != 11 || p[0] != '1' || p[1] < '3' || p[1] > '9') return false;
    for (char c : p)
        if (c < '0' || c > '9') return false;
    return true;
}

void check_phone(std::string_view phone) {
    if (!is_valid_phone(phone))
        throw ApiError::invalid_field("phone", "phone must be a mainland mobile number (11 digits, 1[3-9]…)");
}

void check_password(std::string_view password) {
    const auto n = utf8::valid(password) ? utf8::length(password) : 0;
    if (n < kMinPasswordChars || n > kMaxPasswordChars)
        throw ApiError::invalid_field("password", "password must be 8 to 128 characters");
}

void check_display_name(std::string_view name) {
    if (!utf8::valid(name) || utf8::has_control_chars(name, false))
        throw ApiError::invalid_field("display_name", "display_name must be valid text without control characters");
    const auto n = utf8::length(name);
    if (n < 1 || n > kMaxDisplayNameChars)
        throw ApiError::invalid_field("display_name", "display_name must be 1 to 40 characters");
}

store::UserRow create_user(store::Conn& conn, store::UserRow user, std::int64_t now) {
    user.created_at = now;
    try {
        user.id = store::insert_user(conn, user);
    } catch (const store::DbError& e) {
        if (e.constraint_unique()) throw ApiError::conflict("phone number already registered");
        throw;
    }
    for (auto grid : user.grid_ids) store::insert_user_grid(conn, user.id, grid);
    return user;
}

NewSession start_session(store::Conn& conn, const store::UserRow& user, std::int64_t now, std::int64_t ttl_seconds) {
    NewSession s{crypto::random_token(32), user};
    store::insert_session(conn, crypto::sha256(s.token), user.id, now, now + ttl_seconds);
    return s;
}

void end_session(store::Conn& conn, std::string_view token) { store::delete_session(conn, crypto::sha256(token)); }

std::optional<store::SessionUser> user_for_token_hash(store::Conn& conn, std::string_view token_hash,
                                                      std::int64_t now) {
    return store::find_session_user(conn, token_hash, now);
}

std::optional<std::int64_t> lockout_remaining(store::Conn& conn, std::string_view phone, std::int64_t now) {
    const auto row = store::find_lockout(conn, phone);
    if (!row || row->locked_until <= now) return std::nullopt;
    return row->locked_until - now;
}

void record_login_failure(store::Conn& conn, std::string_view phone, std::int64_t now) {
    // Locked for the update: failures counted on many nodes at once each see the others'.
    auto row = store::lock_lockout(conn, phone, now);
    // A fixed window opened by the first failure: five failures inside it lock the phone.
    if (now - row.window_start >= kLockoutWindowSeconds) row = {0, now, row.locked_until};
    row.failures += 1;
    if (row.failures >= kMaxFailedLogins) {
        row.locked_until = now + kLockoutSeconds;
        row.failures = 0;
        row.window_start = now;
    }
    store::save_lockout(conn, phone, row);
}

void clear_login_failures(store::Conn& conn, std::string_view phone) { store::delete_lockout(conn, phone); }

}  // namespace civic::domain
