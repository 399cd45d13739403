#pragma once
// The request and response as handlers see them: plain values, no Beast types, so the api/
// layer compiles fast and can be tested without a socket.
#include "common/percent.hpp"
#include "server/media/multipart.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace civic::http {

struct Request {
    std::string method;                                        // "GET", "POST", …
    std::string target;                                        // as sent: path + "?" + query
    std::string path;                                          // percent-decoded path
    std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::vector<std::pair<std::string, std::string>> params;   // path parameters by name
    std::string body;
    // For routes that stream multipart bodies: the parts, parsed (and limited) while the body
    // was read; `body` stays empty then.
    std::optional<std::vector<MultipartPart>> parts;
    std::string remote_address;
    bool secure = false;  // arrived on the TLS listener (for absolute URLs in responses)
    std::string request_id;

    std::optional<std::string_view> header(std::string_view lower_name) const;
    // True when If-None-Match lists `etag` (a quoted strong tag) or is "*": answer 304. W/
    // prefixes compare weakly, as RFC 9110 allows for If-None-Match.
    bool etag_matches(std::string_view etag) const;
    std::optional<std::string_view> query_param(std::string_view name) const;
    // A typed path parameter the router already validated ("{id:int}").
    std::int64_t param_int(std::string_view name) const;
    std::string_view param(std::string_view name) const;
};

// Where a streamed body goes: the connection, which sends the response's header with the first
// chunk (or at the end, for an empty body).
class BodyWriter {
public:
    virtual ~BodyWriter() = default;
    // Sends `chunk` (at most limits::kStreamChunkBytes). False when the client is gone or too
    // slow, or the chunk would overrun the declared length: stop producing then.
    virtual boost::asio::awaitable<bool> write(std::string_view chunk) = 0;
    // True once the header has gone: from then on a failure can only close the connection.
    virtual bool started() const = 0;
};

// A body produced while it is sent, in bounded chunks, instead of held whole (photo reads).
// `length` is the Content-Length, known before a byte is produced. The server calls `produce`
// once, after the handler returned, and only for GET (a HEAD gets the header alone):
// - an exception before the first write is answered like a handler's (503 + Retry-After for a
//   store that is down), since nothing has been sent yet;
// - an exception after it, or fewer than `length` bytes written, closes the connection: the
//   client sees a body shorter than its Content-Length, never a wrong one.
struct StreamedBody {
    std::uint64_t length = 0;
    std::function<boost::asio::awaitable<void>(BodyWriter&)> produce;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<StreamedBody> stream;  // set: the body is streamed and `body` stays empty

    Response& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

using StringPairs = std::vector<std::pair<std::string, std::string>>;

// Refills a vector of string pairs in order, reusing the strings already in it and their heap
// buffers, so that a connection's Request (kept from one request to the next) allocates nothing
// once its strings have grown. When the writer goes, the vector holds exactly what was added.
class PairWriter {
public:
    explicit PairWriter(StringPairs& pairs) : pairs_(pairs) {}
    PairWriter(const PairWriter&) = delete;
    PairWriter& operator=(const PairWriter&) = delete;
    ~PairWriter() { pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(used_), pairs_.end()); }

    // The next pair, to be assigned (its strings hold a previous request's text).
    std::pair<std::string, std::string>& next() {
        if (used_ == pairs_.size()) pairs_.emplace_back();
        return pairs_[used_++];
    }
    void add(std::string_view first, std::string_view second) {
        auto& pair = next();
        pair.first.assign(first);
        pair.second.assign(second);
    }

private:
    StringPairs& pairs_;
    std::size_t used_ = 0;
};

// Splits and percent-decodes "a=1&b=x%20y"; nullopt when an escape is malformed.
std::optional<StringPairs> parse_query(std::string_view query, bool plus_is_space = true);
// The same into `out`, reusing its strings (PairWriter); false when an escape is malformed.
bool parse_query_into(std::string_view query, bool plus_is_space, StringPairs& out);
using civic::percent_decode;  // common/percent.hpp

}  // namespace civic::http
