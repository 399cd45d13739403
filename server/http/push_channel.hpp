#pragma once
// The outbox of one WebSocket subscriber: publishers on any thread offer messages without
// blocking; the connection's coroutine takes them in order. The buffer is bounded: a subscriber
// too slow to read is dropped (the channel closes and its connection ends) rather than letting
// its backlog grow without bound.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace civic::http {

class PushChannel {
public:
    static constexpr std::size_t kMaxQueuedMessages = 256;

    explicit PushChannel(boost::asio::any_io_executor executor, std::size_t capacity = kMaxQueuedMessages)
        : channel_(std::move(executor), capacity) {}

    // Thread-safe, never blocks. False when the subscriber is gone or its buffer is full; in the
    // latter case the channel closes and the subscriber is dropped.
    bool offer(std::string message) {
        if (!channel_.is_open()) return false;
        if (channel_.try_send(boost::system::error_code{}, std::move(message))) return true;
        channel_.close();
        return false;
    }

    // The next message; nullopt once the channel is closed.
    boost::asio::awaitable<std::optional<std::string>> next() {
        auto [ec, message] = co_await channel_.async_receive(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) co_return std::nullopt;
        co_return std::move(message);
    }

    void close() { channel_.close(); }

private:
    boost::asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)> channel_;
};

}  // namespace civic::http
