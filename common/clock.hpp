#pragma once
// Every "now" in the server comes from a Clock so tests can pin time without sleeping.
#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>

namespace civic {

class Clock {
public:
    Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;

    // Unix seconds: the override if set, else std::chrono::system_clock.
    std::int64_t now() const;
    // Thread-safe. INT64_MIN is reserved as the "no override" marker and clears the override.
    void set_override(std::optional<std::int64_t> unix_seconds);
    std::optional<std::int64_t> override_value() const;

private:
    // One atomic word (rather than a flag plus a value) so readers never see a torn pair.
    static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();
    std::atomic<std::int64_t> override_{kNone};
};

}  // namespace civic
