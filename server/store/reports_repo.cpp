#include "server/store/reports_repo.hpp"
#include "server/store/row_lock.hpp"
#include "server/store/sqlite.hpp"

#include <algorithm>

namespace civic::store {

namespace {

constexpr const char* kReportColumns =
    "SELECT id, status, category, description, lat, lon, address, grid_id, assignee_id, reporter_id, created_at, "
    "accepted_at, deadline_at, resolved_at, closed_at, extension_hours, rework_count, duplicate_of, rating, "
    "rating_comment, points_awarded, updated_at, located, verified, self_handled, check_deadline_at, parked_until, "
    "parked_at, parked_from, parked_seconds, parked_work_seconds FROM reports";

ReportRow read_report(Query& q) {
    ReportRow r;
    r.id = q.int64(0);
    r.status = q.text(1);
    r.category = q.text(2);
    r.description = q.text(3);
    r.lat = q.real(4);
    r.lon = q.real(5);
    r.address = q.opt_text(6);
    r.grid_id = q.opt_int64(7);
    r.assignee_id = q.opt_int64(8);
    r.reporter_id = q.int64(9);
    r.created_at = q.int64(10);
    r.accepted_at = q.opt_int64(11);
    r.deadline_at = q.opt_int64(12);
    r.resolved_at = q.opt_int64(13);
    r.closed_at = q.opt_int64(14);
    r.extension_hours = q.int64(15);
    r.rework_count = q.int64(16);
    r.duplicate_of = q.opt_int64(17);
    r.rating = q.opt_int64(18);
    r.rating_comment = q.opt_text(19);
    r.points_awarded = q.int64(20);
    r.updated_at = q.int64(21);
    r.located = q.int64(22) != 0;
    r.verified = q.int64(23) != 0;
    r.self_handled = q.int64(24) != 0;
    r.check_deadline_at = q.opt_int64(25);
    r.parked_until = q.opt_int64(26);
    r.parked_at = q.opt_int64(27);
    r.parked_from = q.opt_text(28);
    r.parked_seconds = q.int64(29);
    r.parked_work_seconds = q.int64(30);
    return r;
}

PhotoRow read_photo(Query& q) {
    PhotoRow p;
    p.id = q.int64(0);
    p.report_id = q.int64(1);
    p.stage = q.text(2);
    p.blob.sha256 = q.text(3);
    p.blob.format = q.text(4);
    p.blob.width = q.int64(5);
    p.blob.height = q.int64(6);
    p.blob.bytes = q.int64(7);
    p.blob.dhash = q.int64(8);
    return p;
}

constexpr const char* kPhotoColumns =
    "SELECT p.id, p.report_id, p.stage, b.sha256, b.format, b.width, b.height, b.bytes, b.dhash "
    "FROM photos p JOIN photo_blobs b ON b.sha256 = p.sha256";

}  // namespace

std::int64_t insert_report(Conn& conn, const ReportRow& r) {
    return conn
        .query(
            "INSERT INTO reports (status, category, description, lat, lon, address, grid_id, reporter_id, "
            "created_at, updated_at, located, assignee_id, resolved_at, self_handled) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
        .args(r.status, r.category, r.description, r.lat, r.lon, r.address, r.grid_id, r.reporter_id, r.created_at,
              r.updated_at, std::int64_t{r.located ? 1 : 0}, r.assignee_id, r.resolved_at,
              std::int64_t{r.self_handled ? 1 : 0})
        .run_returning_id();
}

void update_report(Conn& conn, const ReportRow& r) {
    conn.query(
            "UPDATE reports SET status = ?, category = ?, grid_id = ?, assignee_id = ?, accepted_at = ?, "
            "deadline_at = ?, resolved_at = ?, closed_at = ?, extension_hours = ?, rework_count = ?, "
            "duplicate_of = ?, rating = ?, rating_comment = ?, points_awarded = ?, updated_at = ?, verified = ?, "
            "check_deadline_at = ?, parked_until = ?, parked_at = ?, parked_from = ?, parked_seconds = ?, "
            "parked_work_seconds = ? WHERE id = ?")
        .args(r.status, r.category, r.grid_id, r.assignee_id, r.accepted_at, r.deadline_at, r.resolved_at, r.closed_at,
              r.extension_hours, r.rework_count, r.duplicate_of, r.rating, r.rating_comment, r.points_awarded,
              r.updated_at, std::int64_t{r.verified ? 1 : 0}, r.check_deadline_at, r.parked_until, r.parked_at,
              r.parked_from, r.parked_seconds, r.parked_work_seconds, r.id)
        .run();
}

std::optional<ReportRow> find_report(Conn& conn, std::int64_t id) {
    static const std::string kSql = std::string(kReportColumns) + " WHERE id = ?";  // built once: every ticket read
    auto q = conn.query(kSql);
    q.args(id);
    if (!q.next()) return std::nullopt;
    return read_report(q);
}

std::optional<ReportRow> lock_report(Conn& conn, std::int64_t id) {
    auto q = conn.query(locking(conn, std::string(kReportColumns) + " WHERE id = ?"));
    q.args(id);
    if (!q.next()) return std::nullopt;
    return read_report(q);
}

std::int64_t insert_event(Conn& conn, std::int64_t report_id, const EventRow& e) {
    return conn
        .query(
            "INSERT INTO report_events (report_id, at, actor_id, action, from_status, to_status, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
        .args(report_id, e.at, e.actor_id, e.action, e.from_status, e.to_status, e.note)
        .run_returning_id();
}

std::vector<EventRow> list_events(Conn& conn, std::int64_t report_id) {
    std::vector<EventRow> out;
    auto q = conn.query(
        "SELECT at, actor_id, action, from_status, to_status, note FROM report_events WHERE report_id = ? "
        "ORDER BY id");
    q.args(report_id);
    while (q.next()) out.push_back({q.int64(0), q.int64(1), q.text(2), q.opt_text(3), q.text(4), q.opt_text(5)});
    return out;
}

void upsert_photo_blob(Conn& conn, const PhotoBlobRow& b) {
    conn.query(
            "INSERT INTO photo_blobs (sha256, format, width, height, bytes, dhash) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (sha256) DO NOTHING")
        .args(b.sha256, b.format, b.width, b.height, b.bytes, b.dhash)
        .run();
}

std::int64_t insert_photo(Conn& conn, std::int64_t report_id, std::string_view stage, std::string_view sha256,
                          std::int64_t now) {
    return conn.query("INSERT INTO photos (report_id, stage, sha256, created_at) VALUES (?, ?, ?, ?) RETURNING id")
        .args(report_id, stage, sha256, now)
        .run_returning_id();
}

std::vector<PhotoRow> list_photos(Conn& conn, std::int64_t report_id) {
    std::vector<PhotoRow> out;
    auto q = conn.query(std::string(kPhotoColumns) + " WHERE p.report_id = ? ORDER BY p.id");
    q.args(report_id);
    while (q.next()) out.push_back(read_photo(q));
    return out;
}

namespace {

// One UNION ALL over the four lists, rows tagged with their list (`part`) and carrying the key
// each list is ordered by (`ord`). Columns are shared: i1..i5 integers, t1..t4 text; the first
// branch types them for PostgreSQL. No ORDER BY: a compound ORDER BY made SQLite sort every
// branch (half the statement's cost); the few rows are put in order here instead.
enum DetailPart : std::int64_t { kPartPhoto = 0, kPartReuse = 1, kPartMedia = 2, kPartEvent = 3 };

std::string report_details_sql(bool staff_links, bool events) {
    std::string sql =
        "SELECT 0 AS part, p.id AS ord, p.id AS i1, b.width AS i2, b.height AS i3, b.bytes AS i4, b.dhash AS i5, "
        "p.stage AS t1, b.sha256 AS t2, b.format AS t3, CAST(NULL AS TEXT) AS t4 "
        "FROM photos p JOIN photo_blobs b ON b.sha256 = p.sha256 WHERE p.report_id = ?1";
    if (staff_links) {
        sql +=
            " UNION ALL SELECT 1, earlier_report_id, earlier_report_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
            "FROM report_photo_reuse WHERE report_id = ?1"
            " UNION ALL SELECT 2, position, NULL, NULL, NULL, NULL, NULL, url, NULL, NULL, NULL "
            "FROM open311_report_media WHERE report_id = ?1";
    }
    if (events) {
        sql +=
            " UNION ALL SELECT 3, id, at, actor_id, NULL, NULL, NULL, action, from_status, to_status, note "
            "FROM report_events WHERE report_id = ?1";
    }
    return sql;
}

// Puts `items` in the order of their keys (`keys[i]` belongs to `items[i]`).
template <class T>
void order_by_keys(std::vector<T>& items, const std::vector<std::int64_t>& keys) {
    if (std::is_sorted(keys.begin(), keys.end())) return;  // what both engines give in practice
    std::vector<std::size_t> order(items.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    std::vector<T> sorted;
    sorted.reserve(items.size());
    for (const auto i : order) sorted.push_back(std::move(items[i]));
    items = std::move(sorted);
}

}  // namespace

ReportDetails report_details(Conn& conn, std::int64_t report_id, bool staff_links, bool events) {
    // The four shapes, built once: the statement cache is keyed by the text.
    static const std::string kShapes[2][2] = {
        {report_details_sql(false, false), report_details_sql(false, true)},
        {report_details_sql(true, false), report_details_sql(true, true)},
    };
    ReportDetails out;
    std::vector<std::int64_t> photo_keys, reuse_keys, media_keys, event_keys;
    auto q = conn.query(kShapes[staff_links ? 1 : 0][events ? 1 : 0]);
    q.bind(1, report_id);
    while (q.next()) {
        switch (q.int64(0)) {
            case kPartPhoto: {
                photo_keys.push_back(q.int64(1));
                PhotoRow& p = out.photos.emplace_back();
                p.id = q.int64(2);
                p.report_id = report_id;
                p.stage = q.text(7);
                p.blob.sha256 = q.text(8);
                p.blob.format = q.text(9);
                p.blob.width = q.int64(3);
                p.blob.height = q.int64(4);
                p.blob.bytes = q.int64(5);
                p.blob.dhash = q.int64(6);
                break;
            }
            case kPartReuse:
                reuse_keys.push_back(q.int64(1));
                out.photo_reused_from.push_back(q.int64(2));
                break;
            case kPartMedia:
                media_keys.push_back(q.int64(1));
                out.media_urls.push_back(q.text(7));
                break;
            case kPartEvent:
                event_keys.push_back(q.int64(1));
                out.events.push_back({q.int64(2), q.int64(3), q.text(7), q.opt_text(8), q.text(9), q.opt_text(10)});
                break;
            default:
                throw DbError(0, "report_details: unknown part");
        }
    }
    order_by_keys(out.photos, photo_keys);
    order_by_keys(out.photo_reused_from, reuse_keys);
    order_by_keys(out.media_urls, media_keys);
    order_by_keys(out.events, event_keys);
    return out;
}

std::optional<PhotoRow> find_photo(Conn& conn, std::int64_t photo_id) {
    auto q = conn.query(std::string(kPhotoColumns) + " WHERE p.id = ?");
    q.args(photo_id);
    if (!q.next()) return std::nullopt;
    return read_photo(q);
}

// Both 022 migrations repeat these two constants in SQL (a migration cannot call the store): a
// change here is a new migration converting the points again.
double open_point_time(std::int64_t created_at) {
    constexpr std::int64_t kOrigin = 1'577'836'800;      // 2020-01-01T00:00:00Z
    constexpr double kSecondsPerUnit = 1'209'600'000.0;  // 14 days per 0.001 (~100 m in degrees)
    return static_cast<double>(created_at - kOrigin) / kSecondsPerUnit;
}

// Both 023 migrations repeat this hash in SQL. Keys stay below 2^22, so a key and the middle
// of its unit box (key + 0.5, what a search asks for) are exact in the R*Tree's 32-bit floats
// and a search meets only its own key's points. Two codes that share a key only add candidates:
// the point's exact category still decides. Codes are ASCII (^[a-z0-9_.-]{1,64}$), so bytes
// are the characters SQL's unicode()/ascii() see.
std::int64_t category_point_key(std::string_view category) {
    constexpr std::int64_t kKeys = std::int64_t{1} << 22;
    std::int64_t key = 0;
    for (const unsigned char c : category) key = (key * 31 + c) % kKeys;
    return key;
}

namespace {
// SQLite's copy of the open points in memory follows these rows (schema/024); PostgreSQL's
// searches read the table itself.
void note_open_point_change(Conn& conn, std::int64_t id) {
    if (conn.engine() != Engine::sqlite) return;
    conn.query("INSERT INTO open_point_changes (report_id) VALUES (?)").args(id).run();
    conn.query("DELETE FROM open_point_changes WHERE seq <= last_insert_rowid() - ?").args(kKeptOpenPointChanges).run();
}
}  // namespace

void index_open_report(Conn& conn, const ReportRow& r) {
    const double t = open_point_time(r.created_at);
    const auto key = static_cast<double>(category_point_key(r.category));
    conn.query(
            "INSERT INTO open_report_points (id, min_lon, max_lon, min_lat, max_lat, min_created, max_created, "
            "min_category_key, max_category_key, category, created_at, lon, lat) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .args(r.id, r.lon, r.lon, r.lat, r.lat, t, t, key, key + 1, r.category, r.created_at, r.lon, r.lat)
        .run();
    note_open_point_change(conn, r.id);
}

void unindex_open_report(Conn& conn, std::int64_t id) {
    conn.query("DELETE FROM open_report_points WHERE id = ?").args(id).run();
    note_open_point_change(conn, id);
}

void recategorise_open_report(Conn& conn, std::int64_t id, std::string_view category) {
    const auto key = static_cast<double>(category_point_key(category));
    conn.query("UPDATE open_report_points SET min_category_key = ?, max_category_key = ?, category = ? WHERE id = ?")
        .args(key, key + 1, category, id)
        .run();
    note_open_point_change(conn, id);
}

std::int64_t last_open_point_change(Conn& conn) {
    auto q = conn.query("SELECT coalesce(max(seq), 0) FROM open_point_changes");
    q.next();
    return q.int64(0);
}

std::int64_t first_open_point_change(Conn& conn) {
    auto q = conn.query("SELECT coalesce(min(seq), 0) FROM open_point_changes");
    q.next();
    return q.int64(0);
}

void each_open_point(Conn& conn, const std::function<void(const OpenPointRow&)>& fn) {
    auto q = conn.query("SELECT id, category, created_at, lon, lat FROM open_report_points");
    while (q.next()) fn({q.int64(0), q.text(1), q.int64(2), q.real(3), q.real(4)});
}

void each_open_point_change(Conn& conn, std::int64_t after_seq, std::int64_t through_seq,
                            const std::function<void(std::int64_t, const std::optional<OpenPointRow>&)>& fn) {
    auto q = conn.query(
        "SELECT c.report_id, p.id, p.category, p.created_at, p.lon, p.lat FROM open_point_changes c "
        "LEFT JOIN open_report_points p ON p.id = c.report_id WHERE c.seq > ? AND c.seq <= ? ORDER BY c.seq");
    q.args(after_seq, through_seq);
    while (q.next()) {
        if (q.is_null(1))
            fn(q.int64(0), std::nullopt);
        else
            fn(q.int64(0), OpenPointRow{q.int64(1), q.text(2), q.int64(3), q.real(4), q.real(5)});
    }
}

std::vector<OpenPoint> open_reports_in_box(Conn& conn, std::string_view category, double min_lon, double min_lat,
                                           double max_lon, double max_lat, std::int64_t since, std::int64_t until) {
    std::vector<OpenPoint> out;
    // The box in all four axes (the R*Tree rounds outwards), then the point's own exact copies
    // decide: no report row is read (schema/023).
    const double key = static_cast<double>(category_point_key(category)) + 0.5;
    auto q = conn.query(
        "SELECT id, lon, lat FROM open_report_points WHERE max_lon >= ? AND min_lon <= ? AND max_lat >= ? "
        "AND min_lat <= ? AND max_created >= ? AND min_created <= ? AND max_category_key >= ? "
        "AND min_category_key <= ? AND category = ? AND created_at BETWEEN ? AND ? ORDER BY id");
    q.args(min_lon, max_lon, min_lat, max_lat, open_point_time(since), open_point_time(until), key, key, category,
           since, until);
    while (q.next()) out.push_back({q.int64(0), q.real(1), q.real(2)});
    return out;
}

std::vector<std::string> open_point_mismatches(Conn& conn) {
    std::vector<std::string> problems;
    auto q = conn.query(
        "SELECT p.id FROM open_report_points p LEFT JOIN reports r ON r.id = p.id "
        "WHERE r.id IS NULL OR p.category <> r.category OR p.created_at <> r.created_at OR p.lon <> r.lon "
        "OR p.lat <> r.lat ORDER BY p.id LIMIT 20");
    while (q.next())
        problems.push_back("open_report_points: the point of report " + std::to_string(q.int64(0)) +
                           " disagrees with the report's category, time or place");
    // A point filed under another key than its category's is never found (a migration's hash
    // that drifted from category_point_key would do that).
    auto keys = conn.query(
        "SELECT category, min_category_key, max_category_key FROM open_report_points "
        "GROUP BY category, min_category_key, max_category_key ORDER BY category");
    while (keys.next()) {
        const auto category = keys.text(0);
        const auto key = static_cast<double>(category_point_key(category));
        if (keys.real(1) != key || keys.real(2) != key + 1)
            problems.push_back("open_report_points: points of category " + category + " are filed under key " +
                               std::to_string(keys.real(1)) + ", not " + std::to_string(key));
    }
    // An open located report without a point is nobody's possible duplicate.
    auto missing = conn.query("SELECT r.id FROM reports r WHERE r.located = 1 AND r.status NOT IN " +
                              std::string(kNotOpenStatusesSql) +
                              " AND NOT EXISTS (SELECT 1 FROM open_report_points p WHERE p.id = r.id) "
                              "ORDER BY r.id LIMIT 20");
    while (missing.next())
        problems.push_back("open_report_points: open report " + std::to_string(missing.int64(0)) + " has no point");
    return problems;
}

void insert_hash_band(Conn& conn, std::int64_t band_key, std::int64_t report_id, std::int64_t dhash) {
    conn.query("INSERT INTO photo_hash_bands (band_key, report_id, dhash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        .args(band_key, report_id, dhash)
        .run();
}

std::vector<HashCandidate> hash_band_candidates(Conn& conn, std::int64_t band_key, std::int64_t before_report_id,
                                                std::size_t limit) {
    std::vector<HashCandidate> out;
    auto q = conn.query(
        "SELECT report_id, dhash FROM photo_hash_bands WHERE band_key = ? AND report_id < ? "
        "ORDER BY report_id DESC LIMIT ?");
    q.args(band_key, before_report_id, static_cast<std::int64_t>(limit));
    while (q.next()) out.push_back({q.int64(0), q.int64(1)});
    return out;
}

std::vector<std::int64_t> reports_with_photo(Conn& conn, std::string_view sha256, std::int64_t before_report_id,
                                             std::size_t limit) {
    std::vector<std::int64_t> out;
    auto q = conn.query(
        "SELECT DISTINCT report_id FROM photos WHERE sha256 = ? AND report_id < ? ORDER BY report_id DESC LIMIT ?");
    q.args(sha256, before_report_id, static_cast<std::int64_t>(limit));
    while (q.next()) out.push_back(q.int64(0));
    return out;
}

void insert_photo_reuse(Conn& conn, std::int64_t report_id, std::int64_t earlier_report_id) {
    conn.query("INSERT INTO report_photo_reuse (report_id, earlier_report_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .args(report_id, earlier_report_id)
        .run();
}

std::vector<std::int64_t> list_photo_reuse(Conn& conn, std::int64_t report_id) {
    std::vector<std::int64_t> out;
    auto q = conn.query("SELECT earlier_report_id FROM report_photo_reuse WHERE report_id = ? ORDER BY 1");
    q.args(report_id);
    while (q.next()) out.push_back(q.int64(0));
    return out;
}

bool user_in_grid(Conn& conn, std::int64_t user_id, std::int64_t grid_id) {
    auto q = conn.query("SELECT 1 FROM user_grids WHERE user_id = ? AND grid_id = ?");
    q.args(user_id, grid_id);
    return q.next();
}

std::vector<ReportRow> list_reports(Conn& conn, const ReportFilter& f) {
    // The SQL varies only in which conditions are present, so the statement cache holds a few
    // shapes; values are always bound, never spliced.
    std::string sql = std::string(kReportColumns) + " WHERE 1 = 1";
    if (f.reporter_id) sql += " AND reporter_id = ?";
    if (f.assignee_id) sql += " AND assignee_id = ?";
    if (f.manager_id) sql += " AND grid_id IN (SELECT grid_id FROM user_grids WHERE user_id = ?)";
    if (f.status) sql += " AND status = ?";
    if (f.grid_id) sql += " AND grid_id = ?";
    if (f.category) sql += " AND category = ?";
    if (f.overdue_at)
        sql +=
            " AND status IN ('accepted', 'assigned', 'in_progress') AND deadline_at IS NOT NULL"
            " AND deadline_at < ?";
    if (f.before_id) sql += " AND id < ?";
    sql += " ORDER BY id DESC LIMIT ?";
    auto q = conn.query(sql);
    int i = 0;
    if (f.reporter_id) q.bind(++i, *f.reporter_id);
    if (f.assignee_id) q.bind(++i, *f.assignee_id);
    if (f.manager_id) q.bind(++i, *f.manager_id);
    if (f.status) q.bind(++i, *f.status);
    if (f.grid_id) q.bind(++i, *f.grid_id);
    if (f.category) q.bind(++i, *f.category);
    if (f.overdue_at) q.bind(++i, *f.overdue_at);
    if (f.before_id) q.bind(++i, *f.before_id);
    q.bind(++i, static_cast<std::int64_t>(f.limit));
    std::vector<ReportRow> out;
    while (q.next()) out.push_back(read_report(q));
    return out;
}

std::vector<ReportRow> list_overdue(Conn& conn, const OverdueFilter& f) {
    // Both shapes read the partial indexes of accepted, unclosed tickets (schema/005_stats.sql).
    // Parked (the clock stopped) and voided tickets are never overdue (API.md §4).
    std::string sql = std::string(kReportColumns) +
                      " WHERE accepted_at IS NOT NULL AND closed_at IS NULL AND deadline_at < ?"
                      " AND status NOT IN ('parked', 'voided')";
    if (f.manager_id) sql += " AND grid_id IN (SELECT grid_id FROM user_grids WHERE user_id = ?)";
    if (f.after) sql += " AND (deadline_at, id) > (?, ?)";
    if (f.created_in) sql += " AND created_at >= ? AND created_at < ?";
    sql += " ORDER BY deadline_at, id LIMIT ?";
    auto q = conn.query(sql);
    int i = 0;
    q.bind(++i, f.now);
    if (f.manager_id) q.bind(++i, *f.manager_id);
    if (f.after) {
        q.bind(++i, f.after->first);
        q.bind(++i, f.after->second);
    }
    if (f.created_in) {
        q.bind(++i, f.created_in->first);
        q.bind(++i, f.created_in->second);
    }
    q.bind(++i, static_cast<std::int64_t>(f.limit));
    std::vector<ReportRow> out;
    while (q.next()) out.push_back(read_report(q));
    return out;
}

}  // namespace civic::store
