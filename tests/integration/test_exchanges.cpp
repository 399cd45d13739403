// API.md §6 over real HTTP: the catalogue, honour and credit exchanges, the honour roll,
// donations and funds, Idempotency-Key replays, and the credit certificate checked with the
// openssl command-line tool.
#include "ledger_support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <filesystem>
#include <fstream>

using namespace civic::test;
using nlohmann::json;

namespace {

json reward(const std::string& sku, std::int64_t cost, std::int64_t stock, const std::string& kind) {
    return {{"sku", sku}, {"name", "奖品 " + sku}, {"points_cost", cost}, {"stock", stock}, {"kind", kind}};
}

json find_sku(const json& items, const std::string& sku) {
    for (const auto& i : items)
        if (i["sku"] == sku) return i;
    return nullptr;
}

TEST(Rewards, AdminCreatesAndAnyoneLists) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    auto r = d.post("/api/v1/admin/rewards", reward("RICE-5KG", 50, 10, "goods"), admin);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(
        r.json(),
        json({{"sku", "RICE-5KG"}, {"name", "奖品 RICE-5KG"}, {"points_cost", 50}, {"stock", 10}, {"kind", "goods"}}));
    EXPECT_EQ(d.post("/api/v1/admin/rewards", reward("RICE-5KG", 5, 1, "goods"), admin).error_code(), "conflict");
    auto list = d.get("/api/v1/rewards");
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(find_sku(list.json()["items"], "RICE-5KG")["stock"], 10);
    EXPECT_TRUE(list.json()["next_cursor"].is_null());

    const std::vector<std::pair<json, std::string>> bad = {
        {reward("bad sku", 5, 1, "goods"), "sku"},
        {reward("OK-1", 0, 1, "goods"), "points_cost"},
        {reward("OK-2", 5, -1, "goods"), "stock"},
        {reward("OK-3", 5, 1, "cash"), "kind"},
        {{{"sku", "OK-4"}, {"points_cost", 5}, {"stock", 1}, {"kind", "goods"}}, "name"}};
    for (const auto& [body, field] : bad) {
        auto b = d.post("/api/v1/admin/rewards", body, admin);
        EXPECT_EQ(b.status, 400) << body;
        EXPECT_EQ(b.json()["error"]["field"], field) << body;
    }
    const auto resident = d.register_resident("13600000001");
    EXPECT_EQ(d.post("/api/v1/admin/rewards", reward("X-1", 5, 1, "goods"), resident).status, 403);
    EXPECT_EQ(d.post("/api/v1/admin/rewards", reward("X-1", 5, 1, "goods")).status, 401);
}

TEST(Exchanges, HonourExchangeAndTheMaskedHonourRoll) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    ASSERT_EQ(d.post("/api/v1/admin/rewards", reward("HONOUR-STAR", 30, 2, "honour"), admin).status, 201);
    ASSERT_EQ(d.post("/api/v1/admin/rewards", reward("HONOUR-NONE", 1, 0, "honour"), admin).status, 201);
    ASSERT_EQ(d.post("/api/v1/admin/rewards", reward("SOAP", 5, 5, "goods"), admin).status, 201);
    const auto token = d.register_resident("13600000002", "张三丰");
    grant_points(d, user_id_of(d, token), 40);

    auto r = d.post("/api/v1/me/exchanges", {{"type", "honour"}, {"sku", "HONOUR-STAR"}}, token);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["points"], 30);
    EXPECT_EQ(r.json()["balance_after"], 10);
    EXPECT_TRUE(r.json()["id"].is_number_integer());
    EXPECT_EQ(find_sku(d.get("/api/v1/rewards").json()["items"], "HONOUR-STAR")["stock"], 1);

    auto again = d.post("/api/v1/me/exchanges", {{"type", "honour"}, {"sku", "HONOUR-STAR"}}, token);
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.error_code(), "insufficient_points");
    EXPECT_EQ(find_sku(d.get("/api/v1/rewards").json()["items"], "HONOUR-STAR")["stock"], 1);  // rolled back
    EXPECT_EQ(d.post("/api/v1/me/exchanges", {{"type", "honour"}, {"sku", "HONOUR-NONE"}}, token).error_code(),
              "out_of_stock");
    EXPECT_EQ(d.post("/api/v1/me/exchanges", {{"type", "honour"}, {"sku", "SOAP"}}, token).json()["error"]["field"],
              "sku");
    EXPECT_EQ(d.post("/api/v1/me/exchanges", {{"type", "honour"}, {"sku", "NOPE"}}, token).json()["error"]["field"],
              "sku");
    EXPECT_EQ(d.post("/api/v1/me/exchanges", {{"type", "cash"}}, token).json()["error"]["field"], "type");
    EXPECT_EQ(d.post("/api/v1/me/exchanges", {{"type", "honour"}}, d.admin_token()).status, 403);

    auto roll = d.get("/api/v1/honour-roll");
    ASSERT_EQ(roll.status, 200) << roll.body;
    const auto first = roll.json()["items"][0];
    EXPECT_EQ(first["display_name"], "张**");
    EXPECT_EQ(first["stars"], 2);  // lifetime earned 40
    EXPECT_EQ(first["honours"][0]["sku"], "HONOUR-STAR");
    EXPECT_EQ(roll.body.find("13600000002"), std::string::npos);  // no phone, no id
    EXPECT_FALSE(first.contains("user_id"));
}

TEST(Exchanges, HonourRollPages) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    ASSERT_EQ(d.post("/api/v1/admin/rewards", reward("HONOUR-PAGE", 1, 10, "honour"), admin).status, 201);
    const std::vector<std::string> names = {"王小二", "赵大", "孙"};
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto token = d.register_resident("1360000010" + std::to_string(i), names[i]);
        grant_points(d, user_id_of(d, token), 1);
        ASSERT_EQ(d.post("/api/v1/me/exchanges", {{"type", "honour"}, {"sku", "HONOUR-PAGE"}}, token).status, 201);
    }
    auto p1 = d.get("/api/v1/honour-roll?limit=2").json();
    ASSERT_EQ(p1["items"].size(), 2u);
    EXPECT_EQ(p1["items"][0]["display_name"], "孙*");  // newest first
    EXPECT_EQ(p1["items"][1]["display_name"], "赵*");
    ASSERT_TRUE(p1["next_cursor"].is_string());
    auto p2 = d.get("/api/v1/honour-roll?limit=2&cursor=" + p1["next_cursor"].get<std::string>()).json();
    ASSERT_GE(p2["items"].size(), 1u);
    EXPECT_EQ(p2["items"][0]["display_name"], "王**");
}

TEST(Donations, ToTheCharityFundWithIdempotencyKey) {
    auto& d = file_daemon();
    const auto token = d.register_resident("13600000003");
    grant_points(d, user_id_of(d, token), 50);
    const auto before = d.get("/api/v1/funds").json();
    std::int64_t charity_before = -1;
    for (const auto& f : before["items"])
        if (f["code"] == "charity") charity_before = f["balance"];
    ASSERT_GE(charity_before, 0) << before;

    const Headers key = {{"Idempotency-Key", "donate-0001"}};
    auto r = d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 20}}, token, key);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["points"], 20);
    EXPECT_EQ(r.json()["balance_after"], 30);
    auto replay = d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 20}}, token, key);
    EXPECT_EQ(replay.status, 201);
    EXPECT_EQ(replay.body, r.body);
    EXPECT_EQ(replay.header("idempotent-replayed"), "true");
    EXPECT_EQ(balance_of(d, token), 30);
    auto other = d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 5}}, token, key);
    EXPECT_EQ(other.status, 409);
    EXPECT_EQ(other.error_code(), "conflict");

    const auto funds = d.get("/api/v1/funds").json();
    for (const auto& f : funds["items"])
        if (f["code"] == "charity") {
            EXPECT_EQ(f["balance"], charity_before + 20);
        }

    EXPECT_EQ(d.post("/api/v1/me/donations", {{"fund", "nope"}, {"points", 1}}, token).json()["error"]["field"],
              "fund");
    EXPECT_EQ(d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 0}}, token).json()["error"]["field"],
              "points");
    EXPECT_EQ(d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 31}}, token).error_code(),
              "insufficient_points");
    EXPECT_EQ(
        d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 1}}, token, {{"Idempotency-Key", "short"}})
            .json()["error"]["field"],
        "Idempotency-Key");
}

TEST(Credit, ExchangeAndCertificateVerifiedWithOpenssl) {
    auto& d = file_daemon();
    const auto token = d.register_resident("13600000004");
    const auto id = user_id_of(d, token);
    grant_points(d, id, 45);
    EXPECT_EQ(d.post("/api/v1/me/exchanges", {{"type", "credit"}, {"points", 25}}, token).json()["error"]["field"],
              "points");
    EXPECT_EQ(d.post("/api/v1/me/exchanges", {{"type", "credit"}, {"points", 0}}, token).json()["error"]["field"],
              "points");
    auto r = d.post("/api/v1/me/exchanges", {{"type", "credit"}, {"points", 30}}, token,
                    {{"Idempotency-Key", "credit-0001"}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["balance_after"], 15);
    EXPECT_EQ(r.json()["credit_score"], 3);
    auto replay = d.post("/api/v1/me/exchanges", {{"type", "credit"}, {"points", 30}}, token,
                         {{"Idempotency-Key", "credit-0001"}});
    EXPECT_EQ(replay.body, r.body);
    EXPECT_EQ(d.get("/api/v1/me/points", token).json()["credit_score"], 3);
    EXPECT_EQ(d.post("/api/v1/me/exchanges", {{"type", "credit"}, {"points", 20}}, token).error_code(),
              "insufficient_points");

    auto cert = d.get("/api/v1/me/credit-certificate", token);
    ASSERT_EQ(cert.status, 200) << cert.body;
    const auto c = cert.json();
    EXPECT_EQ(c["user_id"], id);
    EXPECT_EQ(c["credit_score"], 3);
    EXPECT_EQ(c.size(), 4u);
    const std::string message = R"({"credit_score":3,"issued_at":")" + c["issued_at"].get<std::string>() +
                                R"(","user_id":)" + std::to_string(id) + "}";
    auto pem = d.get("/api/v1/credit/public-key");
    ASSERT_EQ(pem.status, 200);
    EXPECT_TRUE(pem.body.starts_with("-----BEGIN PUBLIC KEY-----")) << pem.body;

    const auto dir = d.data_dir() + "/cert-check";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/pub.pem") << pem.body;
    std::ofstream(dir + "/msg") << message;
    std::ofstream(dir + "/sig.hex") << c["signature"].get<std::string>();
    ASSERT_EQ(run_command("xxd -r -p '" + dir + "/sig.hex' > '" + dir + "/sig'").exit_code, 0);
    const auto verify = "openssl pkeyutl -verify -pubin -inkey '" + dir + "/pub.pem' -rawin -in '" + dir +
                        "/msg' -sigfile '" + dir + "/sig'";
    auto ok = run_command(verify);
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("Signature Verified Successfully"), std::string::npos) << ok.output;
    // A certificate with a raised score does not verify.
    std::ofstream(dir + "/msg") << R"({"credit_score":30,"issued_at":")" + c["issued_at"].get<std::string>() +
                                       R"(","user_id":)" + std::to_string(id) + "}";
    EXPECT_NE(run_command(verify).exit_code, 0);

    EXPECT_EQ(d.get("/api/v1/me/credit-certificate", d.admin_token()).status, 403);
    EXPECT_EQ(d.get("/api/v1/me/credit-certificate").status, 401);
}

TEST(Credit, SigningKeyIsPrivateAndSurvivesRestart) {
    Daemon first;
    const auto key_path = first.data_dir() + "/secrets/credit_ed25519.pem";
    struct stat st {};
    ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
    const auto pem = first.get("/api/v1/credit/public-key").body;
    const auto dir = first.data_dir() + "-copy";
    first.stop();
    std::filesystem::copy(first.data_dir(), dir, std::filesystem::copy_options::recursive);
    {
        Daemon::Options o;
        o.data_dir = dir;
        Daemon second(o);
        EXPECT_EQ(second.get("/api/v1/credit/public-key").body, pem);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
