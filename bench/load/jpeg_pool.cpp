#include "bench/load/jpeg_pool.hpp"

#include <turbojpeg.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace civic::load {

namespace {

// A smooth scene (gradients, as sky and walls), a coarse pattern of lighter and darker patches
// drawn anew for each image (so that each is a different scene to the server's perceptual hash,
// as residents' photos of different problems are), plus sensor-like noise whose amplitude sets
// the compressed size; 1024x768 by default, a phone photo after the app's downscaling.
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
        // The scene is separable (a row term and a column term), so it costs two small tables per
        // image; the per-pixel work is one random number for the noise of three channels.
        const int phase = static_cast<int>(seed % 97);
        std::vector<double> col_g(static_cast<std::size_t>(width_)), col_b(col_g.size());
        for (int px = 0; px < width_; ++px) {
            col_g[static_cast<std::size_t>(px)] = 120.0 + 60.0 * std::sin((px + phase) / 90.0);
            col_b[static_cast<std::size_t>(px)] = 60.0 + 120.0 * px / width_;
        }
        // 12x9 patches, each offset by up to ±48 levels; one table lookup per pixel.
        constexpr int kPatchColumns = 12, kPatchRows = 9;
        std::array<int, kPatchColumns * kPatchRows> patch{};
        for (auto& v : patch) v = static_cast<int>(next() % 97) - 48;
        std::vector<int> patch_column(static_cast<std::size_t>(width_));
        for (int px = 0; px < width_; ++px) patch_column[static_cast<std::size_t>(px)] = px * kPatchColumns / width_;
        const int amplitude = static_cast<int>(noise);
        auto noisy = [amplitude](double base, std::uint64_t bits) {
            const int n =
                amplitude > 0 ? static_cast<int>(bits % static_cast<std::uint64_t>(2 * amplitude + 1)) - amplitude : 0;
            return static_cast<unsigned char>(std::clamp(static_cast<int>(base) + n, 0, 255));
        };
        for (int y = 0; y < height_; ++y) {
            const double row_r = 80.0 + 100.0 * y / height_;
            const int* patch_row = &patch[static_cast<std::size_t>(y * kPatchRows / height_ * kPatchColumns)];
            auto* p = &rgb_[static_cast<std::size_t>(y) * width_ * 3];
            for (int px = 0; px < width_; ++px, p += 3) {
                const auto r = next();
                const double shade = patch_row[patch_column[static_cast<std::size_t>(px)]];
                p[0] = noisy(row_r + shade, r & 0xffff);
                p[1] = noisy(col_g[static_cast<std::size_t>(px)] + shade, (r >> 16) & 0xffff);
                p[2] = noisy(col_b[static_cast<std::size_t>(px)] + shade, (r >> 32) & 0xffff);
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
