#pragma once
// Open311 GeoReport v2 over our tickets (API.md §10): how a ticket's status reads there, the
// date window of a listing, and partner apps with their keys.
#include "server/domain/reports.hpp"
#include "server/store/conn.hpp"
#include "server/store/reports_repo.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic::domain::open311 {

inline constexpr std::int64_t kDefaultWindowSeconds = 90 * 24 * 3600;    // "the most recent 90 days"
inline constexpr std::int64_t kDefaultUpdatesWindowSeconds = 24 * 3600;  // servicerequestupdates: the last 24 h
inline constexpr int kMaxResults = 1000;
inline constexpr std::size_t kMaxPartnerNameChars = 100;
inline constexpr std::size_t kMaxMediaUrls = 6;  // repeated media_url, each kept
inline constexpr std::size_t kMaxAddressIdChars = 200;
inline constexpr std::size_t kMaxUpdateIdChars = 100;  // a partner's own update_id

// "closed" for closed, rejected and duplicate tickets; "open" for every other status.
std::string_view open311_status(std::string_view status);
bool is_closed(std::string_view status);
// FixMyStreet's extended status of a ticket status (docs/open311.md, "Extended statuses"):
// submitted OPEN; accepted and assigned ACTION_SCHEDULED; in_progress and resolved
// IN_PROGRESS; closed FIXED; rejected NO_FURTHER_ACTION; duplicate DUPLICATE. The statuses of
// API.md §4's later workflow: checking INVESTIGATING, parked ACTION_SCHEDULED, voided CLOSED.
std::string_view extended_status(std::string_view status);
// open311_status or extended_status, as the partner's key asks.
std::string_view status_for(std::string_view status, bool extended);
// The values FixMyStreet itself sends in an update's `status` (POST servicerequestupdates),
// upper-cased: OPEN, CLOSED, FIXED, IN_PROGRESS, …, REOPEN. Case-insensitive.
bool is_partner_update_status(std::string_view status);
// The public sentence of one ticket event as an update (GET servicerequestupdates); like
// status_notes, never staff's free text.
std::string update_description(std::string_view action, std::optional<std::int64_t> duplicate_of);
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
// The window of GET servicerequestupdates: both bounds or neither (400 invalid_field when only
// one is given); none → the 24 hours up to now; end before start or more than 90 days → 400.
Window updates_window(std::optional<std::int64_t> start, std::optional<std::int64_t> end, std::int64_t now);

struct NewPartner {
    std::int64_t id;
    std::string api_key;  // shown once; only its SHA-256 is stored
};
// Creates the partner and its hidden account. 400 invalid_field for a bad name.
NewPartner create_partner(store::Conn& conn, std::string_view name, bool extended_statuses, std::int64_t now);

struct Partner {
    std::int64_t id = 0;
    std::int64_t user_id = 0;  // its hidden account
    bool extended_statuses = false;
};
// The partner of an api_key; nullopt if the key is unknown.
std::optional<Partner> partner_for_key(store::Conn& conn, std::string_view api_key);

// A partner's comment on a ticket (POST servicerequestupdates), kept as a "comment" event on
// the ticket's history, where staff read it; the ticket's status does not change, whatever
// `status` the partner sent. The same partner update_id twice → the first event's id, nothing
// added. 404 for an unknown ticket; 403 for a ticket the partner did not post.
struct PartnerComment {
    std::int64_t report_id = 0;
    std::string update_id;                   // the partner's id of the update
    std::optional<std::string> status;       // as sent (upper-cased), recorded in the note
    std::optional<std::string> description;  // ≤ 4000 characters
    std::vector<std::string> media_urls;     // checked URLs, ≤ 6, recorded in the note
};
struct CommentResult {
    std::int64_t event_id = 0;
    bool added = false;                      // false: the update_id was posted before
    std::optional<store::ReportRow> report;  // when added
};
// Inside a writer job: files a partner's report (domain::submit_report) with its media links (at
// most 6, in order) and, for a report placed by address only, the partner's address id.
store::ReportRow submit_partner_report(store::Conn& conn, const NewReport& report,
                                       const std::vector<std::string>& media_urls,
                                       const std::optional<std::string>& address_id, std::int64_t now);

CommentResult add_partner_comment(store::Conn& conn, const Partner& partner, const PartnerComment& comment,
                                  std::int64_t now);

}  // namespace civic::domain::open311
