// Faults, against the real daemon and its real files: a SIGKILL in the middle of a burst of
// reports and redemptions loses no acknowledged write and leaves nothing half-done; an
// unwritable photo store answers 503, writes nothing and recovers; an online backup taken while
// writes go on restores into a server that finds everything.
#include "kiosk_support.hpp"
#include "support/s3_server.hpp"
#include "support/scratch_dir.hpp"
#include "ticket_city.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace civic::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Daemon::Options on_dir(const std::string& dir) {
    Daemon::Options o;
    o.data_dir = dir;
    return o;
}

// What the clients were told succeeded, recorded as the answers arrived.
struct Acknowledged {
    std::mutex m;
    std::vector<json> reports;      // 201 bodies of POST /reports
    std::vector<json> redemptions;  // 201 bodies of POST /kiosk/redemptions
    std::size_t count = 0;
    std::condition_variable changed;

    void add(std::vector<json>& into, json body) {
        std::lock_guard lock(m);
        into.push_back(std::move(body));
        ++count;
        changed.notify_all();
    }
};

// The set-up the burst runs against: a ticket city on the wall clock (kiosk signatures carry
// wall-clock timestamps), a kiosk, a reward with stock, and a resident with points to spend.
struct BurstCity {
    TicketCity city;
    KioskCredentials kiosk;
    Person spender;
    static constexpr std::int64_t kGranted = 100000;
    static constexpr std::int64_t kStock = 100000;

    explicit BurstCity(Daemon& d) : city(d) {
        city.set_clock(wall_clock_iso());
        kiosk = register_kiosk(d);
        add_reward(d, "SOAP", 3, kStock);
        spender = city.resident("13700000099");
        grant_points(d, spender.id, kGranted);
    }
};

// Submits reports from `who` until the daemon stops answering; every 201 is recorded.
void submit_until_gone(const Daemon& d, const Person& who, int seed_base, Acknowledged& acked) {
    for (int i = 0;; ++i) {
        try {
            auto r = post_multipart(d, "/api/v1/reports",
                                    multipart({{"category", "t-garbage"},
                                               {"description", "燃烧测试 " + std::to_string(i)},
                                               {"lat", 23.375},
                                               {"lon", 103.375}},
                                              {make_jpeg(64, 48, seed_base + i)}),
                                    who.token);
            if (r.status != 201) return;
            acked.add(acked.reports, r.json());
        } catch (const std::exception&) {
            return;  // killed mid-request: not acknowledged
        }
    }
}

// Redeems one SOAP per fresh one-time code until the daemon stops answering.
void redeem_until_gone(const Daemon& d, const BurstCity& c, int round, Acknowledged& acked) {
    for (int i = 0;; ++i) {
        try {
            const auto token = redeem_token(d, c.spender.token);
            auto r = kiosk_redeem(d, c.kiosk, token, json::array({{{"sku", "SOAP"}, {"qty", 1}}}),
                                  "burst-" + std::to_string(round) + "-" + std::to_string(i));
            if (r.status != 201) return;
            acked.add(acked.redemptions, r.json());
        } catch (const std::exception&) {
            return;
        }
    }
}

// Everything the restarted daemon holds must be whole, and everything acknowledged must be there.
void expect_consistent_after_restart(const Daemon& d, const BurstCity& c, const Acknowledged& acked) {
    for (const auto& report : acked.reports) {
        const auto id = report["id"].get<std::int64_t>();
        auto r = d.get("/api/v1/reports/" + std::to_string(id), c.city.m1.token);
        ASSERT_EQ(r.status, 200) << "acknowledged report " << id << " lost";
        const auto photos = r.json()["photos"];
        ASSERT_EQ(photos.size(), 1u);
        EXPECT_EQ(photos[0]["sha256"], report["photos"][0]["sha256"]);
    }
    // Every report the daemon lists, acknowledged or not, has its photo bytes: no half-written report.
    std::string cursor;
    std::size_t listed = 0;
    do {
        auto page = d.get("/api/v1/reports?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor), c.city.m1.token);
        ASSERT_EQ(page.status, 200) << page.body;
        const auto body = page.json();
        const auto items = body["items"];
        for (const auto& item : items) {
            ++listed;
            for (const auto& p : item["photos"]) {
                auto photo = d.get(p["url"].get<std::string>(), c.city.m1.token);
                EXPECT_EQ(photo.status, 200) << "report " << item["id"] << " names a photo the store lacks";
                EXPECT_EQ(crypto::sha256_hex(photo.body), p["sha256"]);
            }
        }
        cursor = body.value("next_cursor", json()).is_string() ? body["next_cursor"].get<std::string>() : "";
    } while (!cursor.empty());
    EXPECT_GE(listed, acked.reports.size());

    // Redemptions: acknowledged ones are in the statement; stock and points moved together for
    // every redemption that committed, acknowledged or not.
    auto statement = d.get("/api/v1/me/points/ledger?limit=100", c.spender.token);
    ASSERT_EQ(statement.status, 200) << statement.body;
    std::int64_t spent = 0;
    std::int64_t redemptions_in_ledger = 0;
    std::vector<std::string> refs;
    std::string next;
    for (auto page = statement.json();;) {
        const auto items = page["items"];
        for (const auto& t : items) {
            if (t["kind"] != "redemption") continue;
            ++redemptions_in_ledger;
            spent -= t["amount"].get<std::int64_t>();
            refs.push_back(t["ref"].get<std::string>());
        }
        if (!page.value("next_cursor", json()).is_string()) break;
        auto more = d.get("/api/v1/me/points/ledger?limit=100&cursor=" + page["next_cursor"].get<std::string>(),
                          c.spender.token);
        ASSERT_EQ(more.status, 200) << more.body;
        page = more.json();
    }
    EXPECT_GE(redemptions_in_ledger, static_cast<std::int64_t>(acked.redemptions.size()));
    for (const auto& red : acked.redemptions) {
        const auto ref = "redemption:" + std::to_string(red["id"].get<std::int64_t>());
        EXPECT_NE(std::find(refs.begin(), refs.end(), ref), refs.end()) << "acknowledged " << ref << " lost";
    }
    EXPECT_EQ(balance_of(d, c.spender.token), BurstCity::kGranted - spent);
    EXPECT_EQ(stock_of(d, "SOAP"), BurstCity::kStock - spent / 3);
}

// Three kill points: early, middle and late in the burst (counted in acknowledged writes, so
// the test does not depend on timing).
TEST(Crash, AcknowledgedWritesSurviveSigkillMidBurst) {
    ScratchDir dir;
    std::optional<Daemon> d;
    d.emplace(on_dir(dir.path));
    auto city = std::make_unique<BurstCity>(*d);
    Acknowledged acked;
    int round = 0;
    for (const std::size_t kill_after : {3u, 11u, 25u}) {
        ++round;
        const auto target = acked.count + kill_after;
        std::vector<std::thread> clients;
        clients.emplace_back([&] { submit_until_gone(*d, city->city.r1, 10000 * round, acked); });
        clients.emplace_back([&] { submit_until_gone(*d, city->city.r2, 10000 * round + 5000, acked); });
        clients.emplace_back([&] { redeem_until_gone(*d, *city, round, acked); });
        {
            std::unique_lock lock(acked.m);
            acked.changed.wait(lock, [&] { return acked.count >= target; });
        }
        d->kill_hard();  // requests in flight are cut off mid-way
        for (auto& t : clients) t.join();

        d.emplace(on_dir(dir.path));  // restart on the same files
        city->city.set_clock(wall_clock_iso());
        expect_consistent_after_restart(*d, *city, acked);
        const auto check = run_ledger_check(dir.path);
        EXPECT_EQ(check.exit_code, 0) << check.output;
    }
    EXPECT_GE(acked.reports.size(), 1u);
    EXPECT_GE(acked.redemptions.size(), 1u);
}

std::int64_t report_count(const Daemon& d, const std::string& token) {
    std::int64_t n = 0;
    std::string cursor;
    do {
        auto page = d.get("/api/v1/reports?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor), token).json();
        n += static_cast<std::int64_t>(page["items"].size());
        cursor = page.value("next_cursor", json()).is_string() ? page["next_cursor"].get<std::string>() : "";
    } while (!cursor.empty());
    return n;
}

// The photo store is made unusable (its directory replaced by a plain file: root ignores
// permission bits, so this is the portable way to make every write fail) and then restored.
// On S3 (CIVIC_TEST_PHOTOS=s3) the store's endpoint is stopped instead and started again.
TEST(Faults, UnwritablePhotoStoreAnswers503AndRecovers) {
    Daemon d;
    TicketCity c(d);
    const auto before = report_count(d, c.m1.token);
    const auto photos = fs::path(d.data_dir()) / "photos";
    const auto aside = fs::path(d.data_dir()) / "photos-aside";
    // A photo stored before the outage, to read during it.
    auto first = post_multipart(
        d, "/api/v1/reports",
        multipart({{"category", "t-garbage"}, {"description", "满溢"}, {"lat", 23.375}, {"lon", 103.375}},
                  {make_jpeg(64, 48, 4241)}),
        c.r1.token);
    ASSERT_EQ(first.status, 201) << first.body;
    const auto first_photo = first.json()["photos"][0]["url"].get<std::string>();
    if (photos_on_s3()) {
        S3Server::shared()->stop_endpoint();
    } else {
        fs::rename(photos, aside);
        { std::ofstream(photos) << "not a directory"; }
    }

    auto r = post_multipart(
        d, "/api/v1/reports",
        multipart({{"category", "t-garbage"}, {"description", "满溢"}, {"lat", 23.375}, {"lon", 103.375}},
                  {make_jpeg(64, 48, 4242)}),
        c.r1.token);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.error_code(), "unavailable");
    EXPECT_FALSE(r.header("retry-after").empty());
    EXPECT_EQ(report_count(d, c.m1.token), before + 1) << "no row without its photo";
    // A photo read while the store is down is 503 too, never a 500 for a "missing" photo: the
    // original, its thumbnail and a range of it. A streamed read opens the store and waits for
    // the first chunk before its header goes (docs/photos.md §7), so this is an answer, not a
    // connection cut short.
    for (const auto& [target, range] : {std::pair<std::string, std::string>{first_photo, ""},
                                        {first_photo + "?variant=thumb", ""},
                                        {first_photo, "bytes=10-20"}}) {
        Headers headers{{"Authorization", "Bearer " + c.r1.token}};
        if (!range.empty()) headers.emplace_back("Range", range);
        auto read = d.request("GET", target, "", headers);
        EXPECT_EQ(read.status, 503) << target << " " << range << ": " << read.body;
        EXPECT_EQ(read.error_code(), "unavailable");
        EXPECT_FALSE(read.header("retry-after").empty());
        EXPECT_EQ(read.header("etag"), "") << "no validator on an error";
    }
    if (photos_on_s3()) {
        S3Server::shared()->start();
    } else {
        fs::remove(photos);
        fs::rename(aside, photos);
    }
    auto again = post_multipart(
        d, "/api/v1/reports",
        multipart({{"category", "t-garbage"}, {"description", "满溢"}, {"lat", 23.375}, {"lon", 103.375}},
                  {make_jpeg(64, 48, 4242)}),
        c.r1.token);
    EXPECT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(report_count(d, c.m1.token), before + 2);
    EXPECT_EQ(d.get(first_photo, c.r1.token).status, 200);
    // Reads recover by themselves too: thumbnail and range.
    EXPECT_EQ(d.get(first_photo + "?variant=thumb", c.r1.token).status, 200);
    auto range =
        d.request("GET", first_photo, "", {{"Authorization", "Bearer " + c.r1.token}, {"Range", "bytes=10-20"}});
    EXPECT_EQ(range.status, 206);
    EXPECT_EQ(range.body.size(), 11u);
}

// --photos that cannot work: one line on stderr and exit status 2, before listening.
TEST(Faults, BadPhotoStoreExits2BeforeListening) {
    ScratchDir dir;
    auto start = [&](const std::string& photos, const std::string& env) {
        return run_command(env + " " + CIVICSNAPD_PATH + " --listen 127.0.0.1:0 --no-access-log --data-dir '" +
                           dir.path + "' --photos '" + photos + "'");
    };
    for (const std::string bad : {"ftp://x", "s3://Bad_Bucket?endpoint=http://127.0.0.1:1", "s3://bucket",
                                  "s3://bucket?endpoint=nope", "s3://bucket?endpoint=http://127.0.0.1:1&colour=red"}) {
        const auto r = start(bad, "AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b");
        EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.output;
        EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
        EXPECT_EQ(r.output.find("listening"), std::string::npos) << r.output;
    }
    const auto no_credentials = start("s3://bucket?endpoint=http://127.0.0.1:1", "env -u AWS_ACCESS_KEY_ID");
    EXPECT_EQ(no_credentials.exit_code, 2) << no_credentials.output;
    // An endpoint nobody answers (API.md §1.1: "an unreachable ... object store"): the client's
    // retries, then one line and exit 2.
    const auto unreachable =
        start("s3://bucket?endpoint=http://127.0.0.1:1", "AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b");
    EXPECT_EQ(unreachable.exit_code, 2) << unreachable.output;
    EXPECT_EQ(std::count(unreachable.output.begin(), unreachable.output.end(), '\n'), 1) << unreachable.output;
    EXPECT_NE(unreachable.output.find("unavailable"), std::string::npos) << unreachable.output;
    EXPECT_EQ(unreachable.output.find("listening"), std::string::npos) << unreachable.output;
    if (!photos_on_s3())
        return;  // refused credentials and a missing bucket need the run's S3 server (integration_photos_s3)
    const auto& e = S3Server::shared()->endpoint();
    const auto refused =
        start(photo_store_arg(), "AWS_ACCESS_KEY_ID='" + e.access_key + "' AWS_SECRET_ACCESS_KEY=wrong");
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_EQ(std::count(refused.output.begin(), refused.output.end(), '\n'), 1) << refused.output;
    EXPECT_NE(refused.output.find("refused"), std::string::npos) << refused.output;
    EXPECT_EQ(refused.output.find("wrong"), std::string::npos) << "no secret in the message";
    const auto no_bucket =
        start("s3://no-such-bucket-here?endpoint=" + e.endpoint + "&region=" + e.region,
              "AWS_ACCESS_KEY_ID='" + e.access_key + "' AWS_SECRET_ACCESS_KEY='" + e.secret_key + "'");
    EXPECT_EQ(no_bucket.exit_code, 2) << no_bucket.output;
}

CommandResult run_backup(const std::string& from, const std::string& to) {
    return run_command(std::string(CIVICSNAPD_PATH) + " backup --data-dir '" + from + "' --to '" + to + "'");
}

// The restore drill: a backup taken while reports keep arriving starts a server that finds every
// report acknowledged before the backup began, their photos byte for byte, balances and stock.
TEST(SqliteBackup, OnlineCopyRestoresIntoAWorkingServer) {
    ScratchDir source, copy_parent;
    Daemon d(on_dir(source.path));
    BurstCity c(d);
    std::vector<json> before;
    for (int i = 0; i < 4; ++i) before.push_back(c.city.submit(c.city.r1));
    auto redeemed = kiosk_redeem(d, c.kiosk, redeem_token(d, c.spender.token),
                                 json::array({{{"sku", "SOAP"}, {"qty", 2}}}), "backup-drill-1");
    ASSERT_EQ(redeemed.status, 201) << redeemed.body;
    const auto balance = balance_of(d, c.spender.token);

    // Writes continue while the copy is taken.
    Acknowledged during;
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int i = 0; !stop; ++i) {
            auto r = post_multipart(
                d, "/api/v1/reports",
                multipart({{"category", "t-garbage"}, {"description", "备份期间"}, {"lat", 23.375}, {"lon", 103.375}},
                          {make_jpeg(64, 48, 70000 + i)}),
                c.city.r2.token);
            if (r.status != 201) break;
            during.add(during.reports, r.json());
        }
    });
    {  // the copy starts once the writer is known to be writing
        std::unique_lock lock(during.m);
        during.changed.wait(lock, [&] { return during.count >= 1; });
    }
    const auto to = copy_parent.path + "/copy";
    const auto result = run_backup(source.path, to);
    stop = true;
    writer.join();
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("ledger invariants hold"), std::string::npos) << result.output;
    EXPECT_EQ(fs::status(to + "/secrets").permissions() & fs::perms::all, fs::perms::owner_all);

    Daemon restored(on_dir(to));
    const auto manager = restored.login("13700000001", "staff-pass-1");
    for (const auto& report : before) {
        const auto id = std::to_string(report["id"].get<std::int64_t>());
        auto r = restored.get("/api/v1/reports/" + id, manager);
        ASSERT_EQ(r.status, 200) << "report " << id << " missing from the copy";
        EXPECT_EQ(r.json()["description"], report["description"]);
        const auto photos = r.json()["photos"];
        ASSERT_EQ(photos.size(), 1u);
        auto photo = restored.get(photos[0]["url"].get<std::string>(), manager);
        ASSERT_EQ(photo.status, 200);
        EXPECT_EQ(crypto::sha256_hex(photo.body), report["photos"][0]["sha256"]) << "photo bytes differ";
    }
    // Reports from during the copy are either wholly there (with their photo) or absent.
    for (const auto& report : during.reports) {
        auto r = restored.get("/api/v1/reports/" + std::to_string(report["id"].get<std::int64_t>()), manager);
        if (r.status == 404) continue;
        ASSERT_EQ(r.status, 200) << r.body;
        auto photo = restored.get(r.json()["photos"][0]["url"].get<std::string>(), manager);
        EXPECT_EQ(photo.status, 200);
    }
    const auto spender = restored.login("13700000099", "resident-pass-1");
    EXPECT_EQ(balance_of(restored, spender), balance);
    EXPECT_EQ(stock_of(restored, "SOAP"), BurstCity::kStock - 2);
    // Secrets came along: the kiosk's HMAC secret still verifies on the restored server.
    EXPECT_EQ(kiosk_lookup(restored, c.kiosk, redeem_token(restored, spender)).status, 200);
}

TEST(SqliteBackup, RefusesATargetThatIsNotEmptyOrASourceWithoutDatabase) {
    ScratchDir source, target;
    Daemon d(on_dir(source.path));
    { std::ofstream(target.path + "/keep") << "x"; }
    const auto busy = run_backup(source.path, target.path);
    EXPECT_NE(busy.exit_code, 0);
    EXPECT_NE(busy.output.find("not empty"), std::string::npos) << busy.output;
    EXPECT_TRUE(fs::exists(target.path + "/keep"));
    EXPECT_FALSE(fs::exists(target.path + "/civicsnap.db"));

    const auto nothing = run_backup(source.path + "/nowhere", target.path + "/fresh");
    EXPECT_NE(nothing.exit_code, 0);
    EXPECT_NE(nothing.output.find("no database"), std::string::npos) << nothing.output;

    const auto no_to = run_command(std::string(CIVICSNAPD_PATH) + " backup --data-dir '" + source.path + "'");
    EXPECT_EQ(no_to.exit_code, 2) << no_to.output;
}

// The copy is verified, not trusted: a photo the database names but the store lacks (here deleted
// from the source behind the daemon's back) fails the backup instead of producing a broken copy.
TEST(SqliteBackup, FailsWhenAReferencedPhotoIsMissing) {
    ScratchDir source, target;
    std::string sha;
    {
        Daemon d(on_dir(source.path));
        TicketCity c(d);
        sha = c.submit(c.r1)["photos"][0]["sha256"].get<std::string>();
        EXPECT_EQ(d.stop(), 0);
    }
    fs::remove(fs::path(source.path) / "photos" / sha.substr(0, 2) / sha.substr(2, 2) / (sha + ".jpg"));
    const auto result = run_backup(source.path, target.path + "/copy");
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.output.find("is referenced by the database but missing from file:" + target.path + "/copy/photos"),
              std::string::npos)
        << result.output;
}

}  // namespace
}  // namespace civic::test
