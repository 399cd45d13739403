#include "server/media/scene.hpp"

#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

namespace civic::scene {

namespace {

struct Rgb {
    int r, g, b;
};

class Rng {
public:
    explicit Rng(std::uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
    std::uint64_t next() {  // splitmix64
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
    int range(int lo, int hi) { return lo + static_cast<int>(uniform() * (hi - lo + 1)); }

private:
    std::uint64_t s_;
};

class Canvas {
public:
    Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<std::size_t>(w * h * 3), 0) {}
    int width() const { return w_; }
    int height() const { return h_; }
    void set(int x, int y, Rgb c) {
        if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
        auto* p = &px_[static_cast<std::size_t>((y * w_ + x) * 3)];
        p[0] = static_cast<unsigned char>(std::clamp(c.r, 0, 255));
        p[1] = static_cast<unsigned char>(std::clamp(c.g, 0, 255));
        p[2] = static_cast<unsigned char>(std::clamp(c.b, 0, 255));
    }
    void rect(int x0, int y0, int x1, int y1, Rgb c) {
        for (int y = std::max(0, y0); y < std::min(h_, y1); ++y)
            for (int x = std::max(0, x0); x < std::min(w_, x1); ++x) set(x, y, c);
    }
    void ellipse(double cx, double cy, double rx, double ry, Rgb c) {
        for (int y = static_cast<int>(cy - ry); y <= static_cast<int>(cy + ry); ++y)
            for (int x = static_cast<int>(cx - rx); x <= static_cast<int>(cx + rx); ++x) {
                const double dx = (x - cx) / rx, dy = (y - cy) / ry;
                if (dx * dx + dy * dy <= 1.0) set(x, y, c);
            }
    }
    void line(double x0, double y0, double x1, double y1, int thick, Rgb c) {
        const int n = static_cast<int>(std::max(std::abs(x1 - x0), std::abs(y1 - y0))) + 1;
        for (int i = 0; i <= n; ++i) {
            const double t = static_cast<double>(i) / n;
            rect(static_cast<int>(x0 + (x1 - x0) * t) - thick / 2, static_cast<int>(y0 + (y1 - y0) * t) - thick / 2,
                 static_cast<int>(x0 + (x1 - x0) * t) + (thick + 1) / 2,
                 static_cast<int>(y0 + (y1 - y0) * t) + (thick + 1) / 2, c);
        }
    }
    // Sensor-like noise, so that the picture compresses like a photo rather than a drawing.
    void grain(Rng& rng, int amount) {
        for (auto& v : px_) v = static_cast<unsigned char>(std::clamp(v + rng.range(-amount, amount), 0, 255));
    }
    std::string jpeg(int quality) const {
        std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitCompress(), tjDestroy);
        if (!tj) throw std::runtime_error("tjInitCompress failed");
        unsigned char* out = nullptr;
        unsigned long size = 0;
        if (tjCompress2(tj.get(), px_.data(), w_, 0, h_, TJPF_RGB, &out, &size, TJSAMP_420, quality, 0) != 0) {
            tjFree(out);
            throw std::runtime_error("tjCompress2 failed");
        }
        std::string bytes(reinterpret_cast<const char*>(out), size);
        tjFree(out);
        return bytes;
    }

private:
    int w_, h_;
    std::vector<unsigned char> px_;
};

Rgb mix(Rgb a, Rgb b, double t) {
    return {static_cast<int>(a.r + (b.r - a.r) * t), static_cast<int>(a.g + (b.g - a.g) * t),
            static_cast<int>(a.b + (b.b - a.b) * t)};
}

}  // namespace

std::string draw_street_jpeg(std::uint64_t seed, int kind, bool fixed, int width, int height, std::uint64_t variant) {
    Rng rng(seed);
    Canvas c(width, height);
    const int horizon = height * rng.range(38, 48) / 100;
    const int pavement_top = height * rng.range(62, 68) / 100;
    const int road_top = height * rng.range(74, 80) / 100;
    // Sky: morning blue, noon haze or evening orange.
    const Rgb skies[][2] = {
        {{90, 150, 220}, {190, 215, 240}}, {{160, 180, 200}, {220, 225, 230}}, {{70, 90, 160}, {240, 170, 110}}};
    const auto& sky = skies[rng.range(0, 2)];
    for (int y = 0; y < horizon; ++y) c.rect(0, y, width, y + 1, mix(sky[0], sky[1], static_cast<double>(y) / horizon));
    c.rect(0, horizon, width, pavement_top, mix(sky[1], {120, 120, 125}, 0.5));  // haze behind the buildings
    // Buildings with windows.
    for (int x = -rng.range(0, 40); x < width;) {
        const int w = rng.range(50, 120), top = horizon - rng.range(20, horizon - 10);
        const Rgb wall{rng.range(150, 230), rng.range(130, 210), rng.range(110, 190)};
        c.rect(x, top, x + w, pavement_top, wall);
        const Rgb glass{rng.range(40, 90), rng.range(60, 110), rng.range(90, 140)};
        for (int wy = top + 8; wy + 10 < pavement_top - 6; wy += 18)
            for (int wx = x + 6; wx + 10 < x + w - 4; wx += 16) c.rect(wx, wy, wx + 9, wy + 11, glass);
        x += w + rng.range(0, 6);
    }
    // Pavement tiles and the road with its lane marks.
    const Rgb tile{rng.range(170, 200), rng.range(160, 185), rng.range(140, 165)};
    c.rect(0, pavement_top, width, road_top, tile);
    for (int x = 0; x < width; x += 24) c.line(x, pavement_top, x - 12, road_top, 1, mix(tile, {90, 90, 90}, 0.4));
    c.rect(0, road_top, width, height, {rng.range(70, 95), rng.range(70, 95), rng.range(75, 100)});
    for (int x = rng.range(0, 40); x < width; x += 90)
        c.rect(x, (road_top + height) / 2 - 2, x + 45, (road_top + height) / 2 + 3, {235, 235, 225});

    const double px = width * (0.25 + 0.5 * rng.uniform());
    const int kinds = ((kind % kProblemKinds) + kProblemKinds) % kProblemKinds;
    switch (kinds) {
        case 0:  // garbage heaped on the pavement, swept away afterwards
            if (!fixed)
                for (int i = 0; i < 14; ++i)
                    c.ellipse(px + rng.range(-45, 45), pavement_top + rng.range(0, road_top - pavement_top),
                              rng.range(8, 22), rng.range(6, 14),
                              {rng.range(40, 120), rng.range(60, 110), rng.range(20, 70)});
            else
                c.rect(static_cast<int>(px) - 10, pavement_top - 30, static_cast<int>(px) + 14, road_top - 4,
                       {40, 120, 70});  // a new bin
            break;
        case 1: {  // a manhole in the road: open, then covered
            const double cy = (road_top + height) / 2.0 + 12;
            if (!fixed) {
                c.ellipse(px, cy, 34, 12, {15, 15, 18});
                c.ellipse(px + 50, cy + 4, 20, 7, {110, 105, 100});  // the broken cover beside it
            } else {
                c.ellipse(px, cy, 34, 12, {105, 105, 110});
                for (int i = -2; i <= 2; ++i) c.line(px - 28, cy + i * 4, px + 28, cy + i * 4, 1, {80, 80, 85});
            }
            break;
        }
        case 2:  // a car parked on the pavement, gone afterwards
            if (!fixed) {
                const Rgb body{rng.range(60, 220), rng.range(20, 80), rng.range(20, 200)};
                c.rect(static_cast<int>(px) - 70, pavement_top - 10, static_cast<int>(px) + 70, road_top - 8, body);
                c.rect(static_cast<int>(px) - 45, pavement_top - 38, static_cast<int>(px) + 40, pavement_top - 10,
                       mix(body, {200, 220, 240}, 0.6));
                c.ellipse(px - 45, road_top - 8, 13, 13, {20, 20, 20});
                c.ellipse(px + 45, road_top - 8, 13, 13, {20, 20, 20});
            }
            break;
        case 3:  // posters on a pole, scraped off afterwards
            c.rect(static_cast<int>(px) - 4, horizon - 60, static_cast<int>(px) + 5, road_top, {90, 90, 95});
            if (!fixed)
                for (int i = 0; i < 7; ++i) {
                    const int y = horizon - 40 + i * 16 + rng.range(-3, 3);
                    c.rect(static_cast<int>(px) - rng.range(10, 18), y, static_cast<int>(px) + rng.range(10, 18),
                           y + 12, {rng.range(180, 255), rng.range(60, 255), rng.range(40, 200)});
                }
            break;
        case 4:  // a street light: dark, then lit
            c.rect(static_cast<int>(px) - 3, horizon - 70, static_cast<int>(px) + 4, road_top, {70, 75, 80});
            c.rect(static_cast<int>(px), horizon - 72, static_cast<int>(px) + 40, horizon - 66, {70, 75, 80});
            c.ellipse(px + 38, horizon - 62, 12, 6, fixed ? Rgb{255, 240, 170} : Rgb{45, 45, 50});
            if (fixed)
                for (int r = 1; r < 6; ++r)
                    c.ellipse(px + 38, horizon - 50 + r * 10, 10 + r * 8, 4, mix({255, 240, 170}, tile, r / 6.0));
            break;
        default:  // broken paving: cracked, missing tiles, then relaid
            if (!fixed) {
                for (int i = 0; i < 5; ++i) {
                    const int x = static_cast<int>(px) + rng.range(-60, 50),
                              y = pavement_top + rng.range(2, road_top - pavement_top - 14);
                    c.rect(x, y, x + 22, y + 12, {95, 80, 60});
                }
                for (int i = 0; i < 4; ++i)
                    c.line(px + rng.range(-70, 70), pavement_top + 2, px + rng.range(-70, 70), road_top - 2, 2,
                           {60, 55, 50});
            } else {
                c.rect(static_cast<int>(px) - 60, pavement_top + 2, static_cast<int>(px) + 72, road_top - 2,
                       mix(tile, {255, 255, 255}, 0.15));
            }
            break;
    }
    Rng grain(seed ^ (variant * 0x2545F4914F6CDD1Dull) ^ (fixed ? 0x5851F42D4C957F2Dull : 0));
    c.grain(grain, 6);
    return c.jpeg(85);
}

}  // namespace civic::scene
