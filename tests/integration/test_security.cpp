// Abuse control and secrecy: token-bucket rate limits on registration (per address) and report
// submission (per account), timed by the test clock; and a full run's log holding no password,
// token, kiosk secret, signature or phone number.
#include "kiosk_support.hpp"
#include "ticket_city.hpp"

#include <gtest/gtest.h>

namespace civic::test {
namespace {

using nlohmann::json;

Daemon::Options limited(const std::string& flag, const std::string& per_hour) {
    Daemon::Options o;
    o.extra_args = {flag, per_hour};
    return o;
}

void set_clock(const Daemon& d, const std::string& admin, const std::string& now) {
    auto r = d.post("/api/v1/admin/clock", {{"now", now}}, admin);
    ASSERT_EQ(r.status, 200) << r.body;
}

HttpResponse register_as(const Daemon& d, const std::string& phone, const std::string& password = "resident-pass-1") {
    return d.post("/api/v1/auth/register", {{"phone", phone}, {"password", password}, {"display_name", "居民"}});
}

TEST(RateLimits, RegistrationsFromOneAddressAreLimitedAndRefillOverTheHour) {
    Daemon d(limited("--registrations-per-hour", "3"));
    const auto admin = d.admin_token();
    set_clock(d, admin, "2026-11-20T08:00:00Z");
    for (const char* phone : {"13600000001", "13600000002", "13600000003"})
        EXPECT_EQ(register_as(d, phone).status, 201) << phone;

    auto refused = register_as(d, "13600000004");
    EXPECT_EQ(refused.status, 429) << refused.body;
    EXPECT_EQ(refused.error_code(), "rate_limited");
    EXPECT_EQ(refused.header("retry-after"), "1200") << "3 an hour: one token every 20 minutes";
    // Nothing was created, and malformed attempts are refused the same way (they cost hashing too).
    auto login = d.post("/api/v1/auth/login", {{"phone", "13600000004"}, {"password", "resident-pass-1"}});
    EXPECT_EQ(login.status, 401);
    EXPECT_EQ(d.post("/api/v1/auth/register", json::object()).status, 429);

    set_clock(d, admin, "2026-11-20T08:19:59Z");
    EXPECT_EQ(register_as(d, "13600000004").status, 429) << "one second short of a token";
    set_clock(d, admin, "2026-11-20T08:20:00Z");
    EXPECT_EQ(register_as(d, "13600000004").status, 201);
    EXPECT_EQ(register_as(d, "13600000005").status, 429) << "the refilled token was the only one";
    // Logging in is not registration: existing residents are unaffected.
    EXPECT_EQ(d.post("/api/v1/auth/login", {{"phone", "13600000001"}, {"password", "resident-pass-1"}}).status, 200);
}

TEST(RateLimits, ReportSubmissionsArePerAccountAndRetriesAreFree) {
    Daemon d(limited("--reports-per-hour", "2"));
    TicketCity c(d);
    auto report = [&](const Person& who, int seed, Headers headers = {}) {
        return post_multipart(
            d, "/api/v1/reports",
            multipart({{"category", "t-garbage"}, {"description", "井盖缺失"}, {"lat", 23.375}, {"lon", 103.375}},
                      {make_jpeg(64, 48, seed)}),
            who.token, std::move(headers));
    };
    auto first = report(c.r1, 1, {{"Idempotency-Key", "limit-test-1"}});
    ASSERT_EQ(first.status, 201) << first.body;
    ASSERT_EQ(report(c.r1, 2).status, 201);

    auto refused = report(c.r1, 3);
    EXPECT_EQ(refused.status, 429) << refused.body;
    EXPECT_EQ(refused.error_code(), "rate_limited");
    EXPECT_EQ(refused.header("retry-after"), "1800");
    auto mine = d.get("/api/v1/reports", c.r1.token).json();
    EXPECT_EQ(mine["items"].size(), 2u) << "the refused report was not stored";

    // A retry of an acknowledged submission is answered from the idempotency store, not refused.
    auto retry = report(c.r1, 1, {{"Idempotency-Key", "limit-test-1"}});
    EXPECT_EQ(retry.status, 201) << retry.body;
    EXPECT_EQ(retry.body, first.body);
    // Another resident has a bucket of their own.
    EXPECT_EQ(report(c.r2, 4).status, 201);

    c.set_clock("2026-11-20T00:30:00Z");  // half an hour: one token back at 2 an hour
    EXPECT_EQ(report(c.r1, 5).status, 201);
    EXPECT_EQ(report(c.r1, 6).status, 429);
}

// Every secret the run handles, and every phone number, is looked for in what the daemon wrote.
TEST(Logs, AFullRunLogsNoSecretsTokensOrPhoneNumbers) {
    std::vector<std::string> secrets;
    std::string log_and_output;
    {
        Daemon d;
        TicketCity c(d);
        c.set_clock("2026-11-20T00:00:00Z");
        const auto admin = c.admin;
        secrets = {kAdminPassword, "staff-pass-1", "resident-pass-1", admin, c.m1.token, c.r1.token, c.w1.token};
        for (const char* phone : {kAdminPhone, "13700000001", "13700000003", "13700000007"}) secrets.push_back(phone);

        // A failed login (the lockout path), a logout, a report's life, the push stream's token in
        // a query string, and a kiosk's whole day.
        EXPECT_EQ(d.post("/api/v1/auth/login", {{"phone", "13700000007"}, {"password", "wrong-password-9"}}).status,
                  401);
        const auto report = c.submit(c.r1);
        const auto id = report["id"].get<std::int64_t>();
        c.ok(c.m1, id, {{"action", "accept"}});
        d.get("/api/v1/stream?access_token=" + c.m1.token);

        c.set_clock(wall_clock_iso());
        const auto kiosk = register_kiosk(d);
        secrets.push_back(kiosk.secret);
        add_reward(d, "TOWEL", 5, 10);
        auto grant = d.post("/api/v1/admin/points/adjustments",
                            {{"user_id", c.r1.id}, {"points", 50}, {"reason", "log test"}}, admin);
        ASSERT_EQ(grant.status, 201) << grant.body;
        const auto code = redeem_token(d, c.r1.token);
        secrets.push_back(code);
        KioskCall call;
        call.target = "/api/v1/kiosk/lookup";
        call.body = json({{"token", code}}).dump();
        const auto headers = kiosk_headers(kiosk, call);
        for (const auto& [name, value] : headers)
            if (name == "X-Kiosk-Signature") secrets.push_back(value);
        auto lookup = d.request("POST", call.target, call.body, headers);
        EXPECT_EQ(lookup.status, 200) << lookup.body;
        auto redeemed = kiosk_redeem(d, kiosk, code, json::array({{{"sku", "TOWEL"}, {"qty", 1}}}), "log-order-1");
        EXPECT_EQ(redeemed.status, 201) << redeemed.body;
        EXPECT_EQ(d.get("/api/v1/me/credit-certificate", c.r1.token).status, 200);
        d.post("/api/v1/auth/logout", json::object(), c.r2.token);

        EXPECT_EQ(d.stop(), 0);
        log_and_output = d.log() + d.output();
    }
    // The log is there and is the access log of this run: the test would notice an empty file.
    ASSERT_NE(log_and_output.find("/api/v1/kiosk/redemptions"), std::string::npos) << log_and_output.substr(0, 500);
    for (const auto& s : secrets) {
        ASSERT_FALSE(s.empty());
        EXPECT_EQ(log_and_output.find(s), std::string::npos) << "the log holds a secret: " << s;
    }
}

}  // namespace
}  // namespace civic::test
