#include "server/domain/open311.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "common/utf8.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/open311_repo.hpp"

namespace civic::domain::open311 {

bool is_closed(std::string_view status) {
    return status == "closed" || status == "rejected" || status == "duplicate";
}

std::string_view open311_status(std::string_view status) { return is_closed(status) ? "closed" : "open"; }

std::string status_notes(std::string_view status, std::optional<std::int64_t> duplicate_of) {
    if (status == "submitted") return "Received; waiting for the city to review it.";
    if (status == "accepted") return "Accepted by the city; waiting to be dispatched.";
    if (status == "assigned") return "Dispatched to a grid worker.";
    if (status == "in_progress") return "A grid worker is handling it.";
    if (status == "resolved") return "Reported fixed; waiting for the city to verify.";
    if (status == "closed") return "Verified fixed and closed.";
    if (status == "rejected") return "Not accepted by the city.";
    if (status == "duplicate") {
        std::string note = "Duplicate of another request";
        if (duplicate_of) note.append(" (").append(std::to_string(*duplicate_of)).append(")");
        return note.append(".");
    }
    return {};
}

bool photo_is_public(std::string_view status) {
    return status == "accepted" || status == "assigned" || status == "in_progress" || status == "resolved" ||
           status == "closed";
}

Window request_window(std::optional<std::int64_t> start, std::optional<std::int64_t> end, std::int64_t now) {
    if (!start && !end) return {now - kDefaultWindowSeconds, now};
    if (start && !end) return {*start, *start + kDefaultWindowSeconds};
    if (!start) return {*end - kDefaultWindowSeconds, *end};
    if (*end < *start) throw ApiError::invalid_field("end_date", "end_date is before start_date");
    if (*end - *start > kDefaultWindowSeconds)
        throw ApiError::invalid_field("end_date", "start_date to end_date may not span more than 90 days");
    return {*start, *end};
}

NewPartner create_partner(store::Conn& conn, std::string_view name, std::int64_t now) {
    if (name.empty() || !utf8::valid(name) || utf8::length(name) > kMaxPartnerNameChars ||
        utf8::has_control_chars(name, false))
        throw ApiError::invalid_field("name", "name must be 1 to 100 characters");
    // The hidden account: a phone that no phone number matches and a password hash that no
    // password verifies against, so nobody can log in as a partner.
    store::UserRow user;
    user.phone = "open311-partner:" + crypto::hex_encode(crypto::random_bytes(8));
    user.password_hash = "!open311-partner";
    user.display_name = std::string(name);
    user.role = "resident";
    user.created_at = now;
    const auto user_id = store::insert_user(conn, user);
    NewPartner p;
    p.api_key = "o311_" + crypto::random_token(32);
    p.id = store::insert_partner(conn, name, crypto::sha256(p.api_key), user_id, now);
    return p;
}

std::optional<std::int64_t> partner_user_for_key(store::Conn& conn, std::string_view api_key) {
    if (api_key.empty() || api_key.size() > 200) return std::nullopt;
    auto partner = store::find_partner_by_key_hash(conn, crypto::sha256(api_key));
    if (!partner) return std::nullopt;
    return partner->user_id;
}

}  // namespace civic::domain::open311
