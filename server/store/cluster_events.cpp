#include "server/store/cluster_events.hpp"

#include "common/metric_lines.hpp"
#include "server/store/commit_epoch.hpp"
#include "server/store/pg/pg_conn.hpp"
#include "server/store/pg/pg_error.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/sqlite.hpp"

#include <poll.h>
#include <unistd.h>

#include <fcntl.h>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <stdexcept>

namespace civic::store {

namespace {

// At most this many notifications handled between two looks at the clock and the stop flag.
constexpr int kMaxNotificationsPerDrain = 10'000;

}  // namespace

ClusterEvents::ClusterEvents(StorageEngine& engine, Options options, Handlers handlers)
    : engine_(engine), options_(std::move(options)), handlers_(std::move(handlers)) {
    assert(options_.tick.count() > 0 && options_.backoff_initial.count() > 0);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("cluster events: pipe2 failed");
    wake_read_ = fds[0];
    wake_write_ = fds[1];
}

ClusterEvents::~ClusterEvents() {
    stop();
    ::close(wake_read_);
    ::close(wake_write_);
}

void ClusterEvents::start() {
    assert(!thread_.joinable());
    connect();
    thread_ = std::thread([this] { run(); });
}

void ClusterEvents::stop() {
    if (!stopping_.exchange(true)) {
        { std::lock_guard lock(stop_mutex_); }  // a thread between its check and its wait gets the notify
        stop_cv_.notify_all();
        const char byte = 1;
        [[maybe_unused]] auto n = ::write(wake_write_, &byte, 1);  // wakes the poll()
    }
    if (thread_.joinable()) thread_.join();
    conn_.reset();
    stats_.connected = 0;
}

bool ClusterEvents::connect() {
    try {
        pg::Conn::Options o{options_.conninfo};
        o.application_name = kApplicationName;
        o.lock_timeout_ms = 1000;  // it reads two small tables; never waits long on a lock
        conn_ = std::make_unique<pg::Conn>(o);
        conn_->exec("LISTEN " + std::string(kEpochChannel) + "; LISTEN " + std::string(kReportChannel) + "; LISTEN " +
                    std::string(kClockChannel));
    } catch (const pg::PgError&) {
        conn_.reset();
        return false;
    }
    stats_.connected = 1;
    if (ever_connected_) {
        // What was sent while away is gone: every cache starts over, the clock is read again.
        ++stats_.reconnects;
        for (auto* epoch : engine_.epochs()) epoch->moved();
    }
    ever_connected_ = true;
    poll_tables();
    return conn_ != nullptr;
}

void ClusterEvents::drop_connection() {
    conn_.reset();
    stats_.connected = 0;
}

void ClusterEvents::sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void ClusterEvents::run() {
    auto backoff = options_.backoff_initial;
    auto next_poll = std::chrono::steady_clock::now() + options_.tick;
    while (!stopping_.load()) {
        if (!conn_) {
            if (!connect()) {
                sleep_for(backoff);
                backoff = std::min(backoff * 2, options_.backoff_max);
                continue;
            }
            backoff = options_.backoff_initial;
            next_poll = std::chrono::steady_clock::now() + options_.tick;
        }
        // Notifications libpq already read (during a query) would not wake poll(): take them first.
        drain_notifications();
        if (!conn_) continue;
        const auto now = std::chrono::steady_clock::now();
        if (now >= next_poll) {
            poll_tables();
            next_poll = now + options_.tick;
            continue;
        }
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - now).count() + 1;
        pollfd fds[2] = {{conn_->socket(), POLLIN, 0}, {wake_read_, POLLIN, 0}};
        const int r = ::poll(fds, 2, static_cast<int>(wait));
        if (r < 0 && errno != EINTR) {
            drop_connection();
            continue;
        }
        if (r > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
            if (!conn_->consume_input()) drop_connection();
        }
    }
}

void ClusterEvents::drain_notifications() {
    bool epochs = false, clock = false;
    for (int i = 0; conn_ && i < kMaxNotificationsPerDrain; ++i) {
        const auto n = conn_->next_notification();
        if (!n) break;
        ++stats_.notifications;
        const std::string_view channel(n->channel);
        if (channel == kEpochChannel) {
            epochs = true;
        } else if (channel == kClockChannel) {
            clock = true;
        } else if (channel == kReportChannel) {
            const auto event = decode_report_event(n->payload);
            if (!event) {
                ++stats_.malformed;
            } else if (event->node != this_node_id() && handlers_.report) {
                try {
                    handlers_.report(*event);
                } catch (const std::exception&) {
                    // A subscriber's failure is its own; the listener carries on.
                }
            }
        }
    }
    if (epochs) read_epochs();
    if (clock) read_clock();
}

void ClusterEvents::poll_tables() {
    ++stats_.polls;
    read_epochs();
    read_clock();
}

void ClusterEvents::read_epochs() {
    if (!conn_) return;
    auto front = borrow_postgresql(*conn_);
    observe_epochs(*front, engine_.epochs());  // a failed read moves every epoch
    if (!conn_->ok()) drop_connection();       // and a lost connection is "everything moved" again
}

void ClusterEvents::read_clock() {
    if (!conn_ || !handlers_.clock) return;
    try {
        auto front = borrow_postgresql(*conn_);
        const auto clock = load_shared_clock(*front);
        handlers_.clock(clock);
    } catch (const DbError&) {
        if (!conn_->ok()) drop_connection();
    }
}

void ClusterEvents::append_metrics(std::string& out) const {
    metric_lines::append(
        out, {
                 {"civicsnap_pg_listener_connected", "gauge", "1 while the listener connection is LISTENing.",
                  stats_.connected},
                 {"civicsnap_pg_listener_notifications_total", "counter", "Notifications received from any node.",
                  stats_.notifications},
                 {"civicsnap_pg_listener_polls_total", "counter", "Backstop reads of the epochs and the test clock.",
                  stats_.polls},
                 {"civicsnap_pg_listener_reconnects_total", "counter",
                  "Listener connections reopened after a loss (every cache then starts over).", stats_.reconnects},
                 {"civicsnap_pg_listener_malformed_total", "counter", "Report notifications refused as malformed.",
                  stats_.malformed},
             });
}

}  // namespace civic::store
