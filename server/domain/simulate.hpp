#pragma once
// The generator's model of a city's tickets: each report is walked through the lifecycle of
// API.md §4 with random but plausible delays (triage, work, verification), outcomes (rejected,
// duplicate, returned, reworked, extended, abandoned) and ratings, and through the standard's
// other branches (核实 confirmed or refuted, 挂账 and back, 作废, 自行处置 by a grid worker),
// with deadlines in calendar or working time as each category says, stopping at "now" — so the
// data holds the realistic mix of open, overdue, parked, closed-late and closed-on-time tickets.
// One model, two users: civicsnap-bulkgen (millions of rows, for measurements) and the demo
// city's history (--demo, domain/demo.cpp: a few hundred tickets with photos and points).
#include "common/work_calendar.hpp"
#include "server/store/conn.hpp"
#include "server/store/reports_repo.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace civic::domain::sim {

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
    std::int64_t sla_hours = 24;     // the limit's amount, in sla_unit
    std::string sla_unit = "hours";  // or "work_hours", "work_days" (domain/work_time.hpp)
};
struct City {
    std::vector<Grid> grids;
    std::vector<Category> categories;
    std::int64_t dispatcher_id = 0;
    // The city's calendar, for the working-time categories' deadlines.
    WorkCalendar calendar = WorkCalendar::default_calendar();
};

struct Tally {
    std::int64_t events = 0;
    std::map<std::string, std::int64_t> by_status;
};

std::string resident_name(std::int64_t index);

// The city as the model sees it, read from the database (grids with their bounding boxes,
// workers and first manager; categories; the first dispatcher). Throws when there is none.
City read_city(store::Conn& conn);
// Residents 159xxxxxxxx (index 0..count-1), created once and reused by later runs; they share
// one password hash (one PBKDF2 run), kSimulatedResidentPassword.
inline constexpr const char* kSimulatedResidentPassword = "bulk-resident-2026";
std::vector<std::int64_t> ensure_residents(store::Conn& conn, std::int64_t count, std::int64_t now);

// One report's simulated life: its row in its final state and its events, oldest first.
struct Walk {
    store::ReportRow report;
    std::vector<store::EventRow> events;
};

// Optional steering of one report (the demo uses it to make sure every grid, category and
// status appears); by default everything is drawn at random.
struct Steer {
    std::optional<std::size_t> grid;      // index into City::grids (never outside the grids)
    std::optional<std::size_t> category;  // index into City::categories
    std::optional<std::string> stop_at;   // stop the walk once the ticket reaches this status
    bool no_incidents = false;            // not rejected, no duplicate, not abandoned
};

class Simulator {
public:
    // Reports are created between `start` and `now`, in time order across the whole run.
    Simulator(const City& city, const std::vector<std::int64_t>& residents, std::uint64_t seed, std::int64_t start,
              std::int64_t now);
    // Writes reports [first, first + count) of `total`, with their events, on `conn`.
    void write(store::Conn& conn, std::int64_t first, std::int64_t count, std::int64_t total, Tally& tally);

    // The pieces of write(), for callers that store more per report: walk report i of `total`
    // (not yet written), then tell the simulator the id it was stored under (duplicates point
    // back to earlier ids).
    Walk walk(std::int64_t i, std::int64_t total, const Steer& steer = {});
    void stored(std::int64_t id) { last_id_ = id; }
    // Positions: by default uniform in the grid's bounding box; with `inside` set, drawn again
    // (up to 20 times) until inside(grid, lon, lat) holds, so points fall in their grid's shape.
    std::function<bool(const Grid&, double lon, double lat)> inside;

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

}  // namespace civic::domain::sim
