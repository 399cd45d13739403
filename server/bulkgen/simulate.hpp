#pragma once
// The generator's model of a city's tickets: each report is walked through the lifecycle of
// API.md §4 with random but plausible delays (triage, work, verification), outcomes (rejected,
// duplicate, returned, reworked, extended, abandoned) and ratings, stopping at "now" — so the
// data holds the realistic mix of open, overdue, closed-late and closed-on-time tickets.
#include "server/store/conn.hpp"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace civic::bulkgen {

struct Box {
    double min_lon, min_lat, max_lon, max_lat;
};
struct Grid {
    std::int64_t id = 0;
    Box box{};
    bool auto_assign = true;
    std::vector<std::int64_t> worker_ids;
    std::int64_t manager_id = 0;  // 0: none (the dispatcher acts)
};
struct Category {
    std::string code;
    std::int64_t sla_hours = 24;
};
struct City {
    std::vector<Grid> grids;
    std::vector<Category> categories;
    std::int64_t dispatcher_id = 0;
};

struct Tally {
    std::int64_t events = 0;
    std::map<std::string, std::int64_t> by_status;
};

std::string resident_name(std::int64_t index);

class Simulator {
public:
    // Reports are created between `start` and `now`, in time order across the whole run.
    Simulator(const City& city, const std::vector<std::int64_t>& residents, std::uint64_t seed, std::int64_t start,
              std::int64_t now);
    // Writes reports [first, first + count) of `total`, with their events, on `conn`.
    void write(store::Conn& conn, std::int64_t first, std::int64_t count, std::int64_t total, Tally& tally);

private:
    const City& city_;
    const std::vector<std::int64_t>& residents_;
    std::mt19937_64 rng_;
    std::int64_t start_, now_;
    std::vector<double> grid_weights_, category_weights_;
    std::int64_t last_id_ = 0;

    double uniform();
    std::int64_t exp_seconds(double mean_hours);
};

}  // namespace civic::bulkgen
