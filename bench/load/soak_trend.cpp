#include "bench/load/soak_trend.hpp"

#include <utility>

namespace civic::load {

std::optional<double> least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t n = std::min(x.size(), y.size());
    if (n < 2) return std::nullopt;
    double mean_x = 0, mean_y = 0;
    for (std::size_t i = 0; i < n; ++i) {
        mean_x += x[i];
        mean_y += y[i];
    }
    mean_x /= static_cast<double>(n);
    mean_y /= static_cast<double>(n);
    double covariance = 0, variance = 0;
    for (std::size_t i = 0; i < n; ++i) {
        covariance += (x[i] - mean_x) * (y[i] - mean_y);
        variance += (x[i] - mean_x) * (x[i] - mean_x);
    }
    if (variance == 0) return std::nullopt;
    return covariance / variance;
}

Trend second_half_trend(std::string resource, const std::vector<double>& seconds, const std::vector<double>& values,
                        double threshold_per_minute) {
    Trend t{std::move(resource), std::nullopt, threshold_per_minute};
    const std::size_t n = std::min(seconds.size(), values.size());
    const std::size_t first = n / 2;
    if (n - first < kMinTrendSamples) return t;
    const std::vector<double> x(seconds.begin() + static_cast<std::ptrdiff_t>(first),
                                seconds.begin() + static_cast<std::ptrdiff_t>(n));
    const std::vector<double> y(values.begin() + static_cast<std::ptrdiff_t>(first),
                                values.begin() + static_cast<std::ptrdiff_t>(n));
    if (const auto per_second = least_squares_slope(x, y)) t.slope_per_minute = *per_second * 60.0;
    return t;
}

}  // namespace civic::load
