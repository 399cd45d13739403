#include "common/clock.hpp"

#include <chrono>

namespace civic {

std::int64_t Clock::now() const {
    std::int64_t pinned = override_.load(std::memory_order_acquire);
    if (pinned != kNone) return pinned;
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
}

void Clock::set_override(std::optional<std::int64_t> unix_seconds) {
    override_.store(unix_seconds.value_or(kNone), std::memory_order_release);
}

std::optional<std::int64_t> Clock::override_value() const {
    std::int64_t pinned = override_.load(std::memory_order_acquire);
    if (pinned == kNone) return std::nullopt;
    return pinned;
}

void Clock::apply_shared_override(std::optional<std::int64_t> unix_seconds, std::int64_t version) {
    std::lock_guard lock(shared_mutex_);
    if (version < shared_version_) return;
    shared_version_ = version;
    set_override(unix_seconds);
}

}  // namespace civic
