#include "server/domain/photo_decode_gate.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace civic::domain {

namespace {
std::atomic<PhotoDecodeGate*> g_gate{nullptr};
}

PhotoDecodeGate::PhotoDecodeGate(boost::asio::any_io_executor executor, std::size_t slots)
    : slots_(std::max<std::size_t>(1, slots)), tokens_(std::move(executor), slots_) {}

PhotoDecodeGate::Slot::~Slot() {
    if (!gate_) return;
    gate_->active_.fetch_sub(1, std::memory_order_relaxed);
    gate_->tokens_.try_receive([](boost::system::error_code) {});
}

boost::asio::awaitable<PhotoDecodeGate::Slot> PhotoDecodeGate::acquire() {
    waiting_.fetch_add(1, std::memory_order_relaxed);
    struct Waiting {
        std::atomic<std::int64_t>& n;
        ~Waiting() { n.fetch_sub(1, std::memory_order_relaxed); }
    } waiting{waiting_};
    co_await tokens_.async_send(boost::system::error_code{}, boost::asio::use_awaitable);
    active_.fetch_add(1, std::memory_order_relaxed);
    co_return Slot(this);
}

void set_photo_decode_gate(PhotoDecodeGate* gate) { g_gate.store(gate); }
PhotoDecodeGate* photo_decode_gate() { return g_gate.load(); }

}  // namespace civic::domain
