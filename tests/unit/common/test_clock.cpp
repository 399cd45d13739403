#include "common/clock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <thread>
#include <vector>

using civic::Clock;

TEST(Clock, RealClockCloseToTime) {
    Clock c;
    EXPECT_FALSE(c.override_value().has_value());
    auto before = static_cast<std::int64_t>(std::time(nullptr));
    auto now = c.now();
    auto after = static_cast<std::int64_t>(std::time(nullptr));
    EXPECT_GE(now, before - 1);
    EXPECT_LE(now, after + 1);
}

TEST(Clock, OverrideSetsAndClears) {
    Clock c;
    c.set_override(1'795'334'400);
    EXPECT_EQ(c.now(), 1'795'334'400);
    EXPECT_EQ(c.override_value(), 1'795'334'400);
    c.set_override(0);  // the epoch itself is a valid pin
    EXPECT_EQ(c.now(), 0);
    EXPECT_EQ(c.override_value(), 0);
    c.set_override(-5);
    EXPECT_EQ(c.now(), -5);
    c.set_override(std::nullopt);
    EXPECT_FALSE(c.override_value().has_value());
    EXPECT_GT(c.now(), 1'700'000'000);
}

TEST(Clock, ConcurrentSetAndRead) {
    Clock c;
    std::atomic<bool> stop{false};
    std::atomic<long> bad{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&] {
            while (!stop.load()) {
                auto v = c.now();
                // Either a pinned value we wrote (1000..1999) or the real time.
                if (!((v >= 1000 && v < 2000) || v > 1'700'000'000)) bad.fetch_add(1);
                auto o = c.override_value();
                if (o && (*o < 1000 || *o >= 2000)) bad.fetch_add(1);
            }
        });
    }
    std::thread writer([&] {
        for (int i = 0; i < 20000; ++i) {
            if (i % 3 == 0)
                c.set_override(std::nullopt);
            else
                c.set_override(1000 + i % 1000);
        }
    });
    writer.join();
    stop.store(true);
    for (auto& r : readers) r.join();
    EXPECT_EQ(bad.load(), 0);
}

// Several nodes: the shared row's setting is applied in version order, whatever order it is read in.
TEST(Clock, SharedOverrideNeverGoesBackToAnOlderVersion) {
    Clock c;
    c.apply_shared_override(5000, 2);
    EXPECT_EQ(c.now(), 5000);
    c.apply_shared_override(4000, 1);  // a poll that read the row before version 2 was written
    EXPECT_EQ(c.now(), 5000);
    c.apply_shared_override(5000, 2);  // the same version again (notification, then poll)
    EXPECT_EQ(c.now(), 5000);
    c.apply_shared_override(std::nullopt, 3);
    EXPECT_FALSE(c.override_value().has_value());
    c.apply_shared_override(6000, 2);
    EXPECT_FALSE(c.override_value().has_value());
}
