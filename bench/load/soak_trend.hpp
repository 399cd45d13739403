#pragma once
// The soak's leak rule (docs/performance.md, "Soak"): a resource that keeps climbing through the
// second half of a run — after caches, pools and the WAL have reached their working size — is a
// leak. The climb is the least-squares slope of the samples over that half, compared with a named
// threshold per resource. Pure functions, so that the rule itself is unit-tested.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace civic::load {

// Fewer samples than this in the second half (a run shorter than about 2 minutes at one sample
// every 10 s) are too few to tell a slope from noise: the trend is reported but not judged.
inline constexpr std::size_t kMinTrendSamples = 6;

// Growth per minute over the second half above which a resource counts as leaking. A leak of
// 1 MiB a minute is 1.4 GiB a day: the small machines cities run would end in the OOM killer
// within days. One descriptor a minute exhausts a 1024 limit in under a day. The WAL is reset by
// every checkpoint that finds no reader in its way, so a steady climb means checkpoints starve.
inline constexpr double kMaxRssSlopeMiBPerMinute = 1.0;
inline constexpr double kMaxFdSlopePerMinute = 1.0;
inline constexpr double kMaxWalSlopeMiBPerMinute = 1.0;

// The least-squares slope of y over x (units of y per unit of x); nullopt for fewer than two
// points or when every x is the same.
std::optional<double> least_squares_slope(const std::vector<double>& x, const std::vector<double>& y);

struct Trend {
    std::string resource;                    // "rss", "fds", "wal"
    std::optional<double> slope_per_minute;  // over the second half; nullopt: too few samples
    double threshold_per_minute = 0;
    bool leaking() const { return slope_per_minute && *slope_per_minute > threshold_per_minute; }
};

// The trend of `values` (one per sample, taken at `seconds` since the start) over the second half
// of the samples; not judged (no slope) below kMinTrendSamples there.
Trend second_half_trend(std::string resource, const std::vector<double>& seconds, const std::vector<double>& values,
                        double threshold_per_minute);

}  // namespace civic::load
