#include "server/bulkgen/simulate.hpp"

#include "server/store/bulk_repo.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace civic::bulkgen {

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

constexpr std::array kDescriptions = {
    "路边垃圾堆积，无人清理", "井盖破损，存在安全隐患", "机动车违规停放占用人行道", "小广告张贴在电线杆上",
    "路灯不亮", "人行道地砖松动", "绿化带内有建筑垃圾", "店外经营占道",
};
constexpr std::array kSurnames = {"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙"};
constexpr std::array kGiven = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛"};

std::size_t pick_weighted(const std::vector<double>& cumulative, double u) {
    const auto it = std::ranges::lower_bound(cumulative, u * cumulative.back());
    return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
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
    for (std::size_t i = 0; i < city.grids.size(); ++i) grid_weights_.push_back(sum += 1.0 + static_cast<double>(i % 3));
    sum = 0;
    for (std::size_t i = 0; i < city.categories.size(); ++i)
        category_weights_.push_back(sum += 1.0 / static_cast<double>(i + 1));  // a few categories dominate
}

double Simulator::uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

std::int64_t Simulator::exp_seconds(double mean_hours) {
    return 60 + static_cast<std::int64_t>(std::exponential_distribution<double>(1.0 / (mean_hours * kHour))(rng_));
}

void Simulator::write(store::Conn& conn, std::int64_t first, std::int64_t count, std::int64_t total, Tally& tally) {
    const double span = static_cast<double>(now_ - start_);
    std::normal_distribution<double> work_spread(-0.7, 0.7);
    for (std::int64_t i = first; i < first + count; ++i) {
        store::ReportRow r;
        std::vector<store::EventRow> events;
        r.created_at = start_ + static_cast<std::int64_t>(span * (static_cast<double>(i) + uniform()) /
                                                          static_cast<double>(total));
        r.reporter_id =
            residents_[static_cast<std::size_t>(std::pow(uniform(), 2.5) * static_cast<double>(residents_.size()))];
        const auto& category = city_.categories[pick_weighted(category_weights_, uniform())];
        r.category = category.code;
        r.description = kDescriptions[static_cast<std::size_t>(i) % kDescriptions.size()];
        const Grid* grid = nullptr;
        if (uniform() >= kOutsideGrids) {
            grid = &city_.grids[pick_weighted(grid_weights_, uniform())];
            r.grid_id = grid->id;
            r.lon = grid->box.min_lon + uniform() * (grid->box.max_lon - grid->box.min_lon);
            r.lat = grid->box.min_lat + uniform() * (grid->box.max_lat - grid->box.min_lat);
        } else {  // somewhere outside the city's grids
            r.lon = city_.grids.front().box.max_lon + 0.2 + uniform() * 0.1;
            r.lat = city_.grids.front().box.max_lat + 0.2 + uniform() * 0.1;
        }
        r.status = "submitted";
        events.push_back({r.created_at, r.reporter_id, "submit", std::nullopt, "submitted", std::nullopt});

        std::int64_t t = r.created_at;
        auto step = [&](std::int64_t actor, const char* action, const std::string& to,
                        std::optional<std::string> note = std::nullopt) {
            events.push_back({t, actor, action, r.status, to, std::move(note)});
            r.status = to;
        };
        auto pick_worker = [&](const Grid& g) {
            return g.worker_ids[static_cast<std::size_t>(uniform() * static_cast<double>(g.worker_ids.size()))];
        };

        // The walk stops at the first step that would happen after "now".
        [&] {
            t += exp_seconds(3);  // triage
            if (t > now_) return;
            if (!grid) {
                if (uniform() < 0.25) return step(city_.dispatcher_id, "reject", "rejected", "不属于城市管理范围");
                grid = &city_.grids[pick_weighted(grid_weights_, uniform())];
                r.grid_id = grid->id;
                step(city_.dispatcher_id, "set_grid", "submitted", "grid " + std::to_string(grid->id));
                t += exp_seconds(0.5);
                if (t > now_) return;
            }
            const auto manager = grid->manager_id ? grid->manager_id : city_.dispatcher_id;
            const double outcome = uniform();
            if (outcome < kRejected) return step(manager, "reject", "rejected", "不属于城市管理范围");
            if (outcome < kRejected + kDuplicate && last_id_ > 0) {
                r.duplicate_of = std::max<std::int64_t>(1, last_id_ - static_cast<std::int64_t>(uniform() * 2000));
                return step(manager, "mark_duplicate", "duplicate", "duplicate of " + std::to_string(*r.duplicate_of));
            }
            r.accepted_at = t;
            r.deadline_at = t + category.sla_hours * kHour;
            if (grid->auto_assign && !grid->worker_ids.empty()) {
                r.assignee_id = pick_worker(*grid);
                step(manager, "accept", "assigned", "assigned to worker " + std::to_string(*r.assignee_id));
            } else {
                step(manager, "accept", "accepted");
                t += exp_seconds(1);
                if (t > now_ || grid->worker_ids.empty()) return;
                r.assignee_id = pick_worker(*grid);
                step(manager, "assign", "assigned", "assigned to worker " + std::to_string(*r.assignee_id));
            }
            if (uniform() < kAbandoned) return;
            if (uniform() < kExtended) {
                t += exp_seconds(2);
                if (t > now_) return;
                const std::int64_t hours = 24 * (1 + static_cast<std::int64_t>(uniform() * 3));
                r.extension_hours += hours;
                *r.deadline_at += hours * kHour;
                step(manager, "extend", r.status, "+" + std::to_string(hours) + "h: 等待配件");
            }
            t += exp_seconds(1.5);
            if (t > now_) return;
            step(*r.assignee_id, "start", "in_progress");
            if (uniform() < kReturned && grid->worker_ids.size() > 1) {
                t += exp_seconds(1);
                if (t > now_) return;
                step(*r.assignee_id, "return", "accepted", "需要专业设备");
                r.assignee_id.reset();
                t += exp_seconds(2);
                if (t > now_) return;
                r.assignee_id = pick_worker(*grid);
                step(manager, "assign", "assigned", "assigned to worker " + std::to_string(*r.assignee_id));
                t += exp_seconds(1);
                if (t > now_) return;
                step(*r.assignee_id, "start", "in_progress");
            }
            const auto work = static_cast<std::int64_t>(static_cast<double>(category.sla_hours * kHour) *
                                                        std::exp(work_spread(rng_)));
            t += work;
            if (t > now_) return;
            r.resolved_at = t;
            step(*r.assignee_id, "resolve", "resolved", "已处置");
            t += exp_seconds(3);
            if (t > now_) return;
            if (uniform() < kReworked) {
                r.resolved_at.reset();
                ++r.rework_count;
                step(manager, "rework", "in_progress", "未处理干净");
                t += work / 3 + 600;
                if (t > now_) return;
                r.resolved_at = t;
                step(*r.assignee_id, "resolve", "resolved", "已重新处置");
                t += exp_seconds(3);
                if (t > now_) return;
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
        r.id = store::insert_report_with_state(conn, r);
        last_id_ = r.id;
        for (const auto& e : events) store::insert_event(conn, r.id, e);
        if (r.status != "closed" && r.status != "rejected" && r.status != "duplicate")
            store::index_open_report(conn, r.id, r.lon, r.lat);
        tally.events += static_cast<std::int64_t>(events.size());
        ++tally.by_status[r.status];
    }
}

}  // namespace civic::bulkgen
