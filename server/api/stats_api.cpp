// API.md §8: closure statistics, points figures, the supervision list (督办) and the weekly
// bulletin (一周一通报), in JSON and CSV. Decisions: docs/api.md "§8".
#include "common/csv.hpp"
#include "common/errors.hpp"
#include "common/time.hpp"
#include "server/api/auth.hpp"
#include "server/api/input.hpp"
#include "server/api/list_page.hpp"
#include "server/api/report_view.hpp"
#include "server/api/routes.hpp"
#include "server/domain/masking.hpp"
#include "server/domain/reports.hpp"
#include "server/domain/stats.hpp"
#include "server/http/response.hpp"
#include "server/store/city_repo.hpp"
#include "server/store/stats_repo.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace civic::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;
using nlohmann::json;
namespace stats = domain::stats;

namespace {

json number_or_null(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json figures_json(const stats::Figures& f) {
    const auto& c = f.counts;
    return {{"received", c.received},
            {"accepted", c.accepted},
            {"rejected", c.rejected},
            {"duplicate", c.duplicate},
            {"closed", c.closed},
            {"closed_on_time", c.closed_on_time},
            {"overdue_open", c.overdue_open},
            {"due", f.due},
            {"resolved_ever", c.resolved_ever},
            {"reworked", c.reworked},
            {"extended", c.extended},
            {"checked", c.checked},
            {"refuted", c.refuted},
            {"parked", c.parked},
            {"self_handled", c.self_handled},
            {"voided", c.voided},
            {"closure_rate", number_or_null(f.closure_rate)},
            {"on_time_rate", number_or_null(f.on_time_rate)},
            {"rework_rate", number_or_null(f.rework_rate)},
            {"handled_rate", number_or_null(f.handled_rate)},
            {"avg_hours_to_close", number_or_null(f.avg_hours_to_close)},
            {"satisfaction", number_or_null(f.satisfaction)}};
}

json group_json(const stats::Group& g) {
    json out = {{"key", g.id ? json(*g.id) : g.code ? json(*g.code) : json(nullptr)}, {"name", g.name}};
    out.update(figures_json(g.figures));
    return out;
}

// Hours past the deadline, to the hundredth.
double hours_overdue(std::int64_t deadline, std::int64_t now) {
    return std::round(static_cast<double>(now - deadline) / 36.0) / 100.0;
}

// The caller's scope for closure statistics: managers their grids (one of them with
// ?grid_id=), dispatchers and admins everything (or one grid).
stats::Scope closure_scope(AppContext& ctx, const Caller& who, std::optional<std::int64_t> grid_id) {
    stats::Scope scope;
    if (who.is(Role::manager)) {
        if (grid_id && !who.in_grid(grid_id))
            throw ApiError::forbidden("a manager sees the figures of their own grids");
        scope.grid_ids = grid_id ? std::vector<std::int64_t>{*grid_id} : who.grid_ids;
        return scope;
    }
    if (!grid_id) {
        scope.everything = true;
        return scope;
    }
    (void)ctx;
    scope.grid_ids = {*grid_id};
    return scope;
}

asio::awaitable<Response> closure_stats(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::manager, Role::dispatcher, Role::admin});
    auto group_by = stats::GroupBy::none;
    if (auto text = req.query_param("group_by"); text && !text->empty()) {
        auto parsed = stats::parse_group_by(*text);
        if (!parsed) throw ApiError::invalid_field("group_by", "group_by is none, grid, category or worker");
        group_by = *parsed;
    }
    const auto window = stats::parse_window(req.query_param("from"), req.query_param("to"));
    const auto from = window.first, to = window.second;
    const auto grid_id = query_int(req, "grid_id", 1, INT64_MAX);
    const auto scope = closure_scope(ctx, who, grid_id);
    const auto now = ctx.clock.now();
    auto body = co_await ctx.db.read([&](store::Conn& conn) {
        if (grid_id && !store::find_grid(conn, *grid_id)) throw ApiError::invalid_field("grid_id", "no such grid");
        const auto report = stats::closure_report(conn, from, to, now, group_by, scope);
        json groups = json::array();
        for (const auto& g : report.groups) groups.push_back(group_json(g));
        return json{{"from", timefmt::format_rfc3339(from)},
                    {"to", timefmt::format_rfc3339(to)},
                    {"as_of", timefmt::format_rfc3339(now)},
                    {"groups", std::move(groups)},
                    {"total", figures_json(report.total)}};
    });
    co_return http::json_response(200, body);
}

asio::awaitable<Response> points_stats(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::dispatcher, Role::admin});
    const auto t = co_await ctx.db.read([&](store::Conn& conn) { return store::points_totals(conn); });
    co_return http::json_response(200, json{{"issued", -t.issuance_balance},
                                            {"redeemed", t.redemption},
                                            {"donated", t.donation},
                                            {"honour_exchanged", t.honour_exchange},
                                            {"credit_exchanged", t.credit_exchange},
                                            {"voided", t.redemption_void},
                                            {"outstanding", t.resident_balances}});
}

asio::awaitable<Response> supervision(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::manager, Role::dispatcher, Role::admin});
    store::OverdueFilter filter;
    filter.now = ctx.clock.now();
    if (who.is(Role::manager)) filter.manager_id = who.user_id;
    const auto limit = page_limit(req);
    // The cursor is the (deadline_at, id) of the last item.
    if (auto key = cursor_key(req, 2)) filter.after = {(*key)[0], (*key)[1]};
    filter.limit = static_cast<int>(limit + 1);  // one more tells whether there is a next page
    const auto duplicates = duplicates_lookup(ctx.duplicates);
    auto body = co_await ctx.db.read([&](store::Conn& conn) {
        auto rows = store::list_overdue(conn, filter);
        const bool more = rows.size() > static_cast<std::size_t>(limit);
        if (more) rows.pop_back();
        json items = json::array();
        for (const auto& row : rows) {
            auto view = report_view(row, domain::load_extras(conn, row, false, duplicates, true), filter.now, true);
            view["hours_overdue"] = hours_overdue(*row.deadline_at, filter.now);
            items.push_back(std::move(view));
        }
        json next = nullptr;
        if (more) next = encode_cursor({*rows.back().deadline_at, rows.back().id});
        return json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
    });
    co_return http::json_response(200, body);
}

std::string fixed(const std::optional<double>& v, int decimals) {
    if (!v) return {};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
    return buf;
}

std::string bulletin_csv(const std::vector<stats::Group>& ranked) {
    // Issue 17's five figures come last, so that existing readers' column positions hold.
    std::string out =
        csv::record({"rank",         "grid_id",       "grid_name",    "received",           "accepted",
                     "rejected",     "duplicate",     "closed",       "closed_on_time",     "overdue_open",
                     "due",          "resolved_ever", "reworked",     "extended",           "closure_rate",
                     "on_time_rate", "rework_rate",   "handled_rate", "avg_hours_to_close", "satisfaction",
                     "checked",      "refuted",       "parked",       "self_handled",       "voided"});
    int rank = 0;
    for (const auto& g : ranked) {
        const auto& f = g.figures;
        const auto& c = f.counts;
        out += csv::record({std::to_string(++rank),
                            std::to_string(g.id.value_or(0)),
                            g.name,
                            std::to_string(c.received),
                            std::to_string(c.accepted),
                            std::to_string(c.rejected),
                            std::to_string(c.duplicate),
                            std::to_string(c.closed),
                            std::to_string(c.closed_on_time),
                            std::to_string(c.overdue_open),
                            std::to_string(f.due),
                            std::to_string(c.resolved_ever),
                            std::to_string(c.reworked),
                            std::to_string(c.extended),
                            fixed(f.closure_rate, 4),
                            fixed(f.on_time_rate, 4),
                            fixed(f.rework_rate, 4),
                            fixed(f.handled_rate, 4),
                            fixed(f.avg_hours_to_close, 2),
                            fixed(f.satisfaction, 2),
                            std::to_string(c.checked),
                            std::to_string(c.refuted),
                            std::to_string(c.parked),
                            std::to_string(c.self_handled),
                            std::to_string(c.voided)});
    }
    return out;
}

asio::awaitable<Response> weekly_bulletin(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::dispatcher, Role::admin});
    const auto week_text = req.query_param("week");
    if (!week_text || week_text->empty()) throw ApiError::invalid_field("week", "week is required, e.g. 2026-W47");
    const auto week = timefmt::parse_iso_week(*week_text);
    if (!week) throw ApiError::invalid_field("week", "week must be an ISO week such as 2026-W47");
    const auto format = req.query_param("format").value_or("json");
    if (format != "json" && format != "csv") throw ApiError::invalid_field("format", "format is json or csv");
    const auto from = week->first, to = week->second;
    const auto now = ctx.clock.now();
    stats::Scope everything;
    everything.everything = true;

    struct Bulletin {
        stats::ClosureReport report;
        std::vector<store::ReportRow> overdue;
        std::vector<store::ReporterCount> reporters;
    };
    auto b = co_await ctx.db.read([&](store::Conn& conn) {
        Bulletin out;
        out.report = stats::closure_report(conn, from, to, now, stats::GroupBy::grid, everything);
        // Reports outside every grid count in the total, but the ranking is of grids.
        std::erase_if(out.report.groups, [](const stats::Group& g) { return !g.id; });
        stats::rank_by_closure(out.report.groups);
        if (format == "json") {
            store::OverdueFilter f;
            f.now = now;
            f.created_in = std::pair{from, to};
            f.limit = stats::kBulletinOverdueItems;
            out.overdue = store::list_overdue(conn, f);
            out.reporters = store::top_reporters(conn, store::shanghai_week_key(from), stats::kBulletinTopReporters);
        }
        return out;
    });

    const std::string week_name(*week_text);
    if (format == "csv") {
        Response r;
        r.content_type = "text/csv; charset=utf-8";
        r.body = bulletin_csv(b.report.groups);
        r.header("Content-Disposition", "attachment; filename=\"bulletin-" + week_name + ".csv\"");
        co_return r;
    }
    json grids = json::array();
    int rank = 0;
    for (const auto& g : b.report.groups) {
        auto item = group_json(g);
        item["rank"] = ++rank;
        grids.push_back(std::move(item));
    }
    json overdue = json::array();
    for (const auto& r : b.overdue)
        overdue.push_back({{"id", r.id},
                           {"grid_id", r.grid_id ? json(*r.grid_id) : json(nullptr)},
                           {"category", r.category},
                           {"status", r.status},
                           {"assignee_id", r.assignee_id ? json(*r.assignee_id) : json(nullptr)},
                           {"created_at", timefmt::format_rfc3339(r.created_at)},
                           {"deadline_at", timefmt::format_rfc3339(*r.deadline_at)},
                           {"hours_overdue", hours_overdue(*r.deadline_at, now)}});
    json reporters = json::array();
    rank = 0;
    for (const auto& r : b.reporters)
        reporters.push_back({{"rank", ++rank},
                             {"display_name", domain::mask_name(r.display_name)},
                             {"received", r.received},
                             {"accepted", r.accepted},
                             {"closed", r.closed}});
    co_return http::json_response(200, json{{"week", week_name},
                                            {"from", timefmt::format_rfc3339(from)},
                                            {"to", timefmt::format_rfc3339(to)},
                                            {"as_of", timefmt::format_rfc3339(now)},
                                            {"grids", std::move(grids)},
                                            {"total", figures_json(b.report.total)},
                                            {"overdue", std::move(overdue)},
                                            {"top_reporters", std::move(reporters)}});
}

json ratio_or_null(std::int64_t num, std::int64_t den) {
    return den == 0 ? json(nullptr) : json(static_cast<double>(num) / static_cast<double>(den));
}

// Per-person scorecards (API.md §4 "Statistics"; the figures' terms in docs/workflow.md), over
// reports created in [from, to); managers see only what happened in their grids.
json scorecard_items(store::Conn& conn, std::string_view role, std::int64_t from, std::int64_t to, std::int64_t now,
                     const std::optional<std::vector<std::int64_t>>& grid_ids) {
    const auto names = store::users_of_role(conn, role);
    json items = json::array();
    auto item = [&](std::int64_t id) {
        json out = json::object();
        out["user_id"] = id;
        out["name"] = names.at(id);
        return out;
    };
    if (role == "worker") {
        for (const auto& [id, w] : store::worker_scores(conn, from, to, now, grid_ids)) {
            if (!names.contains(id)) continue;
            auto out = item(id);
            out["assigned"] = w.assigned;
            out["closed"] = w.closed;
            out["closed_on_time"] = w.closed_on_time;
            // 按期处置率 over what was due, as §8's on_time_rate: closed + overdue and still open.
            out["on_time_rate"] = ratio_or_null(w.closed_on_time, w.closed + w.overdue_open);
            out["returned"] = w.returned;
            out["reworked"] = w.reworked;
            out["self_handled"] = w.self_handled;
            items.push_back(std::move(out));
        }
    } else if (role == "manager") {
        for (const auto& [id, m] : store::manager_scores(conn, from, to, grid_ids)) {
            if (!names.contains(id)) continue;
            auto out = item(id);
            out["dispatched"] = m.dispatched;
            out["returned"] = m.returned;
            out["dispatch_accuracy"] =
                m.dispatched == 0 ? json(nullptr)
                                  : json(1.0 - static_cast<double>(m.returned) / static_cast<double>(m.dispatched));
            items.push_back(std::move(out));
        }
    } else {
        for (const auto& [id, r] : store::resident_scores(conn, from, to, grid_ids)) {
            if (!names.contains(id)) continue;
            auto out = item(id);
            out["reports"] = r.reports;
            out["accepted"] = r.accepted;
            out["valid_rate"] = ratio_or_null(r.accepted, r.accepted + r.rejected + r.duplicate);
            items.push_back(std::move(out));
        }
    }
    return items;
}

asio::awaitable<Response> scorecards(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::manager, Role::dispatcher, Role::admin});
    const auto window = stats::parse_window(req.query_param("from"), req.query_param("to"));
    const auto role = req.query_param("role");
    if (!role || (*role != "worker" && *role != "manager" && *role != "resident"))
        throw ApiError::invalid_field("role", "role is worker, manager or resident");
    const std::string role_text(*role);
    std::optional<std::vector<std::int64_t>> grid_ids;
    if (who.is(Role::manager)) grid_ids = who.grid_ids;
    const auto now = ctx.clock.now();
    auto items = co_await ctx.db.read([&](store::Conn& conn) {
        return scorecard_items(conn, role_text, window.first, window.second, now, grid_ids);
    });
    co_return http::json_response(200, json{{"from", timefmt::format_rfc3339(window.first)},
                                            {"to", timefmt::format_rfc3339(window.second)},
                                            {"role", role_text},
                                            {"items", std::move(items)}});
}

}  // namespace

void add_stats_routes(http::Router& router, AppContext& ctx) {
    router.add({"GET", "/api/v1/stats/closure", 0, bind(ctx, closure_stats),
                "Closure statistics for a window, grouped (manager: own grids; dispatcher, admin)"});
    router.add({"GET", "/api/v1/stats/scorecards", 0, bind(ctx, scorecards),
                "Per-person scorecards of workers, managers or residents (manager: own grids; dispatcher, admin)"});
    router.add({"GET", "/api/v1/stats/points", 0, bind(ctx, points_stats),
                "Points figures from the ledger (dispatcher, admin)"});
    router.add({"GET", "/api/v1/supervision", 0, bind(ctx, supervision),
                "Overdue open tickets, most overdue first (manager: own grids; dispatcher, admin)"});
    router.add({"GET", "/api/v1/bulletins/weekly", 0, bind(ctx, weekly_bulletin),
                "The weekly bulletin of an ISO week, JSON or CSV (dispatcher, admin)"});
}

}  // namespace civic::api
