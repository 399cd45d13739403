#pragma once
// Open311 GeoReport v2 over our tickets (API.md §10): how a ticket's status reads there, the
// date window of a listing, and partner apps with their keys.
#include "server/store/conn.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace civic::domain::open311 {

inline constexpr std::int64_t kDefaultWindowSeconds = 90 * 24 * 3600;  // "the most recent 90 days"
inline constexpr int kMaxResults = 1000;
inline constexpr std::size_t kMaxPartnerNameChars = 100;

// "closed" for closed, rejected and duplicate tickets; "open" for every other status.
std::string_view open311_status(std::string_view status);
bool is_closed(std::string_view status);
// A fixed, public sentence per status; never staff's free text, which may name people.
std::string status_notes(std::string_view status, std::optional<std::int64_t> duplicate_of);
// Whether the ticket's own photo may be shown to the public: only once staff have accepted it
// (立案) as a real case; never while unreviewed, nor when rejected or a duplicate.
bool photo_is_public(std::string_view status);

// The [from, to] window of GET requests from its optional bounds (unix seconds): none → the 90
// days up to now; one → 90 days from/to it; both → as given. 400 invalid_field when end is before
// start or the span exceeds 90 days.
struct Window {
    std::int64_t from, to;
};
Window request_window(std::optional<std::int64_t> start, std::optional<std::int64_t> end, std::int64_t now);

struct NewPartner {
    std::int64_t id;
    std::string api_key;  // shown once; only its SHA-256 is stored
};
// Creates the partner and its hidden account. 400 invalid_field for a bad name.
NewPartner create_partner(store::Conn& conn, std::string_view name, std::int64_t now);
// The partner's hidden account id for an api_key; nullopt if the key is unknown.
std::optional<std::int64_t> partner_user_for_key(store::Conn& conn, std::string_view api_key);

}  // namespace civic::domain::open311
