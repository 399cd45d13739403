#pragma once
// Integration-test support: a blocking WebSocket client of /api/v1/stream (API.md §4 "Push")
// with a read timeout, so that a missing message fails the test instead of hanging it.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <string>

namespace civic::test {

class StreamClient {
public:
    static constexpr int kReadTimeoutSeconds = 10;

    // `token` goes in the Authorization header; empty: none (the target may carry access_token).
    StreamClient(unsigned short port, const std::string& target, const std::string& token) : ws_(ioc_) {
        namespace beast = boost::beast;
        boost::asio::ip::tcp::resolver resolver(ioc_);
        boost::asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
        timeval tv{kReadTimeoutSeconds, 0};
        ::setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ws_.set_option(beast::websocket::stream_base::decorator([token](beast::websocket::request_type& req) {
            if (!token.empty()) req.set(beast::http::field::authorization, "Bearer " + token);
        }));
        ws_.handshake("127.0.0.1", target);
    }
    // The next event; throws when none comes within the timeout.
    nlohmann::json next() {
        boost::beast::flat_buffer buffer;
        ws_.read(buffer);
        return nlohmann::json::parse(boost::beast::buffers_to_string(buffer.data()));
    }

private:
    boost::asio::io_context ioc_;
    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
};

}  // namespace civic::test
