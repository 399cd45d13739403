#pragma once
// Accounts: who may register with what, sessions, and the failed-login lockout (API.md §2).
// Functions taking a Conn run inside the caller's transaction (a writer job or a read).
#include "server/store/accounts_repo.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace civic::domain {

inline constexpr int kMaxFailedLogins = 5;  // within kLockoutWindowSeconds …
inline constexpr std::int64_t kLockoutWindowSeconds = 15 * 60;
inline constexpr std::int64_t kLockoutSeconds = 15 * 60;  // … locks the phone for this long
inline constexpr std::size_t kMinPasswordChars = 8;
inline constexpr std::size_t kMaxPasswordChars = 128;
inline constexpr std::size_t kMaxDisplayNameChars = 40;

bool is_valid_phone(std::string_view phone);  // ^1[3-9][0-9]{9}$
// Throw ApiError invalid_field naming the field.
void check_phone(std::string_view phone);
void check_password(std::string_view password);
void check_display_name(std::string_view name);

struct NewSession {
    std::string token;  // shown once; only its hash is stored
    store::UserRow user;
};

// Creates the user (409 conflict when the phone is taken) and, for registration, a session.
store::UserRow create_user(store::Conn& conn, store::UserRow user, std::int64_t now);
NewSession start_session(store::Conn& conn, const store::UserRow& user, std::int64_t now, std::int64_t ttl_seconds);
void end_session(store::Conn& conn, std::string_view token);
// The session's user by the SHA-256 of the bearer token (crypto::sha256), nullopt when unknown or
// expired.
std::optional<store::SessionUser> user_for_token_hash(store::Conn& conn, std::string_view token_hash, std::int64_t now);

// Seconds until `phone` may try again, or nullopt when it is not locked.
std::optional<std::int64_t> lockout_remaining(store::Conn& conn, std::string_view phone, std::int64_t now);
void record_login_failure(store::Conn& conn, std::string_view phone, std::int64_t now);
void clear_login_failures(store::Conn& conn, std::string_view phone);

}  // namespace civic::domain
