#pragma once
// The bound on photos being decoded, cleaned and stored at once (docs/architecture.md, "Memory
// under load"). Each slot holds one photo's upload bytes, its pixels (at most photo::kMaxPixels ×
// 4 bytes, twice while it is turned upright) and its cleaned copy, so slots × that is the
// decoder's memory ceiling; sized to the cores by default (--photo-decodes) it also keeps photo
// work to as many threads of the blocking pool as there are cores, leaving the rest of the pool
// to database reads and writes, which therefore never queue behind photos.
//
// Waiting is asynchronous: a request waiting for a slot holds no thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace civic::domain {

class PhotoDecodeGate {
public:
    PhotoDecodeGate(boost::asio::any_io_executor executor, std::size_t slots);

    // Held while alive; the slot goes to the next waiter when it is dropped.
    class Slot {
    public:
        explicit Slot(PhotoDecodeGate* gate) : gate_(gate) {}
        Slot(Slot&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
        Slot& operator=(Slot&&) = delete;
        ~Slot();

    private:
        PhotoDecodeGate* gate_;
    };
    boost::asio::awaitable<Slot> acquire();

    std::size_t slots() const noexcept { return slots_; }
    std::int64_t active() const noexcept { return active_.load(std::memory_order_relaxed); }
    std::int64_t waiting() const noexcept { return waiting_.load(std::memory_order_relaxed); }

private:
    std::size_t slots_;
    // A token per slot in use: a send waits while all slots are taken, a receive frees one.
    boost::asio::experimental::concurrent_channel<void(boost::system::error_code)> tokens_;
    std::atomic<std::int64_t> active_{0};
    std::atomic<std::int64_t> waiting_{0};
};

// The daemon's gate (set once by main before serving); null in tools and tests that make none:
// photos are then not gated.
void set_photo_decode_gate(PhotoDecodeGate* gate);
PhotoDecodeGate* photo_decode_gate();

}  // namespace civic::domain
