#pragma once
// A kiosk client written from API.md §7 alone: every request signed with
// hex(HMAC-SHA256(secret, METHOD "\n" PATH_WITH_QUERY "\n" TIMESTAMP "\n" hex(SHA256(body)))).
#include "common/crypto.hpp"
#include "ledger_support.hpp"

#include <atomic>
#include <ctime>
#include <mutex>
#include <set>

namespace civic::test {

struct KioskCredentials {
    std::int64_t id = 0;
    std::string key_id;
    std::string secret;
};

inline KioskCredentials register_kiosk(const Daemon& d, const std::string& name = "文澜店收银台") {
    auto r = d.post("/api/v1/admin/kiosks", {{"name", name}, {"store", "蒙自文澜超市"}}, d.admin_token());
    if (r.status != 201) throw std::runtime_error("kiosk registration failed: " + r.body);
    const auto j = r.json();
    return {j["id"].get<std::int64_t>(), j["key_id"], j["secret"]};
}

inline std::string sign(const std::string& secret, const std::string& method, const std::string& target,
                        const std::string& timestamp, const std::string& body) {
    const auto text = method + "\n" + target + "\n" + timestamp + "\n" + crypto::sha256_hex(body);
    return crypto::hex_encode(crypto::hmac_sha256(secret, text));
}

struct KioskCall {
    std::string method = "POST";
    std::string target;
    std::string body;
    std::int64_t timestamp = 0;  // 0: the wall clock
    Headers extra;
};

// Without an explicit timestamp, each call gets one inside the window that no earlier call used
// for the same method, target and body: two identical requests with the same timestamp carry the
// same signature, and the second would rightly be refused as a replay.
inline std::int64_t fresh_timestamp(const KioskCall& c) {
    static std::mutex mutex;
    static std::set<std::string> used;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto what = c.method + "\n" + c.target + "\n" + crypto::sha256_hex(c.body) + "\n";
    std::lock_guard lock(mutex);
    for (std::int64_t back = 0; back < 250; ++back)
        if (used.insert(what + std::to_string(now - back)).second) return now - back;
    throw std::runtime_error("more than 250 identical kiosk requests within a second");
}

// The wall clock as an API timestamp, for test clocks that must agree with kiosk timestamps.
inline std::string wall_clock_iso() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

inline Headers kiosk_headers(const KioskCredentials& k, const KioskCall& c) {
    const auto ts = std::to_string(c.timestamp ? c.timestamp : fresh_timestamp(c));
    Headers h = {{"X-Kiosk-Key", k.key_id},
                 {"X-Kiosk-Timestamp", ts},
                 {"X-Kiosk-Signature", sign(k.secret, c.method, c.target, ts, c.body)}};
    for (const auto& e : c.extra) h.push_back(e);
    return h;
}

inline HttpResponse kiosk_request(const Daemon& d, const KioskCredentials& k, const KioskCall& c) {
    auto headers = kiosk_headers(k, c);
    if (!c.body.empty()) headers.emplace_back("Content-Type", "application/json");
    return d.request(c.method, c.target, c.body, headers);
}

inline HttpResponse kiosk_redeem(const Daemon& d, const KioskCredentials& k, const std::string& token,
                                 const nlohmann::json& items, const std::string& idempotency_key,
                                 std::int64_t timestamp = 0) {
    KioskCall c;
    c.target = "/api/v1/kiosk/redemptions";
    c.body = nlohmann::json({{"token", token}, {"items", items}}).dump();
    c.timestamp = timestamp;
    if (!idempotency_key.empty()) c.extra.emplace_back("Idempotency-Key", idempotency_key);
    return kiosk_request(d, k, c);
}

inline HttpResponse kiosk_lookup(const Daemon& d, const KioskCredentials& k, const std::string& token,
                                 std::int64_t timestamp = 0) {
    KioskCall c;
    c.target = "/api/v1/kiosk/lookup";
    c.body = nlohmann::json({{"token", token}}).dump();
    c.timestamp = timestamp;
    return kiosk_request(d, k, c);
}

inline HttpResponse kiosk_void(const Daemon& d, const KioskCredentials& k, std::int64_t id,
                               std::int64_t timestamp = 0) {
    KioskCall c;
    c.target = "/api/v1/kiosk/redemptions/" + std::to_string(id) + "/void";
    c.timestamp = timestamp;
    return kiosk_request(d, k, c);
}

inline std::string redeem_token(const Daemon& d, const std::string& resident_token) {
    auto r = d.post("/api/v1/me/redeem-token", nlohmann::json::object(), resident_token);
    if (r.status != 201) throw std::runtime_error("redeem-token failed: " + r.body);
    return r.json()["token"];
}

inline void add_reward(const Daemon& d, const std::string& sku, std::int64_t cost, std::int64_t stock,
                       const std::string& kind = "goods") {
    auto r = d.post("/api/v1/admin/rewards",
                    {{"sku", sku}, {"name", "商品 " + sku}, {"points_cost", cost}, {"stock", stock}, {"kind", kind}},
                    d.admin_token());
    if (r.status != 201) throw std::runtime_error("reward creation failed: " + r.body);
}

inline std::int64_t stock_of(const Daemon& d, const std::string& sku) {
    const auto catalogue = d.get("/api/v1/rewards").json();
    for (const auto& i : catalogue["items"])
        if (i["sku"] == sku) return i["stock"].get<std::int64_t>();
    return -1;
}

}  // namespace civic::test
