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

}  // namespace civic
