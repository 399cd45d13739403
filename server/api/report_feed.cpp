#include "server/api/report_feed.hpp"

#include "common/json.hpp"
#include "common/time.hpp"
#include "server/api/context.hpp"

#include <algorithm>

namespace civic::api {

std::shared_ptr<void> ReportFeed::subscribe(Subscriber subscriber) {
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        id = next_id_++;
        subscribers_.emplace_back(id, std::move(subscriber));
    }
    // A handle whose deleter unsubscribes; the feed outlives every connection.
    return std::shared_ptr<void>(nullptr, [this, id](void*) { unsubscribe(id); });
}

void ReportFeed::unsubscribe(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [id](const auto& entry) { return entry.first == id; });
}

std::size_t ReportFeed::subscriber_count() const {
    std::lock_guard lock(mutex_);
    return subscribers_.size();
}

bool ReportFeed::cares(const Subscriber& s, const store::ReportRow& r) const {
    const auto& who = s.who;
    if (who.is(domain::Role::dispatcher)) return true;
    if (who.user_id == r.reporter_id || (r.assignee_id && who.user_id == *r.assignee_id)) return true;
    return who.is(domain::Role::manager) && who.in_grid(r.grid_id);
}

void ReportFeed::publish(const std::string& type, const store::ReportRow& r, std::int64_t now) {
    const nlohmann::json event = {
        {"type", type},
        {"report_id", r.id},
        {"status", r.status},
        {"grid_id", r.grid_id ? nlohmann::json(*r.grid_id) : nlohmann::json(nullptr)},
        {"assignee_id", r.assignee_id ? nlohmann::json(*r.assignee_id) : nlohmann::json(nullptr)},
        {"at", timefmt::format_rfc3339(now)},
    };
    const auto text = jsonutil::dump(event);
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : subscribers_) {
        if (!cares(s, r)) continue;
        if (auto channel = s.channel.lock()) channel->offer(text);  // a full channel drops its subscriber
    }
}

void publish_report(AppContext& ctx, const std::string& type, const store::ReportRow& report, std::int64_t now) {
    if (ctx.feed) ctx.feed->publish(type, report, now);
}

store::ClusterEvents::Handlers cluster_handlers(AppContext& ctx) {
    store::ClusterEvents::Handlers handlers;
    handlers.report = [&ctx](const store::ReportEvent& e) {
        publish_report(ctx, e.type, store::report_row_of(e), e.at);
    };
    if (ctx.config.test_clock)
        handlers.clock = [&ctx](const store::SharedClock& c) {
            ctx.clock.apply_shared_override(c.pinned_to, c.version);
        };
    return handlers;
}

}  // namespace civic::api
