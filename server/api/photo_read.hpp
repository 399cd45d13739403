#pragma once
// Answering a photo read (GET /api/v1/photos/{id}[?variant=thumb], Open311 media), after the
// handler decided the caller may see it: 304 when If-None-Match holds the ETag; otherwise the
// object is opened (a store that is down → 503 + Retry-After) and streamed from the store in
// chunks of store::kPhotoReadChunkBytes, whole (200) or one `Range` of it (206; 416 past its
// end). docs/photos.md §7.
#include "server/api/context.hpp"
#include "server/http/message.hpp"
#include "server/http/router.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>

namespace civic::api {

struct PhotoToServe {
    std::string name;              // the store's object name (store::original_file_name …)
    std::uint64_t known_size = 0;  // the row's byte count of an original; 0: the store's (thumbnails)
    std::string content_type;
    std::string etag;  // strong, quoted
    std::string cache_control;
};

// `render_error` renders the 416 in the route's API family (native or Open311).
boost::asio::awaitable<http::Response> serve_photo(AppContext& ctx, const http::Request& req, PhotoToServe photo,
                                                   const http::ErrorRenderer& render_error);

}  // namespace civic::api
