#pragma once
// Reports, their events and photos, and the two spatial/perceptual indexes over them.
#include "server/store/conn.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace civic::store {

struct ReportRow {
    std::int64_t id = 0;
    std::string status;
    std::string category;
    std::string description;
    double lat = 0;
    double lon = 0;
    // False for a report that arrived with an address only (Open311): lat/lon are then 0
    // placeholders, not a position (schema/008_open311_updates.sql).
    bool located = true;
    std::optional<std::string> address;
    std::optional<std::int64_t> grid_id;
    std::optional<std::int64_t> assignee_id;
    std::int64_t reporter_id = 0;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> accepted_at, deadline_at, resolved_at, closed_at;
    std::int64_t extension_hours = 0;
    std::int64_t rework_count = 0;
    std::optional<std::int64_t> duplicate_of;
    std::optional<std::int64_t> rating;
    std::optional<std::string> rating_comment;
    std::int64_t points_awarded = 0;
    std::int64_t updated_at = 0;
    // The standard's branches (schema/009_workflow_branches.sql).
    bool verified = false;
    bool self_handled = false;
    std::optional<std::int64_t> check_deadline_at;
    std::optional<std::int64_t> parked_until, parked_at;
    std::optional<std::string> parked_from;
    std::int64_t parked_seconds = 0;       // calendar seconds spent parked, all told
    std::int64_t parked_work_seconds = 0;  // the working time inside them (schema/011)
};

struct EventRow {
    std::int64_t at = 0;
    std::int64_t actor_id = 0;
    std::string action;
    std::optional<std::string> from_status;
    std::string to_status;
    std::optional<std::string> note;
};

struct PhotoBlobRow {
    std::string sha256;
    std::string format;  // "jpeg" | "png"
    std::int64_t width = 0, height = 0, bytes = 0;
    std::int64_t dhash = 0;  // the 64-bit hash's bits, stored signed
};

struct PhotoRow {
    std::int64_t id = 0;
    std::int64_t report_id = 0;
    std::string stage;
    PhotoBlobRow blob;
};

std::int64_t insert_report(Conn& conn, const ReportRow& r);
// Writes every mutable column of `r` back (the id and creation fields never change).
void update_report(Conn& conn, const ReportRow& r);
std::optional<ReportRow> find_report(Conn& conn, std::int64_t id);
// find_report for an update of the row: locked until commit on PostgreSQL (row_lock.hpp), so
// concurrent actions on one ticket run one after another, each on the row the other left.
std::optional<ReportRow> lock_report(Conn& conn, std::int64_t id);

// Returns the event's id.
std::int64_t insert_event(Conn& conn, std::int64_t report_id, const EventRow& e);
std::vector<EventRow> list_events(Conn& conn, std::int64_t report_id);

// Inserts the blob row unless the same bytes are stored already.
void upsert_photo_blob(Conn& conn, const PhotoBlobRow& blob);
std::int64_t insert_photo(Conn& conn, std::int64_t report_id, std::string_view stage, std::string_view sha256,
                          std::int64_t now);
std::vector<PhotoRow> list_photos(Conn& conn, std::int64_t report_id);

// What a report view shows beside the report's own row, read by one statement (one round trip,
// one statement stepped, instead of four): its photos, always; its photo-reuse links and the
// media links an Open311 partner sent, when `staff_links`; its events, when `events`. Each list
// in the order of its own single-list reader (list_photos, list_photo_reuse, list_media_urls,
// list_events).
struct ReportDetails {
    std::vector<PhotoRow> photos;
    std::vector<std::int64_t> photo_reused_from;
    std::vector<std::string> media_urls;
    std::vector<EventRow> events;
};
ReportDetails report_details(Conn& conn, std::int64_t report_id, bool staff_links, bool events);
std::optional<PhotoRow> find_photo(Conn& conn, std::int64_t photo_id);

// The open-report point index (for possible duplicates): where, when and of what category each
// open report was made. Times are kept in open_point_time's units (schema/022): 14 days per 0.001
// from 2020, so that the search's ~100 m, 14-day box is about a cube and the R*Tree's nodes are
// compact in all three axes. The category is a fourth axis (category_point_key, schema/023), and
// each point carries its report's exact category, time and place, so a search reads no report.
double open_point_time(std::int64_t created_at);
std::int64_t category_point_key(std::string_view category);
void index_open_report(Conn& conn, const ReportRow& report);
void unindex_open_report(Conn& conn, std::int64_t id);
void recategorise_open_report(Conn& conn, std::int64_t id, std::string_view category);
struct OpenPoint {
    std::int64_t id;
    double lon, lat;
};

// SQLite only (schema/024): the changes of open points in commit order, for the copy read jobs
// keep in memory (domain::OpenPointsIndex). The store keeps the last kKeptOpenPointChanges.
inline constexpr std::int64_t kKeptOpenPointChanges = 100'000;
struct OpenPointRow {
    std::int64_t id;
    std::string category;
    std::int64_t created_at;
    double lon, lat;
};
// The newest and the oldest change kept (0 when none is).
std::int64_t last_open_point_change(Conn& conn);
std::int64_t first_open_point_change(Conn& conn);
// Every open point.
void each_open_point(Conn& conn, const std::function<void(const OpenPointRow&)>& fn);
// The changes with after_seq < seq <= through_seq in order, each with its report's point as
// this snapshot holds it (nullopt: none any more).
void each_open_point_change(Conn& conn, std::int64_t after_seq, std::int64_t through_seq,
                            const std::function<void(std::int64_t, const std::optional<OpenPointRow>&)>& fn);
// Open reports of `category` whose point lies in the box, created within [since, until], by id.
std::vector<OpenPoint> open_reports_in_box(Conn& conn, std::string_view category, double min_lon, double min_lat,
                                           double max_lon, double max_lat, std::int64_t since, std::int64_t until);
// The statuses of tickets that are nobody's work any more — domain::is_open's complement — as an
// SQL list for `status IN …` (TicketRules.StatusNamesRoundTripAndOpenness checks the two agree).
inline constexpr std::string_view kNotOpenStatusesSql = "('closed', 'rejected', 'duplicate', 'voided')";

// Points that disagree with their report's category, time or place, or whose report is gone;
// keys that are not their category's; open located reports without a point.
std::vector<std::string> open_point_mismatches(Conn& conn);

// Perceptual-hash bands and photo reuse.
void insert_hash_band(Conn& conn, std::int64_t band_key, std::int64_t report_id, std::int64_t dhash);
struct HashCandidate {
    std::int64_t report_id;
    std::int64_t dhash;
};
// The most recent `limit` entries of a band, and of the reports holding a photo, before a report.
std::vector<HashCandidate> hash_band_candidates(Conn& conn, std::int64_t band_key, std::int64_t before_report_id,
                                                std::size_t limit);
std::vector<std::int64_t> reports_with_photo(Conn& conn, std::string_view sha256, std::int64_t before_report_id,
                                             std::size_t limit);
void insert_photo_reuse(Conn& conn, std::int64_t report_id, std::int64_t earlier_report_id);
std::vector<std::int64_t> list_photo_reuse(Conn& conn, std::int64_t report_id);

bool user_in_grid(Conn& conn, std::int64_t user_id, std::int64_t grid_id);

// Listing: newest first from `before_id` (exclusive), filtered; at most `limit` rows.
struct ReportFilter {
    // Scope (set by the caller's role): at most one of these.
    std::optional<std::int64_t> reporter_id;
    std::optional<std::int64_t> assignee_id;
    std::optional<std::int64_t> manager_id;  // tickets of the grids this manager runs
    // Query filters.
    std::optional<std::string> status;
    std::optional<std::int64_t> grid_id;
    std::optional<std::string> category;
    std::optional<std::int64_t> overdue_at;  // only tickets overdue at this time
    std::optional<std::int64_t> before_id;
    int limit = 50;
};
std::vector<ReportRow> list_reports(Conn& conn, const ReportFilter& filter);

// Overdue open tickets (API.md §8: accepted, not closed, deadline before `now`), most overdue
// first: ascending deadline, then id, after the (deadline, id) of `after`.
struct OverdueFilter {
    std::int64_t now = 0;
    std::optional<std::int64_t> manager_id;                           // only this manager's grids
    std::optional<std::pair<std::int64_t, std::int64_t>> after;       // (deadline_at, id) last seen
    std::optional<std::pair<std::int64_t, std::int64_t>> created_in;  // [from, to)
    int limit = 50;
};
std::vector<ReportRow> list_overdue(Conn& conn, const OverdueFilter& filter);

}  // namespace civic::store
