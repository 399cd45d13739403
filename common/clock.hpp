#pragma once
// Every "now" in the server comes from a Clock so tests can pin time without sleeping.
#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>
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
    // Several nodes over one PostgreSQL: the override as stored in the shared row under
    // `version`, which only grows. A version older than one already applied is ignored, so a
    // setting read late (a poll racing a newer write) never undoes a newer one. Thread-safe.
    void apply_shared_override(std::optional<std::int64_t> unix_seconds, std::int64_t version);

private:
    // One atomic word (rather than a flag plus a value) so readers never see a torn pair.
    static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();
    std::atomic<std::int64_t> override_{kNone};
    std::mutex shared_mutex_;
    std::int64_t shared_version_ = -1;  // the shared row's version last applied
};

}  // namespace civic
