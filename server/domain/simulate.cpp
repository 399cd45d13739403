#include "server/domain/simulate.hpp"

#include "common/crypto.hpp"
#include "server/domain/accounts.hpp"
#include "server/domain/ticket_rules.hpp"
#include "server/domain/work_time.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/bulk_repo.hpp"
#include "server/store/city_repo.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace civic::domain::sim {

namespace {

constexpr std::int64_t kHour = 3600;

// Shares of outcomes and incidents, loosely after published city figures (Mengzi: ~93 % of
// reports handled; most closed within their deadline; a few percent rejected or duplicates).
constexpr double kOutsideGrids = 0.03;
constexpr double kRejected = 0.06;
constexpr double kDuplicate = 0.04;
constexpr double kAbandoned = 0.015;  // accepted, then nobody ever finishes it (overdue forever)
constexpr double kExtended = 0.08;
constexpr double kReturned = 0.03;
constexpr double kReworked = 0.07;
constexpr double kRated = 0.45;
// The standard's other branches (API.md §4 "The rest of the standard's workflow").
constexpr double kSelfHandled = 0.04;  // a grid worker's report of a problem fixed on patrol (自行处置)
constexpr double kVoided = 0.01;       // entered in error, voided at triage (作废)
constexpr double kChecked = 0.05;      // sent for 核实 before filing
constexpr double kRefuted = 0.3;       // of those, not true on the spot (不属实)
constexpr double kParked = 0.03;       // 挂账 while in progress
constexpr double kParkedMeanHours = 24 * 10;

constexpr std::array kDescriptions = {
    "路边垃圾堆积，无人清理",
    "井盖破损，存在安全隐患",
    "机动车违规停放占用人行道",
    "小广告张贴在电线杆上",
    "路灯不亮",
    "人行道地砖松动",
    "绿化带内有建筑垃圾",
    "店外经营占道",
};
constexpr std::array kSurnames = {"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙"};
constexpr std::array kGiven = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛"};

std::size_t pick_weighted(const std::vector<double>& cumulative, double u) {
    const auto it = std::ranges::lower_bound(cumulative, u * cumulative.back());
    return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

// The model writes its events itself (no apply_action, for speed), so each step is checked
// against the ticket rules: an action the table allows from the current status, leading where the
// table says (accept may dispatch at once: effects::accept on an auto-assign grid). A rating is
// no lifecycle action (rate_report). A change of the table that the model does not follow fails
// the demo and bulkgen loudly instead of writing histories the daemon could never produce.
void check_step(std::string_view action, const std::string& from, const std::string& to) {
    if (action == "rate") return;
    const auto* t = find_transition(action);
    const auto status = parse_status(from);
    const bool dispatched = action == "accept" && to == to_string(Status::assigned);
    // unpark goes back to the status the ticket was parked from: one park leaves.
    const auto back = parse_status(to);
    const bool unparked = action == "unpark" && back && allowed_from(*find_transition("park"), *back);
    if (!t || !status || !allowed_from(*t, *status) ||
        (!dispatched && !unparked && to != (t->to ? to_string(*t->to) : std::string_view(from))))
        throw std::logic_error("simulated step outside the ticket rules: " + std::string(action) + " from " + from +
                               " to " + to);
}

// A ticket's deadline as domain/work_time.hpp computes it, against the calendar read once.
std::optional<std::int64_t> first_deadline(const Category& c, const WorkCalendar& calendar, std::int64_t accepted) {
    if (c.sla_unit == kSlaUnitWorkDays) return calendar.deadline_after_work_days(accepted, c.sla_hours);
    if (c.sla_unit == kSlaUnitWorkHours) return calendar.deadline_after_work_seconds(accepted, c.sla_hours * kHour);
    return accepted + c.sla_hours * kHour;
}

// An extension's working hours for any working-time category (API.md §4: `extend` adds working hours).
std::optional<std::int64_t> extended(const Category& c, const WorkCalendar& calendar, std::int64_t deadline,
                                     std::int64_t hours) {
    if (c.sla_unit == kSlaUnitHours) return deadline + hours * kHour;
    return calendar.deadline_after_work_seconds(deadline, hours * kHour);
}

}  // namespace

std::string resident_name(std::int64_t i) {
    return std::string(kSurnames[static_cast<std::size_t>(i) % kSurnames.size()]) +
           kGiven[static_cast<std::size_t>(i / 12) % kGiven.size()] +
           (i % 3 == 0 ? kGiven[static_cast<std::size_t>(i / 7) % kGiven.size()] : "");
}

Simulator::Simulator(const City& city, const std::vector<std::int64_t>& residents, std::uint64_t seed,
                     std::int64_t start, std::int64_t now)
    : city_(city), residents_(residents), rng_(seed), start_(start), now_(now) {
    double sum = 0;
    for (std::size_t i = 0; i < city.grids.size(); ++i)
        grid_weights_.push_back(sum += 1.0 + static_cast<double>(i % 3));
    sum = 0;
    for (std::size_t i = 0; i < city.categories.size(); ++i)
        category_weights_.push_back(sum += 1.0 / static_cast<double>(i + 1));  // a few categories dominate
}

double Simulator::uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

std::int64_t Simulator::exp_seconds(double mean_hours) {
    return 60 + static_cast<std::int64_t>(std::exponential_distribution<double>(1.0 / (mean_hours * kHour))(rng_));
}

Walk Simulator::walk(std::int64_t i, std::int64_t total, const Steer& steer) {
    const double span = static_cast<double>(now_ - start_);
    std::normal_distribution<double> work_spread(-0.7, 0.7);
    Walk w;
    auto& r = w.report;
    auto& events = w.events;
    r.created_at =
        start_ + static_cast<std::int64_t>(span * (static_cast<double>(i) + uniform()) / static_cast<double>(total));
    r.reporter_id =
        residents_[static_cast<std::size_t>(std::pow(uniform(), 2.5) * static_cast<double>(residents_.size()))];
    const auto& category = city_.categories[steer.category ? *steer.category % city_.categories.size()
                                                           : pick_weighted(category_weights_, uniform())];
    r.category = category.code;
    r.description = kDescriptions[static_cast<std::size_t>(i) % kDescriptions.size()];
    const Grid* grid = nullptr;
    if (steer.grid || uniform() >= kOutsideGrids) {
        grid = &city_.grids[steer.grid ? *steer.grid % city_.grids.size() : pick_weighted(grid_weights_, uniform())];
        r.grid_id = grid->id;
        for (int attempt = 0; attempt < 20; ++attempt) {
            r.lon = grid->box.min_lon + uniform() * (grid->box.max_lon - grid->box.min_lon);
            r.lat = grid->box.min_lat + uniform() * (grid->box.max_lat - grid->box.min_lat);
            if (!inside || inside(*grid, r.lon, r.lat)) break;
        }
    } else {  // somewhere outside the city's grids
        r.lon = city_.grids.front().box.max_lon + 0.2 + uniform() * 0.1;
        r.lat = city_.grids.front().box.max_lat + 0.2 + uniform() * 0.1;
    }
    auto pick_worker = [&](const Grid& g) {
        return g.worker_ids[static_cast<std::size_t>(uniform() * static_cast<double>(g.worker_ids.size()))];
    };
    // 自行处置: a worker of the grid found and fixed it on patrol; born resolved, no points.
    if (grid && !grid->worker_ids.empty() && !steer.stop_at && !steer.no_incidents && uniform() < kSelfHandled) {
        r.reporter_id = pick_worker(*grid);
        r.assignee_id = r.reporter_id;
        r.self_handled = true;
        r.resolved_at = r.created_at;
        r.status = "resolved";
    } else {
        r.status = "submitted";
    }
    events.push_back({r.created_at, r.reporter_id, "submit", std::nullopt, r.status, std::nullopt});

    std::int64_t t = r.created_at;
    auto step = [&](std::int64_t actor, const char* action, const std::string& to,
                    std::optional<std::string> note = std::nullopt) {
        check_step(action, r.status, to);
        events.push_back({t, actor, action, r.status, to, std::move(note)});
        r.status = to;
    };
    // The walk stops at the first step that would happen after "now" (or at the steered status).
    auto halt = [&] { return t > now_ || (steer.stop_at && r.status == *steer.stop_at); };

    [&] {
        if (r.self_handled) {  // waits for the manager's verify only
            t += exp_seconds(6);
            if (halt()) return;
            r.closed_at = t;
            return step(grid->manager_id ? grid->manager_id : city_.dispatcher_id, "verify", "closed");
        }
        t += exp_seconds(3);  // triage
        if (halt()) return;
        if (!grid) {
            if (uniform() < 0.25) return step(city_.dispatcher_id, "reject", "rejected", "不属于城市管理范围");
            grid = &city_.grids[pick_weighted(grid_weights_, uniform())];
            r.grid_id = grid->id;
            step(city_.dispatcher_id, "set_grid", "submitted", "grid " + std::to_string(grid->id));
            t += exp_seconds(0.5);
            if (halt()) return;
        }
        const auto manager = grid->manager_id ? grid->manager_id : city_.dispatcher_id;
        if (!steer.no_incidents && uniform() < kVoided) return step(city_.dispatcher_id, "void", "voided", "误报录入");
        if (!steer.no_incidents && !grid->worker_ids.empty() && uniform() < kChecked) {  // 核实 first
            const auto checker = pick_worker(*grid);
            r.assignee_id = checker;
            r.check_deadline_at = t + 2 * kHour;
            step(manager, "request_check", "checking", "check by worker " + std::to_string(checker));
            t += exp_seconds(1.5);
            if (halt()) return;
            r.assignee_id.reset();
            if (uniform() < kRefuted) return step(checker, "refute_check", "rejected", "现场无此问题");
            r.verified = true;
            step(checker, "confirm_check", "submitted", "现场属实");
            t += exp_seconds(1);
            if (halt()) return;
        }
        const double outcome = steer.no_incidents || r.verified ? 1.0 : uniform();
        if (outcome < kRejected) return step(manager, "reject", "rejected", "不属于城市管理范围");
        if (outcome < kRejected + kDuplicate && last_id_ > 0) {
            r.duplicate_of = std::max<std::int64_t>(
                1, last_id_ -
                       static_cast<std::int64_t>(uniform() * std::min<double>(2000, static_cast<double>(last_id_))));
            return step(manager, "mark_duplicate", "duplicate", "duplicate of " + std::to_string(*r.duplicate_of));
        }
        r.accepted_at = t;
        r.deadline_at = first_deadline(category, city_.calendar, t);
        // How long the work takes is drawn around the time the limit allows.
        const std::int64_t allowed = r.deadline_at ? *r.deadline_at - t : category.sla_hours * kHour;
        if (grid->auto_assign && !grid->worker_ids.empty()) {
            r.assignee_id = pick_worker(*grid);
            step(manager, "accept", "assigned", "assigned to worker " + std::to_string(*r.assignee_id));
        } else {
            step(manager, "accept", "accepted");
            if (halt()) return;
            t += exp_seconds(1);
            if (halt() || grid->worker_ids.empty()) return;
            r.assignee_id = pick_worker(*grid);
            step(manager, "assign", "assigned", "assigned to worker " + std::to_string(*r.assignee_id));
        }
        if (halt()) return;
        if (!steer.no_incidents && uniform() < kAbandoned) return;
        if (uniform() < kExtended) {
            t += exp_seconds(2);
            if (halt()) return;
            const std::int64_t hours = 24 * (1 + static_cast<std::int64_t>(uniform() * 3));
            r.extension_hours += hours;
            if (r.deadline_at) r.deadline_at = extended(category, city_.calendar, *r.deadline_at, hours);
            step(manager, "extend", r.status, "+" + std::to_string(hours) + "h: 等待配件");
        }
        t += exp_seconds(1.5);
        if (halt()) return;
        step(*r.assignee_id, "start", "in_progress");
        if (halt()) return;
        if (uniform() < kReturned && grid->worker_ids.size() > 1) {
            t += exp_seconds(1);
            if (halt()) return;
            step(*r.assignee_id, "return", "accepted", "需要专业设备");
            r.assignee_id.reset();
            if (halt()) return;
            t += exp_seconds(2);
            if (halt()) return;
            r.assignee_id = pick_worker(*grid);
            step(manager, "assign", "assigned", "assigned to worker " + std::to_string(*r.assignee_id));
            if (halt()) return;
            t += exp_seconds(1);
            if (halt()) return;
            step(*r.assignee_id, "start", "in_progress");
            if (halt()) return;
        }
        if (!steer.no_incidents && uniform() < kParked) {  // 挂账, and back when the money or agency comes
            t += exp_seconds(4);
            if (halt()) return;
            r.parked_from = r.status;
            r.parked_at = t;
            r.parked_until = t + (7 + static_cast<std::int64_t>(uniform() * 53)) * 24 * kHour;
            step(manager, "park", "parked", "待财政拨款");
            t += exp_seconds(kParkedMeanHours);
            if (halt()) return;
            const auto parked = parked_time(city_.calendar, *r.parked_at, t);
            if (r.deadline_at)
                r.deadline_at = shift_deadline_for_parking(
                    *r.deadline_at, parked, category.sla_unit == kSlaUnitHours ? nullptr : &city_.calendar);
            r.parked_seconds += parked.seconds;
            r.parked_work_seconds += parked.work_seconds;
            const auto back = *r.parked_from;
            r.parked_from.reset();
            r.parked_at.reset();
            r.parked_until.reset();
            step(manager, "unpark", back);
            if (halt()) return;
        }
        const auto work = static_cast<std::int64_t>(static_cast<double>(allowed) * std::exp(work_spread(rng_)));
        t += work;
        if (halt()) return;
        r.resolved_at = t;
        step(*r.assignee_id, "resolve", "resolved", "已处置");
        if (halt()) return;
        t += exp_seconds(3);
        if (halt()) return;
        if (uniform() < kReworked) {
            r.resolved_at.reset();
            ++r.rework_count;
            step(manager, "rework", "in_progress", "未处理干净");
            t += work / 3 + 600;
            if (halt()) return;
            r.resolved_at = t;
            step(*r.assignee_id, "resolve", "resolved", "已重新处置");
            if (halt()) return;
            t += exp_seconds(3);
            if (halt()) return;
        }
        r.closed_at = t;
        step(manager, "verify", "closed");
        if (uniform() < kRated) {
            t += exp_seconds(12);
            if (t > now_) return;
            const double u = uniform();
            r.rating = u < 0.5 ? 5 : u < 0.78 ? 4 : u < 0.9 ? 3 : u < 0.96 ? 2 : 1;
            step(r.reporter_id, "rate", "closed", std::to_string(*r.rating));
        }
    }();
    r.updated_at = events.back().at;
    return w;
}

void Simulator::write(store::Conn& conn, std::int64_t first, std::int64_t count, std::int64_t total, Tally& tally) {
    for (std::int64_t i = first; i < first + count; ++i) {
        auto w = walk(i, total);
        auto& r = w.report;
        r.id = store::insert_report_with_state(conn, r);
        stored(r.id);
        for (const auto& e : w.events) store::insert_event(conn, r.id, e);
        if (is_open(*parse_status(r.status))) store::index_open_report(conn, r);
        tally.events += static_cast<std::int64_t>(w.events.size());
        ++tally.by_status[r.status];
    }
}

namespace {

// Axis-aligned box of a GeoJSON Polygon/MultiPolygon's outer rings.
Box box_of(const std::string& boundary_json) {
    const auto g = nlohmann::json::parse(boundary_json);
    Box b{180, 90, -180, -90};
    auto ring = [&](const nlohmann::json& r) {
        for (const auto& p : r) {
            b.min_lon = std::min(b.min_lon, p[0].get<double>());
            b.max_lon = std::max(b.max_lon, p[0].get<double>());
            b.min_lat = std::min(b.min_lat, p[1].get<double>());
            b.max_lat = std::max(b.max_lat, p[1].get<double>());
        }
    };
    if (g.at("type") == "Polygon")
        ring(g.at("coordinates").at(0));
    else
        for (const auto& poly : g.at("coordinates")) ring(poly.at(0));
    return b;
}

}  // namespace

City read_city(store::Conn& conn) {
    City city;
    for (const auto& g : store::list_grids(conn)) {
        Grid grid{g.id, box_of(g.boundary_json), g.auto_assign, g.worker_ids, 0};
        grid.manager_id = g.manager_ids.empty() ? 0 : g.manager_ids.front();
        city.grids.push_back(std::move(grid));
    }
    for (const auto& c : store::list_categories(conn)) city.categories.push_back({c.code, c.sla_hours, c.sla_unit});
    city.calendar = load_work_calendar(conn);
    city.dispatcher_id = store::first_user_with_role(conn, "dispatcher").value_or(0);
    if (city.grids.empty() || city.categories.empty() || city.dispatcher_id == 0)
        throw std::runtime_error("the data dir has no city to simulate (grids, categories, a dispatcher)");
    return city;
}

std::vector<std::int64_t> ensure_residents(store::Conn& conn, std::int64_t count, std::int64_t now) {
    std::vector<std::int64_t> ids;
    std::string hash;
    for (std::int64_t i = 0; i < count; ++i) {
        char phone[16];
        std::snprintf(phone, sizeof phone, "159%08lld", static_cast<long long>(i));
        if (auto existing = store::find_user_by_phone(conn, phone)) {
            ids.push_back(existing->id);
            continue;
        }
        if (hash.empty()) hash = crypto::hash_password(kSimulatedResidentPassword);
        store::UserRow u;
        u.phone = phone;
        u.password_hash = hash;
        u.display_name = resident_name(i);
        u.role = "resident";
        ids.push_back(create_user(conn, u, now).id);
    }
    return ids;
}

}  // namespace civic::domain::sim
