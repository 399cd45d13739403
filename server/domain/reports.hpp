#pragma once
// Reports as tickets (API.md §4): intake, the lifecycle driven by domain/ticket_rules, ratings,
// and who may read what. Every function here runs inside the caller's transaction (a writer
// job for changes), so a transition and its event commit together or not at all.
#include "common/work_calendar.hpp"
#include "server/domain/caller.hpp"
#include "server/domain/ticket_rules.hpp"
#include "server/store/reports_repo.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic::domain {

inline constexpr std::size_t kMaxDescriptionChars = 2000;
// Open311 partners may send GeoReport's 4,000 (API.md §10); such a report is kept and shown whole.
inline constexpr std::size_t kMaxOpen311DescriptionChars = 4000;
inline constexpr std::size_t kMaxAddressChars = 200;
inline constexpr std::size_t kMaxReasonChars = 1000;
inline constexpr std::size_t kMaxPhotosPerReport = 6;
inline constexpr std::int64_t kMaxExtensionHours = 720;
// 核实: how long the worker sent to confirm a report has (check_deadline_at).
inline constexpr std::int64_t kCheckSeconds = 2 * 3600;
// 挂账: `until` lies this far ahead of now, at least and at most.
inline constexpr std::int64_t kMinParkSeconds = 3600;
inline constexpr std::int64_t kMaxParkSeconds = 365 * 24 * 3600;
inline constexpr double kDuplicateRadiusM = 50;
inline constexpr std::int64_t kDuplicateWindowSeconds = 7 * 24 * 3600;
// A photo is linked to at most this many earlier reports, the most recent ones, found among the
// most recent kMaxHashCandidatesPerBand entries of each hash band. Without the bounds a scene
// photographed again and again (the same overflowing bin every morning, night shots that are
// nearly black) would make every submit read, and link, every earlier one: quadratic in time.
inline constexpr std::size_t kMaxPhotoReuseLinks = 20;
inline constexpr std::size_t kMaxHashCandidatesPerBand = 512;

struct NewReport {
    std::int64_t reporter_id = 0;
    std::string category;
    std::string description;
    double lat = 0, lon = 0;
    // False: placed by address only (Open311); lat/lon are ignored, the report goes to the
    // dispatch center's queue (grid_id null) and into no duplicate search.
    bool located = true;
    std::optional<std::string> address;
    std::vector<store::PhotoBlobRow> photos;  // already stored durably
    // Residents send 1..6 photos; Open311 partners may send none (a media_url instead).
    std::size_t min_photos = 1;
    std::size_t max_description_chars = kMaxDescriptionChars;
    // 自行处置: a worker's report of a problem they fixed on patrol, born `resolved` and assigned
    // to them; `after_photos` (1..6) are the result, stored with stage "resolution".
    bool self_handled = false;
    std::vector<store::PhotoBlobRow> after_photos;
};

// The checks submit_report makes before it writes anything, so that a handler can refuse bad
// input before it spends time on photos: category, description, address, photo count.
void check_new_report(store::Conn& conn, const NewReport& report, std::size_t photo_count);
// The further checks of a self-handled report: 1..6 after photos (400 invalid_field "after"), and
// a point inside one of the worker's grids (400 invalid_field "lat"). Returns that grid.
std::int64_t check_self_handled(store::Conn& conn, const NewReport& report, std::size_t after_photo_count);

// Validates (400 invalid_field), routes to a grid, stores the report, its photos and its
// "submit" event, and records earlier reports whose photos it repeats.
store::ReportRow submit_report(store::Conn& conn, const NewReport& report, std::int64_t now);

// The rows of photos already in the photo store (clean_and_store_photo, domain/photo_intake.hpp)
// for a report at `stage` ("report" | "resolution"): the blob, the photo, and for a report's own
// photos the near-duplicate index (hash bands, links to earlier reports showing the same scene).
// submit_report and the resolve action call it; so does the demo city for its generated history.
void add_photos(store::Conn& conn, std::int64_t report_id, std::string_view stage,
                const std::vector<store::PhotoBlobRow>& photos, std::int64_t now);

struct ActionRequest {
    std::string action;
    std::optional<std::string> reason;        // reject, return, rework, extend, refute_check, park, void
    std::optional<std::string> note;          // resolve, request_check, confirm_check
    std::optional<std::int64_t> of;           // mark_duplicate
    std::optional<std::int64_t> worker_id;    // assign, request_check
    std::optional<std::int64_t> until;        // park
    std::optional<std::int64_t> hours;        // extend
    std::optional<std::int64_t> grid_id;      // set_grid
    std::optional<std::string> category;      // set_category
    std::vector<store::PhotoBlobRow> photos;  // resolve, confirm_check
};

// Checks the request's own fields (400 invalid_field) before anything is read.
void check_action_fields(const ActionRequest& request);
// 404 when the ticket does not exist or the caller may not know it; 403 when the caller may not
// take this action on it; 409 invalid_transition from the wrong status. Does not change anything.
store::ReportRow check_action_allowed(store::Conn& conn, const Caller& who, std::int64_t report_id,
                                      const ActionRequest& request);
// Applies the action: the table's `to` status, then its effect (deadline, assignment, points,
// photos), and appends its event.
store::ReportRow apply_action(store::Conn& conn, const Caller& who, std::int64_t report_id,
                              const ActionRequest& request, std::int64_t now, std::int64_t daily_points_cap);

// What a Transition's effect works on (domain/ticket_rules.hpp).
struct ActionContext {
    store::Conn& conn;
    const ActionRequest& request;
    store::ReportRow& report;          // its status already set to the transition's `to`
    Status from;                       // the status it had
    std::optional<std::string>& note;  // the event's note: the request's reason or note unless changed
    std::int64_t now;
    std::int64_t daily_points_cap;
};

// The effects the transition table names, one per kind of change.
namespace effects {
void nothing(ActionContext&);
void accept(ActionContext&);          // deadline, points_on_accept, auto-assignment (→ assigned)
void close_for_good(ActionContext&);  // out of the open-report index
void mark_duplicate(ActionContext&);
void assign(ActionContext&);
void unassign(ActionContext&);
void resolve(ActionContext&);
void verify(ActionContext&);
void rework(ActionContext&);
void extend(ActionContext&);
void set_grid(ActionContext&);
void set_category(ActionContext&);
void request_check(ActionContext&);  // 核实: the worker becomes the assignee; check_deadline_at
void confirm_check(ActionContext&);  // verified; photos with stage "check"; unassigned
void refute_check(ActionContext&);   // 不属实: unassigned, out of the open-report index
void park(ActionContext&);           // 挂账: the deadline clock stops
void unpark(ActionContext&);         // back to where it was parked from; the deadline moves later
void void_ticket(ActionContext&);    // 作废: the points it earned taken back
}  // namespace effects

// The reporter's rating (once, when resolved or closed); 1–2 on a resolved ticket is rework.
store::ReportRow rate_report(store::Conn& conn, const Caller& who, std::int64_t report_id, std::int64_t rating,
                             std::optional<std::string> comment, std::int64_t now);

// Reading: residents their own reports, workers tickets assigned to them or in their grids,
// managers their grids' tickets, dispatchers and admins everything.
bool can_read(const Caller& who, const store::ReportRow& report);
// The ticket if the caller may read it; 404 otherwise.
store::ReportRow readable_report(store::Conn& conn, const Caller& who, std::int64_t report_id);

// Derived fields of the report object.
class PossibleDuplicatesCache;  // domain/possible_duplicates.hpp
// How a job finds possible duplicates: in a read job the server's cache, with its epoch taken
// before the job began (PossibleDuplicatesCache::lookup); empty in a writer job, which computes
// them afresh.
struct DuplicatesLookup {
    PossibleDuplicatesCache* cache = nullptr;
    std::uint64_t epoch = 0;
};

struct ReportExtras {
    std::vector<store::PhotoRow> photos;
    std::vector<std::int64_t> possible_duplicates;
    std::vector<std::int64_t> photo_reused_from;  // staff only (left empty for others)
    std::vector<std::string> media_urls;          // staff only: an Open311 partner's media_url links
    std::optional<std::vector<store::EventRow>> events;
    // The city's calendar when the ticket's category counts working time: the deadline light
    // then compares working time (API.md §4 "Working-time deadlines").
    std::shared_ptr<const WorkCalendar> work_calendar;
};
// `staff`: whether the staff-only lists are wanted.
ReportExtras load_extras(store::Conn& conn, const store::ReportRow& report, bool with_events,
                         DuplicatesLookup duplicates, bool staff);

bool is_overdue(const store::ReportRow& report, std::int64_t now);
// "green" | "yellow" | "red", or nullopt (API.md §4); elapsed time counted in working time when
// `work_calendar` is given (a working-time category).
std::optional<std::string> deadline_light(const store::ReportRow& report, std::int64_t now,
                                          const WorkCalendar* work_calendar = nullptr);

}  // namespace civic::domain
