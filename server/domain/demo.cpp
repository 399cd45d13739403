#include "server/domain/demo.hpp"

#include "common/crypto.hpp"
#include "common/seal.hpp"
#include "server/domain/accounts.hpp"
#include "server/domain/city.hpp"
#include "server/domain/kiosks.hpp"
#include "server/domain/ledger.hpp"
#include "server/domain/photo_intake.hpp"
#include "server/domain/redemption.hpp"
#include "server/domain/reports.hpp"
#include "server/domain/simulate.hpp"
#include "server/domain/work_time.hpp"
#include "server/media/scene.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/bulk_repo.hpp"
#include "server/store/city_repo.hpp"
#include "server/store/kiosk_repo.hpp"
#include "server/store/offload.hpp"
#include "server/store/reports_repo.hpp"

#include <boost/asio/co_spawn.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <initializer_list>
#include <map>
#include <random>
#include <stdexcept>

namespace civic::domain {

using nlohmann::json;

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kSimulatedResidents = 60;
constexpr std::int64_t kRedemptionAttempts = 70;  // kiosk visits over the weeks (some find too few points)

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t i) {
    std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + i * 0xD1B54A32D192ED03ull + 1;
    z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ull;
    return z ^ (z >> 29);
}

// Which street problem (scene::draw_street_jpeg's kinds) a category's photos show, from words in its code.
int problem_kind(std::string_view code) {
    auto has = [&](std::initializer_list<std::string_view> words) {
        return std::ranges::any_of(words, [&](std::string_view w) { return code.find(w) != std::string_view::npos; });
    };
    if (has({"garbage", "muck", "litter", "cleanliness", "toilet", "dust"})) return 0;
    if (has({"manhole", "grate", "collapse", "water-main"})) return 1;
    if (has({"parking", "hawker", "outside-shop", "barbecue"})) return 2;
    if (has({"flyers", "sign"})) return 3;
    if (has({"light", "lamp"})) return 4;
    return 5;  // broken paving
}

struct PhotoJob {
    std::int64_t report_id = 0;
    std::string stage;  // "report" | "resolution" | "check"
    std::uint64_t scene = 0;
    int kind = 0;
    bool fixed = false;
    std::uint64_t variant = 0;
    std::int64_t at = 0;
    store::PhotoBlobRow blob;  // filled by the worker threads
};

// One of the few coroutines that draw and store the photos: each takes the next job, draws its
// scene on the blocking pool, and stores it as an upload is stored (clean_and_store_photo).
boost::asio::awaitable<void> photo_worker(std::vector<PhotoJob>& jobs, std::size_t& next, const DemoHistory& h) {
    for (std::size_t i; (i = next++) < jobs.size();) {
        auto& job = jobs[i];
        const auto jpeg = co_await offload(*h.blocking, [&] {
            return scene::draw_street_jpeg(job.scene, job.kind, job.fixed, 480, 360, job.variant);
        });
        job.blob = co_await clean_and_store_photo(*h.photos, *h.blocking, jpeg);
    }
}

// Draws, checks and stores every job's photo in the configured photo store, a few at a time
// (the puts wait on fsync or on the object store), running the store's io_context until done.
void make_photos(std::vector<PhotoJob>& jobs, const DemoHistory& h) {
    if (!h.photos || !h.io || !h.blocking) throw std::logic_error("demo history without a photo store");
    std::size_t next = 0;  // the workers all run on this thread (h.io is run only here)
    std::exception_ptr failure;
    for (int w = 0; w < 8; ++w)
        boost::asio::co_spawn(*h.io, photo_worker(jobs, next, h), [&](std::exception_ptr e) {
            if (e && !failure) failure = e;
            if (e) next = jobs.size();
        });
    h.io->run();
    h.io->restart();
    if (failure) std::rethrow_exception(failure);
}

// A movement of points, applied in time order across all reports and visits.
struct Posting {
    std::int64_t at = 0;
    int what = 0;  // 0 report points, 1 kiosk redemption, 2 donation, 3 credit exchange
    std::int64_t user_id = 0;
    std::int64_t report_id = 0;
    std::string kind;  // report_accepted | report_closed
    std::int64_t points = 0;
    std::string sku;
};

DemoHistoryCounts load_history(store::Conn& conn, const json& city_json, const DemoHistory& h, std::int64_t now) {
    const auto started = std::chrono::steady_clock::now();
    DemoHistoryCounts counts;
    // The timeline: the 56 days up to the start of the current hour. That covers the dashboard's
    // eight chart weeks (this ISO week and the seven before it, the oldest one whole), and its
    // length never changes, so one seed gives the same walk whenever it is loaded.
    const std::int64_t end = now - now % 3600;
    const std::int64_t begin = end - 56 * kDay;

    const auto city = sim::read_city(conn);
    std::vector<std::int64_t> residents;
    for (const auto& u : city_json.at("users"))
        if (u.at("role") == "resident")
            residents.push_back(store::find_user_by_phone(conn, u.at("phone").get<std::string>()).value().id);
    for (const auto id : sim::ensure_residents(conn, kSimulatedResidents, now)) residents.push_back(id);
    counts.residents = static_cast<std::int64_t>(residents.size());

    std::map<std::string, store::CategoryRow> categories;
    for (auto& c : store::list_categories(conn)) categories[c.code] = c;

    sim::Simulator simulator(city, residents, h.seed, begin, end);
    simulator.inside = [&](const sim::Grid& g, double lon, double lat) {
        return route_point(conn, {lon, lat}) == g.id;
    };
    const std::int64_t total = h.reports;
    const auto n_grids = static_cast<std::int64_t>(city.grids.size());
    const auto n_categories = static_cast<std::int64_t>(city.categories.size());
    const auto category_stride = std::max<std::int64_t>(1, total / n_categories);
    const auto grid_stride = std::max<std::int64_t>(1, total / n_grids);
    std::optional<std::size_t> manual_grid;  // a grid without auto-assignment: tickets wait "accepted"
    for (std::size_t g = 0; g < city.grids.size(); ++g)
        if (!city.grids[g].auto_assign && !city.grids[g].worker_ids.empty()) manual_grid = g;
    // The newest tickets are steered so that every open status is on the board.
    const std::vector<std::string> newest = {"submitted", "assigned", "in_progress", "submitted", "accepted",
                                             "resolved",  "assigned", "in_progress", "resolved",  "submitted"};

    std::vector<PhotoJob> photos;
    std::vector<Posting> postings;
    for (std::int64_t i = 0; i < total; ++i) {
        sim::Steer steer;
        // Every category and every grid: one steered report each, spread over the weeks.
        if (i % category_stride == 0 && i / category_stride < n_categories)
            steer.category = static_cast<std::size_t>(i / category_stride);
        if (i % grid_stride == 1 % grid_stride && i / grid_stride < n_grids)
            steer.grid = static_cast<std::size_t>(i / grid_stride);
        // A few tickets of the last fortnight left in the workers' hands: overdue on the board.
        if (i == total - 60 || i == total - 75 || i == total - 90) {
            steer.stop_at = i == total - 75 ? "assigned" : "in_progress";
            steer.no_incidents = true;
        }
        if (const auto k = total - 1 - i; k < static_cast<std::int64_t>(newest.size())) {
            steer.stop_at = newest[static_cast<std::size_t>(k)];
            steer.no_incidents = true;
            if (*steer.stop_at == "accepted") {
                if (manual_grid)
                    steer.grid = manual_grid;
                else
                    steer.stop_at = "assigned";
            }
        }
        auto walk = simulator.walk(i, total, steer);
        auto& r = walk.report;
        r.id = store::insert_report_with_state(conn, r);
        simulator.stored(r.id);
        for (const auto& e : walk.events) store::insert_event(conn, r.id, e);
        if (is_open(*parse_status(r.status))) store::index_open_report(conn, r);
        ++counts.reports;
        counts.events += static_cast<std::int64_t>(walk.events.size());

        const auto scene_seed = mix_seed(h.seed, static_cast<std::uint64_t>(i));
        const int kind = problem_kind(r.category);
        photos.push_back({r.id, "report", scene_seed, kind, false, 0, r.created_at, {}});
        std::uint64_t resolves = 0;
        const auto& category = categories.at(r.category);
        // A self-handled report comes with its after photo; a 核实 confirmed on the spot with the
        // worker's photo; neither pays points (the reporter of the first is staff).
        if (r.self_handled)
            photos.push_back({r.id, "resolution", scene_seed, kind, true, ++resolves, r.created_at, {}});
        for (const auto& e : walk.events) {
            if (e.action == "resolve")
                photos.push_back({r.id, "resolution", scene_seed, kind, true, ++resolves, e.at, {}});
            if (e.action == "confirm_check") photos.push_back({r.id, "check", scene_seed, kind, false, 99, e.at, {}});
            if (r.self_handled) continue;
            if (e.action == "accept" && category.points_on_accept > 0)
                postings.push_back({e.at, 0, r.reporter_id, r.id, "report_accepted", category.points_on_accept, {}});
            if (e.action == "verify" && category.points_on_close > 0)
                postings.push_back({e.at, 0, r.reporter_id, r.id, "report_closed", category.points_on_close, {}});
        }
    }

    // Visits to the supermarket's kiosk, donations and credit exchanges, by the keener residents.
    std::vector<store::RewardRow> goods = store::list_rewards(conn, std::string_view("goods"));
    std::mt19937_64 rng(mix_seed(h.seed, 0xC0FFEE));
    auto uniform = [&] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); };
    for (std::int64_t v = 0; v < kRedemptionAttempts && !goods.empty(); ++v) {
        Posting p;
        p.at = begin + 10 * kDay + static_cast<std::int64_t>(uniform() * static_cast<double>(end - begin - 10 * kDay));
        p.user_id =
            residents[static_cast<std::size_t>(std::pow(uniform(), 2.0) * static_cast<double>(residents.size()))];
        const double u = uniform();
        p.what = u < 0.7 ? 1 : u < 0.88 ? 2 : 3;
        p.sku = goods[static_cast<std::size_t>(uniform() * static_cast<double>(goods.size()))].sku;
        p.points = p.what == 2 ? 5 * (1 + static_cast<std::int64_t>(uniform() * 4))
                               : 10 * (1 + static_cast<std::int64_t>(uniform() * 3));
        postings.push_back(std::move(p));
    }
    std::stable_sort(postings.begin(), postings.end(), [](const Posting& a, const Posting& b) { return a.at < b.at; });

    make_photos(photos, h);
    for (const auto& job : photos) {
        add_photos(conn, job.report_id, job.stage, {job.blob}, job.at);
        ++counts.photos;
    }

    const auto kiosk = store::first_kiosk(conn);
    std::map<std::int64_t, std::int64_t> awarded;  // report id → points
    for (const auto& p : postings) {
        const auto balance = ledger::standing(conn, p.user_id).balance;
        if (p.what == 0) {
            const auto paid =
                ledger::pay_report_points(conn, p.user_id, p.report_id, p.kind, p.points, p.at, h.daily_points_cap);
            if (paid > 0) {
                awarded[p.report_id] += paid;
                counts.points_earned += paid;
                ++counts.transfers;
            }
        } else if (p.what == 1 && kiosk) {
            const auto reward = std::ranges::find(goods, p.sku, &store::RewardRow::sku);
            if (reward == goods.end() || reward->points_cost > balance || reward->stock < 1) continue;
            const auto token = issue_redeem_token(conn, p.user_id, p.at);
            redeem(conn, kiosk->id, token.token, {{p.sku, 1}}, p.at + 40);
            --reward->stock;
            counts.points_spent += reward->points_cost;
            ++counts.redemptions;
            ++counts.transfers;
        } else if (p.what == 2 && p.points <= balance) {
            ledger::donate(conn, p.user_id, ledger::kCharityFund, p.points, p.at);
            counts.points_spent += p.points;
            ++counts.transfers;
        } else if (p.what == 3 && p.points <= balance) {
            ledger::exchange_for_credit(conn, p.user_id, p.points,
                                        "demo:credit:" + std::to_string(p.user_id) + ":" + std::to_string(p.at), p.at);
            counts.points_spent += p.points;
            ++counts.transfers;
        }
    }
    for (const auto& [id, points] : awarded) {
        auto r = store::find_report(conn, id).value();
        r.points_awarded = points;
        store::update_report(conn, r);
    }
    counts.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return counts;
}

}  // namespace

DemoSummary load_demo_city(store::Conn& conn, std::string_view master_key, std::int64_t now,
                           const DemoHistory* history) {
    const auto city = json::parse(demo_city_json());
    DemoSummary summary;
    for (const auto& u : city.at("users"))
        summary.accounts.push_back({u.at("role"), u.at("phone"), u.at("password"), u.at("display_name")});

    const bool empty = store::list_grids(conn).empty();
    if (empty) {
        store::in_transaction(conn, [&] {
            for (const auto& g : city.at("grids")) {
                create_grid(conn, {g.at("code"), g.at("name"), g.at("boundary"), g.value("auto_assign", true)}, now);
            }
            for (const auto& c : city.at("categories")) {
                store::CategoryRow row{c.at("code"), c.at("name"), 0, c.at("points_on_accept"),
                                       c.at("points_on_close")};
                // The time limit under the API's key for its unit (a few are in working time).
                for (const auto unit : {kSlaUnitHours, kSlaUnitWorkHours, kSlaUnitWorkDays})
                    if (c.contains(sla_key(unit))) {
                        row.sla_hours = c.at(sla_key(unit)).get<std::int64_t>();
                        row.sla_unit = std::string(unit);
                    }
                create_category(conn, row, now);
            }
            for (const auto& u : city.at("users")) {
                if (store::find_user_by_phone(conn, u.at("phone").get<std::string>())) continue;  // bootstrap admin
                store::UserRow row;
                row.phone = u.at("phone");
                row.password_hash = crypto::hash_password(u.at("password").get<std::string>());
                row.display_name = u.at("display_name");
                row.role = u.at("role");
                for (const auto& code : u.value("grid_ids", json::array()))
                    row.grid_ids.push_back(store::find_grid_id_by_code(conn, code.get<std::string>()).value());
                create_user(conn, std::move(row), now);
            }
            for (const auto& k : city.at("kiosks"))
                create_kiosk(conn, master_key, k.at("name").get<std::string>(), k.at("store").get<std::string>(), now);
            for (const auto& r : city.at("rewards"))
                store::insert_reward(
                    conn, {r.at("sku"), r.at("name"), r.at("points_cost"), r.at("stock"), r.at("kind")}, now);
            if (history) summary.history = load_history(conn, city, *history, now);
        });
        summary.loaded_now = true;
    }
    if (const auto kiosk = store::first_kiosk(conn)) {
        summary.kiosk_key_id = kiosk->key_id;
        summary.kiosk_secret = seal::decrypt(master_key, kiosk->secret_enc).value_or("(sealed under another key)");
    }
    return summary;
}

}  // namespace civic::domain
