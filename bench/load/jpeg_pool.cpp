#include "bench/load/jpeg_pool.hpp"

#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace civic::load {

namespace {

// A smooth scene (gradients, as sky and walls) plus sensor-like noise whose amplitude sets the
// compressed size; 1024x768 by default, a phone photo after the app's downscaling.
constexpr int kQuality = 80;

class Encoder {
public:
    Encoder(int width, int height)
        : width_(width), height_(height), tj_(tjInitCompress()), rgb_(static_cast<std::size_t>(width) * height * 3) {
        if (!tj_) throw std::runtime_error("tjInitCompress failed");
    }
    ~Encoder() { tjDestroy(tj_); }
    Encoder(const Encoder&) = delete;
    Encoder& operator=(const Encoder&) = delete;

    std::string make(std::uint64_t seed, double noise) {
        std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
        auto next = [&x] {  // xorshift64: fast, and good enough for pixel noise
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            return x;
        };
        const int phase = static_cast<int>(seed % 97);
        for (int y = 0; y < height_; ++y)
            for (int px = 0; px < width_; ++px) {
                auto* p = &rgb_[(static_cast<std::size_t>(y) * width_ + px) * 3];
                const double base[3] = {80.0 + 100.0 * y / height_, 120.0 + 60.0 * std::sin((px + phase) / 90.0),
                                        60.0 + 120.0 * px / width_};
                const auto r = next();
                for (int c = 0; c < 3; ++c) {
                    const double n = (static_cast<double>((r >> (c * 16)) & 0xffff) / 65535.0 - 0.5) * 2 * noise;
                    p[c] = static_cast<unsigned char>(std::clamp(base[c] + n, 0.0, 255.0));
                }
            }
        unsigned char* out = nullptr;
        unsigned long size = 0;
        if (tjCompress2(tj_, rgb_.data(), width_, 0, height_, TJPF_RGB, &out, &size, TJSAMP_420, kQuality, 0) != 0)
            throw std::runtime_error("tjCompress2 failed");
        std::string bytes(reinterpret_cast<char*>(out), size);
        tjFree(out);
        return bytes;
    }

private:
    const int width_;
    const int height_;
    tjhandle tj_;
    std::vector<unsigned char> rgb_;
};

}  // namespace

std::vector<std::string> make_jpeg_pool(std::size_t count, std::size_t target_bytes, int width, int height) {
    Encoder enc(width, height);
    // Bisect the noise amplitude until one image lands within 5 % of the target size.
    double lo = 0, hi = 128, noise = 16;
    for (int i = 0; i < 16; ++i) {
        noise = (lo + hi) / 2;
        const auto size = enc.make(1, noise).size();
        if (size > target_bytes * 105 / 100)
            hi = noise;
        else if (size < target_bytes * 95 / 100)
            lo = noise;
        else
            break;
    }
    std::vector<std::string> pool;
    pool.reserve(count);
    for (std::size_t i = 0; i < count; ++i) pool.push_back(enc.make(1000 + i, noise));
    return pool;
}

}  // namespace civic::load
