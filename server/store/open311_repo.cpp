#include "server/store/open311_repo.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

std::int64_t insert_partner(Conn& conn, std::string_view name, std::string_view key_hash, std::int64_t user_id,
                            std::int64_t now) {
    auto q = conn.query("INSERT INTO open311_partners (name, key_hash, user_id, created_at) VALUES (?, ?, ?, ?)");
    q.bind(1, name).bind_blob(2, key_hash).bind(3, user_id).bind(4, now);
    q.run();
    return conn.last_insert_id();
}

std::optional<PartnerRow> find_partner_by_key_hash(Conn& conn, std::string_view key_hash) {
    auto q = conn.query("SELECT id, name, user_id FROM open311_partners WHERE key_hash = ?");
    q.bind_blob(1, key_hash);
    if (!q.next()) return std::nullopt;
    return PartnerRow{q.int64(0), q.text(1), q.int64(2)};
}

bool is_partner_user(Conn& conn, std::int64_t user_id) {
    auto q = conn.query("SELECT 1 FROM open311_partners WHERE user_id = ?");
    q.args(user_id);
    return q.next();
}

void insert_media_url(Conn& conn, std::int64_t report_id, std::string_view url) {
    conn.query("INSERT INTO open311_media_urls (report_id, url) VALUES (?, ?)").args(report_id, url).run();
}

std::optional<std::string> find_media_url(Conn& conn, std::int64_t report_id) {
    auto q = conn.query("SELECT url FROM open311_media_urls WHERE report_id = ?");
    q.args(report_id);
    if (!q.next()) return std::nullopt;
    return q.text(0);
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
        sql += *f.closed ? " AND status IN ('closed', 'rejected', 'duplicate')"
                         : " AND status NOT IN ('closed', 'rejected', 'duplicate')";
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
