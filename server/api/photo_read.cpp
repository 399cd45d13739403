#include "server/api/photo_read.hpp"

#include "common/errors.hpp"
#include "server/http/byte_range.hpp"
#include "server/http/limits.hpp"
#include "server/store/photo_store.hpp"

#include <memory>
#include <stdexcept>

namespace civic::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;

static_assert(store::kPhotoReadChunkBytes <= http::limits::kStreamChunkBytes,
              "a store chunk must fit one write of a streamed response");

asio::awaitable<Response> serve_photo(AppContext& ctx, const Request& req, PhotoToServe photo,
                                      const http::ErrorRenderer& render_error) {
    Response r;
    r.header("ETag", photo.etag);
    r.header("Cache-Control", photo.cache_control);
    if (req.etag_matches(photo.etag)) {
        r.status = 304;
        r.content_type.clear();
        co_return r;
    }
    // Opened before the answer is chosen: its size decides a range, and a store that is down is a
    // 503 while nothing has been sent.
    std::shared_ptr<store::PhotoReader> reader = co_await ctx.photos->open(photo.name, photo.known_size);
    if (!reader) throw std::runtime_error("photo file missing from the store: " + photo.name);
    const auto size = reader->size();
    const auto decision = http::decide_range(req.header("range"), req.header("if-range"), photo.etag, size);
    if (decision.kind == http::RangeDecision::Kind::unsatisfiable) {
        auto refused = render_error(ApiError(416, "range_not_satisfiable",
                                             "the range starts past the photo's " + std::to_string(size) + " bytes"),
                                    req);
        refused.header("Content-Range", http::unsatisfiable_content_range(size));
        refused.header("Accept-Ranges", "bytes");
        co_return refused;
    }
    std::uint64_t first = 0;
    std::uint64_t length = size;
    if (decision.kind == http::RangeDecision::Kind::partial) {
        r.status = 206;
        r.header("Content-Range", http::content_range(decision.span));
        first = decision.span.first;
        length = decision.span.length();
    }
    r.header("Accept-Ranges", "bytes");
    r.content_type = std::move(photo.content_type);
    r.stream = http::StreamedBody{length, [reader, first, length](http::BodyWriter& out) -> asio::awaitable<void> {
                                      const store::PhotoChunkSink to_client = [&out](std::string_view chunk) {
                                          return out.write(chunk);
                                      };
                                      co_await reader->read(first, length, to_client);
                                  }};
    co_return r;
}

}  // namespace civic::api
