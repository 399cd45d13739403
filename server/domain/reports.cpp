#include "server/domain/reports.hpp"

#include "common/errors.hpp"
#include "common/geo.hpp"
#include "common/utf8.hpp"
#include "server/domain/city.hpp"
#include "server/domain/ledger.hpp"
#include "server/domain/possible_duplicates.hpp"
#include "server/domain/work_time.hpp"
#include "server/media/photo.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/city_repo.hpp"
#include "server/store/open311_repo.hpp"
#include "server/store/worker_loads_repo.hpp"

#include <algorithm>
#include <bit>
#include <functional>

namespace civic::domain {

using store::ReportRow;

namespace {

constexpr int kHashBands = 4;
constexpr int kHashBandBits = 16;
static_assert(photo::kSamePhotoMaxDistance < kHashBands, "the band index finds pairs within bands - 1 bits only");

void check_text(const char* field, const std::optional<std::string>& text, std::size_t min_chars, std::size_t max_chars,
                bool allow_newlines) {
    if (!text) {
        if (min_chars > 0) throw ApiError::invalid_field(field, std::string(field) + " is required");
        return;
    }
    if (!utf8::valid(*text)) throw ApiError::invalid_field(field, std::string(field) + " must be valid UTF-8");
    const auto n = utf8::length(*text);
    if (n < min_chars || n > max_chars)
        throw ApiError::invalid_field(field, std::string(field) + " must be " + std::to_string(min_chars) + ".." +
                                                 std::to_string(max_chars) + " characters");
    if (utf8::has_control_chars(*text, allow_newlines))
        throw ApiError::invalid_field(field, std::string(field) + " must not contain control characters");
}

store::CategoryRow existing_category(store::Conn& conn, std::string_view code) {
    auto category = store::find_category(conn, code);
    if (!category) throw ApiError::invalid_field("category", "no such category");
    return *category;
}

std::int64_t band_key(std::int64_t dhash, int band) {
    const auto bits = static_cast<std::uint64_t>(dhash);
    const auto value = (bits >> (band * kHashBandBits)) & 0xffffu;
    return band * 65536 + static_cast<std::int64_t>(value);
}

// Earlier reports whose photos match this one's, exactly (same bytes) or nearly (dHash): the
// kMaxPhotoReuseLinks most recent.
void record_photo_reuse(store::Conn& conn, std::int64_t report_id, const store::PhotoBlobRow& photo) {
    std::vector<std::int64_t> earlier = store::reports_with_photo(conn, photo.sha256, report_id, kMaxPhotoReuseLinks);
    for (int band = 0; band < kHashBands; ++band)
        for (const auto& c :
             store::hash_band_candidates(conn, band_key(photo.dhash, band), report_id, kMaxHashCandidatesPerBand))
            if (photo::hamming(static_cast<std::uint64_t>(c.dhash), static_cast<std::uint64_t>(photo.dhash)) <=
                photo::kSamePhotoMaxDistance)
                earlier.push_back(c.report_id);
    std::sort(earlier.begin(), earlier.end(), std::greater<>());
    earlier.erase(std::unique(earlier.begin(), earlier.end()), earlier.end());
    if (earlier.size() > kMaxPhotoReuseLinks) earlier.resize(kMaxPhotoReuseLinks);
    for (auto id : earlier) store::insert_photo_reuse(conn, report_id, id);
    for (int band = 0; band < kHashBands; ++band)
        store::insert_hash_band(conn, band_key(photo.dhash, band), report_id, photo.dhash);
}

Status status_of(const ReportRow& r) {
    auto s = parse_status(r.status);
    if (!s) throw std::logic_error("unknown status in database: " + r.status);
    return *s;
}

// Calendar or working time after acceptance, as the category says (domain/work_time.hpp), moved
// later by the time spent parked (挂账) in the same measure: calendar seconds, or working time.
std::optional<std::int64_t> deadline_for(store::Conn& conn, const ReportRow& r, const store::CategoryRow& category) {
    const auto deadline = deadline_of(conn, category, *r.accepted_at, r.extension_hours);
    if (!deadline || (r.parked_seconds == 0 && r.parked_work_seconds == 0)) return deadline;
    const ParkedTime parked{r.parked_seconds, r.parked_work_seconds};
    if (!is_work_time(category)) return shift_deadline_for_parking(*deadline, parked, nullptr);
    const auto calendar = load_work_calendar(conn);
    return shift_deadline_for_parking(*deadline, parked, &calendar);
}

// The grid's worker with the fewest open tickets (ties: lowest id), if any. The counts are kept
// per worker (schema/017_worker_loads.sql): O(workers of the grid), whatever their load.
std::optional<std::int64_t> least_loaded_worker(store::Conn& conn, std::int64_t grid_id) {
    const auto loads = store::lock_grid_worker_loads(conn, grid_id);  // ascending ids
    const auto best = std::min_element(loads.begin(), loads.end(), [](const auto& a, const auto& b) {
        return a.open_tickets < b.open_tickets;  // the first of equals: the lowest id
    });
    if (best == loads.end()) return std::nullopt;
    return best->worker_id;
}

void check_worker_of_grid(store::Conn& conn, const ReportRow& r, std::int64_t worker_id) {
    auto worker = store::find_user(conn, worker_id);
    if (!worker || stored_role(worker->role) != Role::worker || !r.grid_id ||
        !store::user_in_grid(conn, worker_id, *r.grid_id))
        throw ApiError::invalid_field("worker_id", "worker_id must be a worker of the ticket's grid");
}

// Reports posted by an Open311 partner app belong to its hidden account, which earns nothing;
// nor do self-handled reports, filed by staff.
bool earns_points(store::Conn& conn, const ReportRow& r) {
    return !r.self_handled && !store::is_partner_user(conn, r.reporter_id);
}

std::string worker_note(std::int64_t worker_id) { return "assigned to worker " + std::to_string(worker_id); }

}  // namespace

void add_photos(store::Conn& conn, std::int64_t report_id, std::string_view stage,
                const std::vector<store::PhotoBlobRow>& photos, std::int64_t now) {
    for (const auto& photo : photos) {
        store::upsert_photo_blob(conn, photo);
        store::insert_photo(conn, report_id, stage, photo.sha256, now);
        if (stage == "report") record_photo_reuse(conn, report_id, photo);
    }
}

void check_new_report(store::Conn& conn, const NewReport& in, std::size_t photo_count) {
    existing_category(conn, in.category);
    check_text("description", in.description, 1, in.max_description_chars, true);
    check_text("address", in.address, 0, kMaxAddressChars, false);
    if (photo_count < in.min_photos || photo_count > kMaxPhotosPerReport)
        throw ApiError::invalid_field("photo", "a report needs " + std::to_string(in.min_photos) + "..6 photos");
}

std::int64_t check_self_handled(store::Conn& conn, const NewReport& in, std::size_t after_photo_count) {
    if (after_photo_count < 1 || after_photo_count > kMaxPhotosPerReport)
        throw ApiError::invalid_field("after", "a self-handled report needs 1..6 after photos");
    // Where grids overlap, the smallest of the worker's own grids that contains the point: the
    // worker handled it on that grid's patrol, and that grid's managers verify it (docs/api.md).
    const auto grid = route_point_among(conn, {in.lon, in.lat}, [&](std::int64_t grid_id) {
        return store::user_in_grid(conn, in.reporter_id, grid_id);
    });
    if (!grid) throw ApiError::invalid_field("lat", "a self-handled report lies in one of the worker's grids");
    return *grid;
}

ReportRow submit_report(store::Conn& conn, const NewReport& in, std::int64_t now) {
    check_new_report(conn, in, in.photos.size());
    if (!in.self_handled && !in.after_photos.empty())
        throw ApiError::invalid_field("after", "only a self-handled report has after photos");

    ReportRow r;
    r.status = "submitted";
    r.category = in.category;
    r.description = in.description;
    r.located = in.located;
    r.lat = in.located ? in.lat : 0;  // placeholders when unplaced (schema/008)
    r.lon = in.located ? in.lon : 0;
    r.address = in.address;
    if (in.located) r.grid_id = route_point(conn, {in.lon, in.lat});  // else the dispatch center's queue
    r.reporter_id = in.reporter_id;
    r.created_at = r.updated_at = now;
    if (in.self_handled) {  // found and fixed on patrol: waits for the manager's verify
        r.grid_id = check_self_handled(conn, in, in.after_photos.size());
        r.status = to_string(Status::resolved);
        r.self_handled = true;
        r.assignee_id = in.reporter_id;
        r.resolved_at = now;
    }
    r.id = store::insert_report(conn, r);
    store::insert_event(conn, r.id, {now, in.reporter_id, "submit", std::nullopt, r.status, std::nullopt});
    add_photos(conn, r.id, "report", in.photos, now);
    add_photos(conn, r.id, "resolution", in.after_photos, now);
    if (r.located) store::index_open_report(conn, r);
    return r;
}

void check_action_fields(const ActionRequest& q) {
    const auto* t = find_transition(q.action);
    if (!t) throw ApiError::invalid_field("action", "unknown action");
    check_text("reason", q.reason, needs(*t, field::reason) ? 1 : 0, kMaxReasonChars, true);
    check_text("note", q.note, 0, kMaxReasonChars, true);
    if (needs(*t, field::of) && !q.of) throw ApiError::invalid_field("of", "of is required");
    if (needs(*t, field::worker_id) && !q.worker_id)
        throw ApiError::invalid_field("worker_id", "worker_id is required");
    if (needs(*t, field::hours) && (!q.hours || *q.hours < 1 || *q.hours > kMaxExtensionHours))
        throw ApiError::invalid_field("hours", "hours must be 1..720");
    if (needs(*t, field::grid_id) && !q.grid_id) throw ApiError::invalid_field("grid_id", "grid_id is required");
    if (needs(*t, field::category) && !q.category) throw ApiError::invalid_field("category", "category is required");
    if (needs(*t, field::until) && !q.until) throw ApiError::invalid_field("until", "until is required");
    if (needs(*t, field::photo) && q.photos.empty())
        throw ApiError::invalid_field("photo", q.action + " needs at least one photo");
    if (!needs(*t, field::photo) && !q.photos.empty()) {
        std::string takers;
        for (const auto& other : all_transitions())
            if (needs(other, field::photo)) takers.append(takers.empty() ? "" : ", ").append(other.action);
        throw ApiError::invalid_field("photo", "only " + takers + " takes photos");
    }
    if (q.photos.size() > kMaxPhotosPerReport) throw ApiError::invalid_field("photo", "at most 6 photos");
}

namespace {

// The ticket if `who` may apply q.action to it now; 404 / 403 / 409 invalid_transition.
ReportRow judge_action(const Caller& who, std::optional<ReportRow> r, const ActionRequest& q) {
    if (!r || (!who.is_staff() && !can_read(who, *r))) throw ApiError::not_found("no such report");
    const auto* t = find_transition(q.action);
    if (!t) throw ApiError::invalid_field("action", "unknown action");
    switch (judge(*t, actors_for(who, r->grid_id, r->assignee_id), status_of(*r))) {
        case Verdict::forbidden:
            throw ApiError::forbidden("this account may not " + q.action + " this ticket");
        case Verdict::invalid_transition:
            throw ApiError::invalid_transition("cannot " + q.action + " a ticket that is " + r->status);
        case Verdict::allowed:
            break;
    }
    return *r;
}

}  // namespace

ReportRow check_action_allowed(store::Conn& conn, const Caller& who, std::int64_t report_id, const ActionRequest& q) {
    return judge_action(who, store::find_report(conn, report_id), q);
}

ReportRow apply_action(store::Conn& conn, const Caller& who, std::int64_t report_id, const ActionRequest& q,
                       std::int64_t now, std::int64_t daily_points_cap) {
    check_action_fields(q);
    // The row is locked before it is judged: an action racing this one on the same ticket waits,
    // then is judged against (and writes over) the row as this one left it.
    ReportRow r = judge_action(who, store::lock_report(conn, report_id), q);
    const auto& t = *find_transition(q.action);
    const std::string from = r.status;
    const Status from_status = status_of(r);
    std::optional<std::string> note = q.reason ? q.reason : q.note;
    if (t.to) r.status = to_string(*t.to);
    ActionContext context{conn, q, r, from_status, note, now, daily_points_cap};
    t.effect(context);
    r.updated_at = now;
    store::update_report(conn, r);
    store::insert_event(conn, r.id, {now, who.user_id, q.action, from, r.status, note});
    return r;
}

namespace effects {

void nothing(ActionContext&) {}

void accept(ActionContext& c) {
    auto& r = c.report;
    const auto category = existing_category(c.conn, r.category);
    r.accepted_at = c.now;
    r.deadline_at = deadline_for(c.conn, r, category);
    if (earns_points(c.conn, r))
        r.points_awarded += ledger::pay_report_points(c.conn, r.reporter_id, r.id, "report_accepted",
                                                      category.points_on_accept, c.now, c.daily_points_cap);
    if (!r.grid_id) return;
    auto grid = store::find_grid(c.conn, *r.grid_id);
    if (!grid || !grid->auto_assign) return;
    if (auto worker = least_loaded_worker(c.conn, *r.grid_id)) {
        r.status = to_string(Status::assigned);  // accepted and dispatched in one step
        r.assignee_id = worker;
        c.note = worker_note(*worker);
    }
}

void close_for_good(ActionContext& c) { store::unindex_open_report(c.conn, c.report.id); }

void mark_duplicate(ActionContext& c) {
    auto original = store::find_report(c.conn, *c.request.of);
    if (!original || original->id == c.report.id) throw ApiError::invalid_field("of", "of must be another report");
    c.report.duplicate_of = original->id;
    c.note = "duplicate of " + std::to_string(original->id);
    close_for_good(c);
}

void assign(ActionContext& c) {
    check_worker_of_grid(c.conn, c.report, *c.request.worker_id);
    c.report.assignee_id = c.request.worker_id;
    c.note = worker_note(*c.request.worker_id);
}

void unassign(ActionContext& c) { c.report.assignee_id.reset(); }

void resolve(ActionContext& c) {
    c.report.resolved_at = c.now;
    add_photos(c.conn, c.report.id, "resolution", c.request.photos, c.now);
}

void verify(ActionContext& c) {
    auto& r = c.report;
    const auto category = existing_category(c.conn, r.category);
    r.closed_at = c.now;
    if (earns_points(c.conn, r))
        r.points_awarded += ledger::pay_report_points(c.conn, r.reporter_id, r.id, "report_closed",
                                                      category.points_on_close, c.now, c.daily_points_cap);
    close_for_good(c);
}

void rework(ActionContext& c) {
    c.report.resolved_at.reset();
    ++c.report.rework_count;
}

void extend(ActionContext& c) {
    const auto hours = *c.request.hours;
    // Only a working-time deadline past the calendar's horizon can be missing (domain/work_time.hpp).
    if (!c.report.deadline_at) throw ApiError::invalid_transition("this ticket has no deadline to extend");
    const auto category = existing_category(c.conn, c.report.category);
    const auto later = extended_deadline(c.conn, category, *c.report.deadline_at, hours);
    if (!later) throw ApiError::invalid_field("hours", "the deadline would lie beyond the working calendar's horizon");
    c.report.extension_hours += hours;
    c.report.deadline_at = later;
    c.note = std::string("+").append(std::to_string(hours)).append("h: ").append(*c.request.reason);
}

void set_grid(ActionContext& c) {
    if (!store::find_grid(c.conn, *c.request.grid_id)) throw ApiError::invalid_field("grid_id", "no such grid");
    c.report.grid_id = c.request.grid_id;
    c.report.assignee_id.reset();
    c.note = "grid " + std::to_string(*c.request.grid_id);
}

void request_check(ActionContext& c) {
    check_worker_of_grid(c.conn, c.report, *c.request.worker_id);
    c.report.assignee_id = c.request.worker_id;
    c.report.check_deadline_at = c.now + kCheckSeconds;
    c.note = "check by worker " + std::to_string(*c.request.worker_id) + (c.note ? ": " + *c.note : std::string());
}

void confirm_check(ActionContext& c) {
    c.report.verified = true;
    c.report.assignee_id.reset();
    add_photos(c.conn, c.report.id, "check", c.request.photos, c.now);
}

void refute_check(ActionContext& c) {
    c.report.assignee_id.reset();
    close_for_good(c);
}

void park(ActionContext& c) {
    const auto until = *c.request.until;
    if (until < c.now + kMinParkSeconds || until > c.now + kMaxParkSeconds)
        throw ApiError::invalid_field("until", "until must be 1 hour to 365 days ahead");
    c.report.parked_from = std::string(to_string(c.from));
    c.report.parked_at = c.now;
    c.report.parked_until = until;
}

void unpark(ActionContext& c) {
    auto& r = c.report;
    const auto back = r.parked_from ? parse_status(*r.parked_from) : std::nullopt;
    if (!back || !r.parked_at) throw std::logic_error("a parked ticket without parked_from/parked_at");
    r.status = to_string(*back);
    // Both measures are kept, so that a later set_category to either kind of category keeps the shift.
    const auto calendar = load_work_calendar(c.conn);
    const auto parked = parked_time(calendar, *r.parked_at, c.now);
    const bool work_time = is_work_time(existing_category(c.conn, r.category));
    if (r.deadline_at)
        r.deadline_at = shift_deadline_for_parking(*r.deadline_at, parked, work_time ? &calendar : nullptr);
    r.parked_seconds += parked.seconds;
    r.parked_work_seconds += parked.work_seconds;
    r.parked_from.reset();
    r.parked_at.reset();
    r.parked_until.reset();
}

void void_ticket(ActionContext& c) {
    auto& r = c.report;
    if (earns_points(c.conn, r) && (r.points_awarded > 0 || r.accepted_at)) {
        const auto taken = ledger::take_back_report_points(c.conn, r.reporter_id, r.id, r.points_awarded,
                                                           r.accepted_at.has_value(), c.now);
        if (taken < r.points_awarded)  // spent already: the ledger cannot go below zero
            c.note = *c.note + " (" + std::to_string(taken) + " of " + std::to_string(r.points_awarded) +
                     " points taken back)";
        r.points_awarded = 0;
    }
    r.parked_from.reset();
    r.parked_at.reset();
    r.parked_until.reset();
    close_for_good(c);
}

void set_category(ActionContext& c) {
    auto& r = c.report;
    const auto category = existing_category(c.conn, *c.request.category);
    c.note = r.category + " -> " + category.code;
    r.category = category.code;
    if (r.accepted_at) r.deadline_at = deadline_for(c.conn, r, category);
    store::recategorise_open_report(c.conn, r.id, r.category);  // none for a closed ticket
}

}  // namespace effects

ReportRow rate_report(store::Conn& conn, const Caller& who, std::int64_t report_id, std::int64_t rating,
                      std::optional<std::string> comment, std::int64_t now) {
    check_text("comment", comment, 0, kMaxReasonChars, true);
    auto found = store::lock_report(conn, report_id);  // as apply_action: one rating, never two
    if (!found || !can_read(who, *found)) throw ApiError::not_found("no such report");
    ReportRow r = *found;
    if (r.reporter_id != who.user_id) throw ApiError::forbidden("only the reporter rates a report");
    if (r.status != "resolved" && r.status != "closed")
        throw ApiError::invalid_transition("a report is rated once it is resolved or closed");
    if (r.rating) throw ApiError::invalid_transition("this report has been rated already");
    const std::string from = r.status;
    r.rating = rating;
    r.rating_comment = comment;
    if (r.status == "resolved" && rating <= 2) {  // the resident says it is not fixed: rework
        r.status = "in_progress";
        r.resolved_at.reset();
        ++r.rework_count;
    }
    r.updated_at = now;
    store::update_report(conn, r);
    store::insert_event(conn, r.id,
                        {now, who.user_id, "rate", from, r.status,
                         std::to_string(rating) + (comment ? ": " + *comment : std::string())});
    return r;
}

bool can_read(const Caller& who, const ReportRow& r) {
    switch (who.role) {
        case Role::admin:
        case Role::dispatcher:
            return true;
        case Role::manager:
            return who.in_grid(r.grid_id);
        case Role::worker:
            return r.assignee_id == who.user_id || who.in_grid(r.grid_id);
        case Role::resident:
            return r.reporter_id == who.user_id;
    }
    return false;
}

ReportRow readable_report(store::Conn& conn, const Caller& who, std::int64_t report_id) {
    auto r = store::find_report(conn, report_id);
    if (!r || !can_read(who, *r)) throw ApiError::not_found("no such report");
    return *r;
}

ReportExtras load_extras(store::Conn& conn, const ReportRow& r, bool with_events, DuplicatesLookup duplicates,
                         bool staff) {
    ReportExtras x;
    auto details = store::report_details(conn, r.id, staff, with_events);
    x.photos = std::move(details.photos);
    x.possible_duplicates =
        duplicates.cache ? duplicates.cache->of(conn, r, duplicates.epoch) : find_possible_duplicates(conn, r);
    x.photo_reused_from = std::move(details.photo_reused_from);
    x.media_urls = std::move(details.media_urls);
    if (with_events) x.events = std::move(details.events);
    if (r.deadline_at) {
        const auto category = store::find_category(conn, r.category);
        if (category && is_work_time(*category))
            x.work_calendar = std::make_shared<const WorkCalendar>(load_work_calendar(conn));
    }
    return x;
}

bool is_overdue(const ReportRow& r, std::int64_t now) {
    const auto s = status_of(r);
    return r.deadline_at && (s == Status::accepted || s == Status::assigned || s == Status::in_progress) &&
           now > *r.deadline_at;
}

std::optional<std::string> deadline_light(const ReportRow& r, std::int64_t now, const WorkCalendar* work_calendar) {
    const auto s = status_of(r);
    if (!r.deadline_at || !r.accepted_at) return std::nullopt;
    if (s != Status::accepted && s != Status::assigned && s != Status::in_progress) return std::nullopt;
    if (now > *r.deadline_at) return "red";
    // Working time for a working-time category, else calendar time.
    const auto span = work_calendar ? work_calendar->work_seconds_between(*r.accepted_at, *r.deadline_at)
                                    : *r.deadline_at - *r.accepted_at;
    const auto elapsed =
        work_calendar ? work_calendar->work_seconds_between(*r.accepted_at, now) : now - *r.accepted_at;
    // Elapsed ≥ 80 % of the span, in integers: 5·elapsed ≥ 4·span.
    if (span <= 0 || 5 * elapsed >= 4 * span) return "yellow";
    return "green";
}

}  // namespace civic::domain
