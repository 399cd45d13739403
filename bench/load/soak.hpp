#pragma once
// The mixed-load soak behind `scripts/soak` (issue 19, docs/performance.md "Soak"): against a
// running civicsnapd started with --demo, for a fixed time, at once —
//   intake   residents post reports with 1–3 real JPEGs (distinct phone-sized photos),
//   actions  the dispatcher accepts each new report (auto-assignment),
//   reads    tickets, photo thumbnails and originals, categories, a resident's points,
//   redeem   residents take a one-time code and a kiosk redeems it (signed, idempotent),
//   push     WebSocket subscribers (the dispatcher and residents) reading every frame;
// every 10 s it samples the daemon's RSS, open descriptors, WAL size and the window's p99
// latency into a CSV. It fails on a leak (soak_trend.hpp), on any 5xx but 503, on a dropped
// connection, or on a lost acknowledged write: every 201 report is read back with its photos
// at the end, and the reward's stock must have gone down by exactly the redemptions answered 201.
// The caller runs `civicsnapd check` on the data dir once the daemon has stopped.
#include "bench/load/http_driver.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>

namespace civic::load {

struct SoakOptions {
    Target target;
    pid_t daemon_pid = 0;
    std::string data_dir;  // for the WAL's size
    std::chrono::seconds duration{30 * 60};
    std::chrono::seconds sample_every{10};
    std::string csv_path;
    std::size_t residents = 8;
    std::size_t intake_loops = 2;
    std::size_t action_loops = 1;
    std::size_t read_loops = 4;
    std::size_t redeem_loops = 1;
    std::size_t subscribers = 8;
    std::size_t photos = 96;  // distinct JPEGs, encoded before the run
    std::size_t photo_bytes = 900 * 1024;
    int photo_width = 2048;
    int photo_height = 1536;
    std::chrono::milliseconds intake_pause{1500};  // think time of each loop between requests
    std::chrono::milliseconds action_pause{200};
    std::chrono::milliseconds read_pause{50};
    std::chrono::milliseconds redeem_pause{500};
};

// Prints progress to stderr and the summary (Markdown: verdicts, a table, an ASCII chart) to
// stdout. Returns 0 when the run is clean, 1 when it is not.
int run_soak(const SoakOptions& options);

}  // namespace civic::load
