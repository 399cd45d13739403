#pragma once
// The demo city (Mengzi): grids, categories, staff, residents, a kiosk and a reward catalogue,
// loaded into an empty database by --demo — and, for the daemon, eight weeks of its life: reports
// walked through the lifecycle by the bulk generator's model (domain/simulate.hpp) with generated
// before/after photos, points earned and redeemed through the ledger, ratings.
#include "server/store/conn.hpp"
#include "server/store/photo_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace civic::domain {

std::string_view demo_city_json();

struct DemoAccount {
    std::string role, phone, password, display_name;
};
// The simulated history's settings (docs/web.md, "The demo city").
struct DemoHistory {
    std::uint64_t seed = 1;  // same seed and hour → same data
    // Where its photos go: the daemon's photo store (--photos), whose I/O runs on `io` (run here
    // until the photos are stored; nothing else may run on it yet), decoding on `blocking`.
    store::PhotoStore* photos = nullptr;
    boost::asio::io_context* io = nullptr;
    boost::asio::thread_pool* blocking = nullptr;
    std::int64_t daily_points_cap = 100;  // as the daemon's --daily-points-cap
    std::int64_t reports = 420;           // over the 8 ISO weeks up to now (this one included)
};
struct DemoHistoryCounts {
    std::int64_t reports = 0, events = 0, photos = 0, transfers = 0, redemptions = 0, residents = 0;
    std::int64_t points_earned = 0, points_spent = 0;
    double seconds = 0;
};

struct DemoSummary {
    bool loaded_now = false;    // false: the database already held the demo city
    DemoHistoryCounts history;  // what was loaded now (zero when nothing or no history)
    std::vector<DemoAccount> accounts;
    std::string kiosk_key_id, kiosk_secret;
};

// Loads the demo city if the database has no grids yet (with its history when `history` is
// given); either way returns the accounts (and the kiosk's credentials, unsealed with the master
// key) to print. Photos are stored before the transaction that refers to them commits.
DemoSummary load_demo_city(store::Conn& conn, std::string_view master_key, std::int64_t now,
                           const DemoHistory* history = nullptr);

}  // namespace civic::domain
