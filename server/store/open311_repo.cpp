#include "server/store/open311_repo.hpp"
#include "server/store/reports_repo.hpp"
#include "server/store/sqlite.hpp"

#include <algorithm>

namespace civic::store {

std::int64_t insert_partner(Conn& conn, std::string_view name, std::string_view key_hash, std::int64_t user_id,
                            bool extended_statuses, std::int64_t now) {
    auto q = conn.query(
        "INSERT INTO open311_partners (name, key_hash, user_id, extended_statuses, created_at) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id");
    q.bind(1, name)
        .bind_blob(2, key_hash)
        .bind(3, user_id)
        .bind(4, std::int64_t{extended_statuses ? 1 : 0})
        .bind(5, now);
    return q.run_returning_id();
}

std::optional<PartnerRow> find_partner_by_key_hash(Conn& conn, std::string_view key_hash) {
    auto q = conn.query("SELECT id, name, user_id, extended_statuses FROM open311_partners WHERE key_hash = ?");
    q.bind_blob(1, key_hash);
    if (!q.next()) return std::nullopt;
    return PartnerRow{q.int64(0), q.text(1), q.int64(2), q.int64(3) != 0};
}

bool is_partner_user(Conn& conn, std::int64_t user_id) {
    auto q = conn.query("SELECT 1 FROM open311_partners WHERE user_id = ?");
    q.args(user_id);
    return q.next();
}

void insert_media_url(Conn& conn, std::int64_t report_id, int position, std::string_view url) {
    conn.query("INSERT INTO open311_report_media (report_id, position, url) VALUES (?, ?, ?)")
        .args(report_id, std::int64_t{position}, url)
        .run();
}

std::optional<std::string> find_media_url(Conn& conn, std::int64_t report_id) {
    auto q = conn.query("SELECT url FROM open311_report_media WHERE report_id = ? ORDER BY position LIMIT 1");
    q.args(report_id);
    if (!q.next()) return std::nullopt;
    return q.text(0);
}

std::vector<std::string> list_media_urls(Conn& conn, std::int64_t report_id) {
    auto q = conn.query("SELECT url FROM open311_report_media WHERE report_id = ? ORDER BY position");
    q.args(report_id);
    std::vector<std::string> urls;
    while (q.next()) urls.push_back(q.text(0));
    return urls;
}

void insert_address_id(Conn& conn, std::int64_t report_id, std::string_view address_id) {
    conn.query("INSERT INTO open311_address_ids (report_id, address_id) VALUES (?, ?)")
        .args(report_id, address_id)
        .run();
}

std::optional<std::string> find_address_id(Conn& conn, std::int64_t report_id) {
    auto q = conn.query("SELECT address_id FROM open311_address_ids WHERE report_id = ?");
    q.args(report_id);
    if (!q.next()) return std::nullopt;
    return q.text(0);
}

std::optional<std::int64_t> find_partner_update(Conn& conn, std::int64_t partner_id, std::string_view update_id) {
    auto q = conn.query("SELECT event_id FROM open311_partner_updates WHERE partner_id = ? AND partner_update_id = ?");
    q.args(partner_id, update_id);
    if (!q.next()) return std::nullopt;
    return q.int64(0);
}

bool insert_partner_update(Conn& conn, std::int64_t partner_id, std::string_view update_id, std::int64_t event_id) {
    conn.query(
            "INSERT INTO open311_partner_updates (partner_id, partner_update_id, event_id) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING")
        .args(partner_id, update_id, event_id)
        .run();
    return conn.changes() == 1;
}

std::vector<UpdateRow> list_updates(Conn& conn, std::int64_t from, std::int64_t to, int limit) {
    // The newest `limit` of the window (report_events_by_at), then turned oldest first.
    auto q = conn.query(
        "SELECT e.id, e.report_id, e.at, e.action, e.to_status, r.duplicate_of FROM report_events e "
        "JOIN reports r ON r.id = e.report_id WHERE e.at BETWEEN ? AND ? ORDER BY e.at DESC, e.id DESC LIMIT ?");
    q.args(from, to, std::int64_t{limit});
    std::vector<UpdateRow> rows;
    while (q.next()) rows.push_back({q.int64(0), q.int64(1), q.int64(2), q.text(3), q.text(4), q.opt_int64(5)});
    std::reverse(rows.begin(), rows.end());
    return rows;
}

std::optional<std::int64_t> first_report_photo_id(Conn& conn, std::int64_t report_id) {
    auto q = conn.query("SELECT id FROM photos WHERE report_id = ? AND stage = 'report' ORDER BY id LIMIT 1");
    q.args(report_id);
    if (!q.next()) return std::nullopt;
    return q.int64(0);
}

std::map<std::int64_t, std::string> grid_names(Conn& conn) {
    std::map<std::int64_t, std::string> names;
    auto q = conn.query("SELECT id, name FROM grids");
    while (q.next()) names.emplace(q.int64(0), q.text(1));
    return names;
}

std::vector<std::int64_t> list_request_ids(Conn& conn, const RequestFilter& f) {
    std::string sql = "SELECT id FROM reports WHERE created_at BETWEEN ? AND ?";
    if (!f.categories.empty()) {
        sql += " AND category IN (";
        for (std::size_t i = 0; i < f.categories.size(); ++i) sql += i ? ", ?" : "?";
        sql += ')';
    }
    if (f.closed) {
        sql += *f.closed ? " AND status IN " : " AND status NOT IN ";
        sql += kNotOpenStatusesSql;
    }
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
    auto q = conn.query(sql);
    int i = 0;
    q.bind(++i, f.from);
    q.bind(++i, f.to);
    for (const auto& c : f.categories) q.bind(++i, c);
    q.bind(++i, f.limit);
    std::vector<std::int64_t> ids;
    while (q.next()) ids.push_back(q.int64(0));
    return ids;
}

}  // namespace civic::store
