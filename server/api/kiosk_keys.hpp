#pragma once
// The kiosks' unsealed secrets by key id, so that a signed kiosk call is verified on its own
// thread, without a database read and off the SQLite writer: only the record of its signature
// (the replay check) goes into the write job. Kiosks are only ever added — no rotation or removal
// exists — so an entry never goes stale; an unknown key id is never cached (it is read again).
#include "server/domain/kiosk_auth.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace civic::api {

class KioskKeys {
public:
    // Far above any city's kiosk count; past it the map is emptied and refills on use.
    static constexpr std::size_t kMaxEntries = 10'000;

    std::optional<domain::KioskKey> find(std::string_view key_id) const {
        std::lock_guard lock(mutex_);
        const auto it = keys_.find(std::string(key_id));
        if (it == keys_.end()) return std::nullopt;
        return it->second;
    }
    void remember(std::string_view key_id, const domain::KioskKey& key) {
        std::lock_guard lock(mutex_);
        if (keys_.size() >= kMaxEntries) keys_.clear();
        keys_.insert_or_assign(std::string(key_id), key);
    }

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, domain::KioskKey> keys_;
};

}  // namespace civic::api
