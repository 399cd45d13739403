#include "server/api/session_cache.hpp"

#include "server/store/accounts_repo.hpp"

namespace civic::api {

SessionCache::SessionCache(store::Writer& writer) {
    publish(writer.startup_connection());
    writer.on_commit([this](store::Conn& conn) { publish(conn); });
}

void SessionCache::publish(store::Conn& conn) {
    try {
        const auto n = store::auth_epoch(conn);
        if (n == last_seen_) return;
        last_seen_ = n;
    } catch (const store::DbError&) {
        // Cannot tell whether anything changed: assume it did.
    }
    epoch_.fetch_add(1, std::memory_order_acq_rel);
}

std::optional<Principal> SessionCache::find(const std::string& token_hash, std::int64_t now) const {
    const auto current = epoch();
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(token_hash);
    if (it == entries_.end() || it->second.epoch != current || it->second.expires_at <= now) return std::nullopt;
    return it->second.who;
}

void SessionCache::remember(const std::string& token_hash, Principal who, std::int64_t expires_at,
                            std::uint64_t read_epoch) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.insert_or_assign(token_hash, Entry{std::move(who), expires_at, read_epoch});
}

}  // namespace civic::api
