#pragma once
// Bearer tokens already resolved to a principal, so that an authenticated request does not
// need a trip to the database pool before its own work. An entry is trusted only while
//  - the session has not expired (checked against the server clock on every hit), and
//  - the auth epoch it was read under is still current: schema/007_auth_epoch.sql moves a
//    counter with every change that can alter a resolution (logout, a user or grid membership
//    changed), and the writer publishes it here after each commit, before answering the
//    request that made the change. A logout's 204 therefore means the token no longer works.
#include "server/api/auth.hpp"
#include "server/store/database.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace civic::api {

class SessionCache {
public:
    // Bounds memory: when full, the cache starts over (entries are a cheap re-read away).
    static constexpr std::size_t kMaxEntries = 100'000;

    // Reads the current epoch and registers for every later commit. Call before the writer's
    // first job (store::Writer::on_commit).
    explicit SessionCache(store::Writer& writer);

    // Take the epoch before reading the database; pass it to remember() with what was read.
    std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
    std::optional<Principal> find(const std::string& token_hash, std::int64_t now) const;
    void remember(const std::string& token_hash, Principal who, std::int64_t expires_at, std::uint64_t read_epoch);

private:
    struct Entry {
        Principal who;
        std::int64_t expires_at;
        std::uint64_t epoch;
    };
    void publish(store::Conn& conn);

    std::atomic<std::uint64_t> epoch_{0};
    std::int64_t last_seen_ = -1;  // the table's counter as last published (writer thread only)
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace civic::api
