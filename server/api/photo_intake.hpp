#pragma once
// Uploads (API.md §4): a multipart/form-data body with a JSON `meta` part and `photo` parts;
// each photo is checked and cleaned by its content (domain/photo), then stored durably in the
// content-addressed photo store before any row that refers to it is written.
#include "server/api/context.hpp"
#include "server/http/message.hpp"
#include "server/media/multipart.hpp"
#include "server/store/reports_repo.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace civic::api {

struct Upload {
    nlohmann::json meta;                      // the `meta` part, a JSON object
    std::vector<MultipartPart> photos;        // the `photo` parts, in order (spooled to disk when streamed)
    std::vector<MultipartPart> after_photos;  // `after` parts: a self-handled report's result (自行处置)
};

bool is_multipart(const http::Request& req);
// 400 bad_request for a malformed body or meta; 413 for a part over its limit.
Upload read_upload(http::Request& req);  // takes the parts the connection parsed

// Decodes, cleans and stores each photo, read from its spool file inside a decode slot (and its thumbnail) on the
// worker pool. 415 for a part that is not a decodable JPEG/PNG; 413 beyond the pixel limit.
boost::asio::awaitable<std::vector<store::PhotoBlobRow>> store_photos(AppContext& ctx,
                                                                      const std::vector<MultipartPart>& photos);

}  // namespace civic::api
