#pragma once
// Bearer tokens already resolved to a caller, so that an authenticated request does not
// need a trip to the database pool before its own work. An entry is trusted only while
//  - the session has not expired (checked against the server clock on every hit), and
//  - the 'auth' epoch it was read under is current (schema/007_epochs.sql: logout, a user or a
//    grid membership changed). A logout's 204 therefore means the token no longer works.
#include "server/api/auth.hpp"
#include "server/store/commit_epoch.hpp"
#include "server/store/epoch_cache.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace civic::api {

class SessionCache {
public:
    static constexpr std::size_t kMaxEntries = 100'000;

    // Construct before the engine's first job (store::CommitEpoch).
    explicit SessionCache(store::StorageEngine& engine) : epoch_(engine, "auth"), entries_(kMaxEntries) {}

    // Take the epoch before reading the database; pass it to remember() with what was read.
    std::uint64_t epoch() const { return epoch_.current(); }
    std::optional<Caller> find(const std::string& token_hash, std::int64_t now) const {
        auto entry = entries_.find(token_hash, epoch_.current());
        if (!entry || entry->expires_at <= now) return std::nullopt;
        return std::move(entry->who);
    }
    void remember(const std::string& token_hash, Caller who, std::int64_t expires_at, std::uint64_t read_epoch) {
        entries_.remember(token_hash, Entry{std::move(who), expires_at}, read_epoch);
    }

private:
    struct Entry {
        Caller who;
        std::int64_t expires_at;
    };
    store::CommitEpoch epoch_;
    store::EpochCache<std::string, Entry> entries_;
};

}  // namespace civic::api
