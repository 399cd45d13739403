#include "server/domain/open311.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "common/utf8.hpp"
#include "server/domain/caller.hpp"
#include "server/domain/reports.hpp"
#include "server/domain/ticket_rules.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/open311_repo.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace civic::domain::open311 {

// GeoReport's two words: checking and parked are still `open`; voided is `closed` (API.md §4).
bool is_closed(std::string_view status) {
    return status == "closed" || status == "rejected" || status == "duplicate" || status == "voided";
}

std::string_view open311_status(std::string_view status) { return is_closed(status) ? "closed" : "open"; }

std::string_view extended_status(std::string_view status) {
    if (status == "submitted") return "OPEN";
    if (status == "checking") return "INVESTIGATING";
    if (status == "accepted" || status == "assigned" || status == "parked") return "ACTION_SCHEDULED";
    // Resolved is the worker's word; the city has not verified it, and rework sends it back.
    if (status == "in_progress" || status == "resolved") return "IN_PROGRESS";
    if (status == "closed") return "FIXED";
    // Rejected tickets carry staff's reason internally; publicly, the city will do nothing more.
    if (status == "rejected") return "NO_FURTHER_ACTION";
    if (status == "duplicate") return "DUPLICATE";
    if (status == "voided") return "CLOSED";  // entered in error: neither fixed nor refused
    return "OPEN";
}

std::string_view status_for(std::string_view status, bool extended) {
    return extended ? extended_status(status) : open311_status(status);
}

bool is_partner_update_status(std::string_view status) {
    static constexpr std::array<std::string_view, 13> known = {"OPEN",
                                                               "CLOSED",
                                                               "FIXED",
                                                               "IN_PROGRESS",
                                                               "ACTION_SCHEDULED",
                                                               "INVESTIGATING",
                                                               "DUPLICATE",
                                                               "NOT_COUNCILS_RESPONSIBILITY",
                                                               "NO_FURTHER_ACTION",
                                                               "INTERNAL_REFERRAL",
                                                               "FOR_TRIAGE",
                                                               "CANCELLED",
                                                               "REOPEN"};
    std::string upper(status);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return std::find(known.begin(), known.end(), upper) != known.end();
}

std::string update_description(std::string_view action, std::optional<std::int64_t> duplicate_of) {
    // The words of the actions that say more than the status they lead to …
    if (action == "submit") return status_notes("submitted", duplicate_of);
    if (action == "accept") return "Accepted by the city as a case.";
    if (action == "return") return "Returned to the city to be dispatched again.";
    if (action == "rework") return "Sent back for more work.";
    if (action == "extend") return "The deadline was extended.";
    if (action == "confirm_check") return "Confirmed on the spot by a grid worker.";
    if (action == "unpark") return "Taken up again.";
    if (action == "set_grid") return "Passed to another grid.";
    if (action == "set_category") return "Re-classified by the city.";
    if (action == "rate") return "Rated by the reporter.";
    if (action == "comment") return "A comment from a partner app.";
    // … and of the others, their new status's (ticket_rules: reject, mark_duplicate, assign, …).
    if (const auto* t = find_transition(action); t && t->to) return status_notes(to_string(*t->to), duplicate_of);
    return "Updated by the city.";
}

std::string status_notes(std::string_view status, std::optional<std::int64_t> duplicate_of) {
    if (status == "submitted") return "Received; waiting for the city to review it.";
    if (status == "accepted") return "Accepted by the city; waiting to be dispatched.";
    if (status == "assigned") return "Dispatched to a grid worker.";
    if (status == "in_progress") return "A grid worker is handling it.";
    if (status == "resolved") return "Reported fixed; waiting for the city to verify.";
    if (status == "closed") return "Verified fixed and closed.";
    if (status == "rejected") return "Not accepted by the city.";
    if (status == "checking") return "A grid worker is checking the problem on the spot.";
    if (status == "parked") return "Accepted, but cannot be solved now; put off to a later date.";
    if (status == "voided") return "Withdrawn by the city: entered in error.";
    if (status == "duplicate") {
        std::string note = "Duplicate of another request";
        if (duplicate_of) note.append(" (").append(std::to_string(*duplicate_of)).append(")");
        return note.append(".");
    }
    return {};
}

bool photo_is_public(std::string_view status) {
    return status == "accepted" || status == "assigned" || status == "in_progress" || status == "resolved" ||
           status == "closed" || status == "parked";
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

Window updates_window(std::optional<std::int64_t> start, std::optional<std::int64_t> end, std::int64_t now) {
    if (!start && !end) return {now - kDefaultUpdatesWindowSeconds, now};
    if (!start || !end)
        throw ApiError::invalid_field(start ? "end_date" : "start_date",
                                      "start_date and end_date are given together or not at all");
    return request_window(start, end, now);
}

NewPartner create_partner(store::Conn& conn, std::string_view name, bool extended_statuses, std::int64_t now) {
    if (name.empty() || !utf8::valid(name) || utf8::length(name) > kMaxPartnerNameChars ||
        utf8::has_control_chars(name, false))
        throw ApiError::invalid_field("name", "name must be 1 to 100 characters");
    // The hidden account: a phone that no phone number matches and a password hash that no
    // password verifies against, so nobody can log in as a partner.
    store::UserRow user;
    user.phone = "open311-partner:" + crypto::hex_encode(crypto::random_bytes(8));
    user.password_hash = "!open311-partner";
    user.display_name = std::string(name);
    user.role = to_string(Role::resident);
    user.created_at = now;
    const auto user_id = store::insert_user(conn, user);
    NewPartner p;
    p.api_key = "o311_" + crypto::random_token(32);
    p.id = store::insert_partner(conn, name, crypto::sha256(p.api_key), user_id, extended_statuses, now);
    return p;
}

std::optional<Partner> partner_for_key(store::Conn& conn, std::string_view api_key) {
    if (api_key.empty() || api_key.size() > 200) return std::nullopt;
    auto partner = store::find_partner_by_key_hash(conn, crypto::sha256(api_key));
    if (!partner) return std::nullopt;
    return Partner{partner->id, partner->user_id, partner->extended_statuses};
}

CommentResult add_partner_comment(store::Conn& conn, const Partner& partner, const PartnerComment& c,
                                  std::int64_t now) {
    if (auto earlier = store::find_partner_update(conn, partner.id, c.update_id)) return {*earlier, false, {}};
    auto report = store::find_report(conn, c.report_id);
    if (!report) throw ApiError::not_found("service_request_id not found");
    if (report->reporter_id != partner.user_id)
        throw ApiError::forbidden("this api_key may only post updates on the requests it posted");
    // What staff read on the ticket's history: the text, the partner's status word, the links.
    std::string note = c.description.value_or("");
    auto line = [&](std::string_view text) {
        if (!note.empty()) note.push_back('\n');
        note.append(text);
    };
    if (c.status) line("[partner status: " + *c.status + "]");
    for (const auto& url : c.media_urls) line(url);
    // The event, then the claim of the update id; an attempt racing this one with the same id
    // loses the claim and takes its event back, answering with the winner's.
    store::Savepoint attempt(conn);
    const auto event_id = store::insert_event(conn, report->id,
                                              {now, partner.user_id, "comment", report->status, report->status,
                                               note.empty() ? std::nullopt : std::optional<std::string>(note)});
    if (!store::insert_partner_update(conn, partner.id, c.update_id, event_id)) {
        attempt.rollback();
        if (auto earlier = store::find_partner_update(conn, partner.id, c.update_id)) return {*earlier, false, {}};
        throw std::logic_error("a partner update id taken, yet not found");
    }
    attempt.release();
    return {event_id, true, std::move(report)};
}

store::ReportRow submit_partner_report(store::Conn& conn, const NewReport& report,
                                       const std::vector<std::string>& media_urls,
                                       const std::optional<std::string>& address_id, std::int64_t now) {
    auto created = submit_report(conn, report, now);
    for (std::size_t i = 0; i < media_urls.size(); ++i)
        store::insert_media_url(conn, created.id, static_cast<int>(i), media_urls[i]);
    if (!report.located && address_id) store::insert_address_id(conn, created.id, *address_id);
    return created;
}

}  // namespace civic::domain::open311
