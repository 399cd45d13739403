#pragma once
// Keeps this node in step with commits made on any node over one PostgreSQL (docs/postgresql.md
// "Coherence across nodes"). A connection of its own (not the pool's; application_name
// `civicsnap-listener`) LISTENs on the channels of cluster_repo.hpp, and a thread waits on its
// socket with a timeout:
//  - civic_epoch → the epochs table is read and every registered CommitEpoch observes its counter;
//  - civic_report → another node's ticket change goes to `Handlers::report` (this node's push);
//  - civic_clock → the test clock row is read and goes to `Handlers::clock`.
// Every tick (kDefaultTick) the epochs and the clock row are read whatever arrived: the backstop
// for a notification lost or never sent. A lost connection is reopened with back-off, and a
// reopened one counts as "everything moved" (every epoch advances, the clock is read again): the
// notifications sent while it was away are gone. Report events sent while it was away are lost
// too: push is best effort (API.md §4 — clients re-read on reconnect).
#include "server/store/cluster_repo.hpp"
#include "server/store/storage_engine.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace civic::store {

namespace pg {
class Conn;
}

class ClusterEvents {
public:
    static constexpr std::chrono::milliseconds kDefaultTick{250};
    static constexpr const char* kApplicationName = "civicsnap-listener";

    struct Options {
        std::string conninfo;
        std::chrono::milliseconds tick = kDefaultTick;   // the poll backstop's period
        std::chrono::milliseconds backoff_initial{100};  // before the 2nd connect attempt; doubles
        std::chrono::milliseconds backoff_max{5000};
    };
    struct Handlers {
        // Another node's ticket change (this node's own are skipped). Runs on the listener thread.
        std::function<void(const ReportEvent&)> report;
        // The shared test clock, read at start, on notification, every tick. Empty: not followed.
        std::function<void(const SharedClock&)> clock;
    };
    struct Stats {
        std::atomic<std::int64_t> notifications{0};  // received, every channel
        std::atomic<std::int64_t> polls{0};          // backstop reads of the epochs (and clock)
        std::atomic<std::int64_t> reconnects{0};     // connections reopened after a loss
        std::atomic<std::int64_t> connected{0};      // 1 while listening
        std::atomic<std::int64_t> malformed{0};      // report payloads refused
    };

    // `engine`'s epochs (StorageEngine::epochs) are the ones refreshed; they must outlive stop().
    ClusterEvents(StorageEngine& engine, Options options, Handlers handlers);
    ~ClusterEvents();
    ClusterEvents(const ClusterEvents&) = delete;
    ClusterEvents& operator=(const ClusterEvents&) = delete;

    // Connects and reads everything once on the calling thread (a failure is left to the
    // thread's retries), then starts the thread.
    void start();
    // Stops and joins the thread. Idempotent; called by the owner (main) only.
    void stop();

    const Stats& stats() const { return stats_; }
    void append_metrics(std::string& out) const;

private:
    void run();
    bool connect();
    void drop_connection();
    void poll_tables();
    void read_epochs();
    void read_clock();
    void drain_notifications();
    void sleep_for(std::chrono::milliseconds d);

    StorageEngine& engine_;
    const Options options_;
    const Handlers handlers_;
    std::unique_ptr<pg::Conn> conn_;  // the listener thread's alone once started
    bool ever_connected_ = false;
    Stats stats_;
    int wake_read_ = -1, wake_write_ = -1;  // a pipe: stop() wakes the poll()
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace civic::store
