#include "server/store/cluster_repo.hpp"

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

namespace {

// NOTIFY payloads must stay under 8000 bytes; an event is about 200.
constexpr std::size_t kMaxEventBytes = 1000;

nlohmann::json opt(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

std::optional<std::int64_t> opt_int(const nlohmann::json& j, const char* key) {
    const auto& v = j.at(key);
    if (v.is_null()) return std::nullopt;
    return v.get<std::int64_t>();
}

}  // namespace

const std::string& this_node_id() {
    static const std::string id = crypto::random_token(12);
    return id;
}

std::string encode_report_event(const ReportEvent& e) {
    const nlohmann::json j = {{"type", e.type},
                              {"report_id", e.report_id},
                              {"status", e.status},
                              {"grid_id", opt(e.grid_id)},
                              {"assignee_id", opt(e.assignee_id)},
                              {"reporter_id", e.reporter_id},
                              {"at", e.at},
                              {"node", e.node}};
    return j.dump();
}

std::optional<ReportEvent> decode_report_event(std::string_view payload) {
    if (payload.size() > kMaxEventBytes) return std::nullopt;
    const auto j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return std::nullopt;
    try {
        ReportEvent e;
        e.type = j.at("type").get<std::string>();
        if (e.type != "report.created" && e.type != "report.updated") return std::nullopt;
        e.report_id = j.at("report_id").get<std::int64_t>();
        e.status = j.at("status").get<std::string>();
        e.grid_id = opt_int(j, "grid_id");
        e.assignee_id = opt_int(j, "assignee_id");
        e.reporter_id = j.at("reporter_id").get<std::int64_t>();
        e.at = j.at("at").get<std::int64_t>();
        e.node = j.at("node").get<std::string>();
        return e;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

ReportRow report_row_of(const ReportEvent& e) {
    ReportRow row;
    row.id = e.report_id;
    row.status = e.status;
    row.grid_id = e.grid_id;
    row.assignee_id = e.assignee_id;
    row.reporter_id = e.reporter_id;
    return row;
}

void notify_report_change(Conn& conn, const std::string& type, const ReportRow& r, std::int64_t at) {
    if (conn.engine() != Engine::postgresql) return;
    const ReportEvent event{type, r.id, r.status, r.grid_id, r.assignee_id, r.reporter_id, at, this_node_id()};
    conn.query("SELECT pg_notify(?, ?)").args(std::string(kReportChannel), encode_report_event(event)).run();
}

SharedClock save_shared_clock(Conn& conn, std::optional<std::int64_t> pinned_to) {
    SharedClock clock{pinned_to, 0};
    auto q = conn.query("UPDATE test_clock SET pinned_to = ?, version = version + 1 WHERE id = 1 RETURNING version");
    q.args(pinned_to);
    if (!q.next()) throw DbError(DbError::Kind::other, "", "the test clock row is missing");
    clock.version = q.int64(0);
    conn.query("SELECT pg_notify(?, ?)").args(std::string(kClockChannel), std::to_string(clock.version)).run();
    return clock;
}

SharedClock load_shared_clock(Conn& conn) {
    auto q = conn.query("SELECT pinned_to, version FROM test_clock WHERE id = 1");
    if (!q.next()) return {};
    return SharedClock{q.opt_int64(0), q.int64(1)};
}

}  // namespace civic::store
