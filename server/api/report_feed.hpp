#pragma once
// Live ticket updates (API.md §4 "Push"): WebSocket subscribers and the fan-out of each change
// to those who may read the ticket and care about it — its reporter, its assignee, the managers
// of its grid, the dispatchers.
#include "server/domain/caller.hpp"
#include "server/http/push_channel.hpp"
#include "server/store/cluster_events.hpp"
#include "server/store/reports_repo.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace civic::api {

struct AppContext;

class ReportFeed {
public:
    struct Subscriber {
        domain::Caller who;
        std::weak_ptr<http::PushChannel> channel;
    };

    // The handle keeps the subscription; releasing it unsubscribes.
    std::shared_ptr<void> subscribe(Subscriber subscriber);
    void publish(const std::string& type, const store::ReportRow& report, std::int64_t now);
    std::size_t subscriber_count() const;

private:
    bool cares(const Subscriber& s, const store::ReportRow& report) const;
    void unsubscribe(std::uint64_t id);

    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 0;
    std::vector<std::pair<std::uint64_t, Subscriber>> subscribers_;
};

// Publishes through ctx.feed when the daemon has one.
void publish_report(AppContext& ctx, const std::string& type, const store::ReportRow& report, std::int64_t now);

// What this node's listener does with another node's news (PostgreSQL): a ticket change goes to
// ctx.feed's subscribers; the shared test clock, with --test-clock, becomes ctx.clock's override.
store::ClusterEvents::Handlers cluster_handlers(AppContext& ctx);

}  // namespace civic::api
