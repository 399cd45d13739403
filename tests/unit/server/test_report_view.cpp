// The report view written straight to text (render_report_view, the ticket read's path) must be
// byte for byte what the nlohmann tree (report_view, dumped as every JSON response is) gives,
// over reports of every status, with and without nulls, photos, links and events, seen by staff
// and by others, at times that light every deadline colour.
#include "common/json.hpp"
#include "server/api/report_view.hpp"
#include "server/domain/ticket_rules.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace api = civic::api;
namespace domain = civic::domain;
namespace store = civic::store;

namespace {

constexpr std::int64_t kCreated = 1'767'225'600;  // 2026-01-01T00:00:00Z

const std::vector<std::string> kTexts = {
    "路灯坏了，晚上很黑",
    "plain",
    "",
    "quote \" backslash \\ newline \n tab \t control \x01 del \x7f",
    "emoji 🚧 and ünïcödé",
    "invalid \xC3 utf-8 \xE2\x82 \xFF end",
};

store::ReportRow report_with(std::mt19937_64& rng, domain::Status status) {
    std::uniform_int_distribution<int> coin(0, 1);
    std::uniform_int_distribution<std::size_t> text(0, kTexts.size() - 1);
    const auto maybe = [&](std::int64_t v) { return coin(rng) ? std::optional<std::int64_t>(v) : std::nullopt; };
    store::ReportRow r;
    r.id = 1 + static_cast<std::int64_t>(rng() % 1'000'000);
    r.status = std::string(domain::to_string(status));
    r.category = coin(rng) ? "road" : "路面";
    r.description = kTexts[text(rng)];
    r.lat = std::uniform_real_distribution<double>(-90, 90)(rng);
    r.lon = std::uniform_real_distribution<double>(-180, 180)(rng);
    r.located = coin(rng) || coin(rng);
    r.address = coin(rng) ? std::optional<std::string>(kTexts[text(rng)]) : std::nullopt;
    r.grid_id = maybe(3);
    r.assignee_id = maybe(17);
    r.reporter_id = 42;
    r.created_at = kCreated;
    r.accepted_at = maybe(kCreated + 600);
    r.deadline_at = r.accepted_at ? maybe(kCreated + 600 + 86'400) : std::nullopt;
    r.resolved_at = maybe(kCreated + 7'200);
    r.closed_at = maybe(kCreated + 9'000);
    r.rework_count = coin(rng) * 2;
    r.duplicate_of = maybe(7);
    r.rating = maybe(4);
    r.points_awarded = coin(rng) * 5;
    r.verified = coin(rng);
    r.self_handled = coin(rng);
    r.check_deadline_at = maybe(kCreated + 3'600);
    r.parked_until = maybe(kCreated + 172'800);
    return r;
}

domain::ReportExtras extras_with(std::mt19937_64& rng, bool events) {
    std::uniform_int_distribution<int> count(0, 3);
    std::uniform_int_distribution<std::size_t> text(0, kTexts.size() - 1);
    domain::ReportExtras x;
    for (int i = count(rng); i > 0; --i) {
        store::PhotoRow p;
        p.id = 100 + i;
        p.stage = i % 2 ? "report" : "resolution";
        p.blob = {std::string(64, static_cast<char>('a' + i)), "jpeg", 1024, 768, 100'000 + i, -12345};
        x.photos.push_back(p);
    }
    for (int i = count(rng); i > 0; --i) x.possible_duplicates.push_back(200 + i);
    for (int i = count(rng); i > 0; --i) x.photo_reused_from.push_back(300 + i);
    for (int i = count(rng); i > 0; --i) x.media_urls.push_back("https://partner.example/m/" + kTexts[text(rng)]);
    if (events) {
        x.events.emplace();
        for (int i = count(rng) * 2; i > 0; --i) {
            store::EventRow e;
            e.at = kCreated + 60 * i;
            e.actor_id = 9;
            e.action = i % 2 ? "accept" : "comment";
            e.from_status = i % 3 ? std::optional<std::string>("submitted") : std::nullopt;
            e.to_status = "accepted";
            e.note = i % 2 ? std::optional<std::string>(kTexts[text(rng)]) : std::nullopt;
            x.events->push_back(e);
        }
    }
    return x;
}

}  // namespace

TEST(ReportView, WrittenTextIsTheDumpedTreeByteForByte) {
    std::mt19937_64 rng(18);
    const std::vector<domain::Status> statuses = {
        domain::Status::submitted, domain::Status::accepted, domain::Status::assigned, domain::Status::in_progress,
        domain::Status::resolved,  domain::Status::closed,   domain::Status::rejected, domain::Status::duplicate,
        domain::Status::checking,  domain::Status::parked,   domain::Status::voided};
    // Before acceptance, green, yellow (≥ 80 % of the span), red (past the deadline).
    const std::vector<std::int64_t> nows = {kCreated + 60, kCreated + 3'600, kCreated + 80'000, kCreated + 200'000};
    int compared = 0;
    for (const auto status : statuses) {
        for (int round = 0; round < 40; ++round) {
            const auto row = report_with(rng, status);
            for (const bool events : {false, true}) {
                const auto extras = extras_with(rng, events);
                for (const bool staff : {false, true}) {
                    for (const auto now : nows) {
                        const auto tree = civic::jsonutil::dump(api::report_view(row, extras, now, staff));
                        ASSERT_EQ(api::render_report_view(row, extras, now, staff), tree)
                            << "status " << row.status << ", staff " << staff << ", events " << events;
                        ++compared;
                    }
                }
            }
        }
    }
    EXPECT_EQ(compared, 11 * 40 * 2 * 2 * 4);
}

TEST(ReportView, EveryKeyOfTheTreeIsWritten) {
    // A report with every optional present: the comparison above then covers each key's value.
    std::mt19937_64 rng(1);
    auto row = report_with(rng, domain::Status::assigned);
    row.accepted_at = kCreated + 600;
    row.deadline_at = kCreated + 90'000;
    row.address = "1 Main St";
    auto extras = extras_with(rng, true);
    const auto tree = api::report_view(row, extras, kCreated + 1'000, true);
    const auto parsed = civic::jsonutil::parse(api::render_report_view(row, extras, kCreated + 1'000, true));
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->size(), tree.size());
    for (const auto& [key, value] : tree.items()) EXPECT_TRUE(parsed->contains(key)) << key;
    EXPECT_EQ((*parsed)["deadline_light"], "green");
    EXPECT_TRUE(parsed->contains("events"));
    EXPECT_TRUE(parsed->contains("media_urls"));
    EXPECT_TRUE(parsed->contains("photo_reused_from"));
}
