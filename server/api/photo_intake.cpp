#include "server/api/photo_intake.hpp"

#include "common/errors.hpp"
#include "common/json.hpp"
#include "server/domain/photo_intake.hpp"
#include "server/media/multipart.hpp"

#include <filesystem>

namespace civic::api {

namespace {
std::string_view content_type_of(const http::Request& req) { return req.header("content-type").value_or(""); }
}  // namespace

bool is_multipart(const http::Request& req) {
    const auto type = content_type_of(req);
    constexpr std::string_view kPrefix = "multipart/form-data";
    return type.size() >= kPrefix.size() &&
           std::equal(kPrefix.begin(), kPrefix.end(), type.begin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

namespace {
// The parts: already parsed by the connection while it read the body (routes that stream
// multipart), or parsed here from the buffered body.
std::vector<MultipartPart> parts_of(http::Request& req) {
    if (req.parts) return std::move(*req.parts);
    auto boundary = multipart_boundary(content_type_of(req));
    if (!boundary) throw to_api_error(boundary.error());
    MultipartParser parser(boundary.value(), MultipartLimits::report_intake());
    if (auto error = parser.feed(req.body)) throw to_api_error(*error);
    if (auto error = parser.finish()) throw to_api_error(*error);
    return parser.take_parts();
}
}  // namespace

Upload read_upload(http::Request& req) {
    Upload upload;
    bool have_meta = false;
    for (auto& part : parts_of(req)) {
        if (part.name == "meta") {
            if (have_meta) throw ApiError::bad_request("more than one meta part");
            auto meta = jsonutil::parse(part.data);
            if (!meta || !meta->is_object()) throw ApiError::bad_request("the meta part must be a JSON object");
            upload.meta = std::move(*meta);
            have_meta = true;
        } else if (part.name == "photo") {
            upload.photos.push_back(std::move(part));
        } else if (part.name == "after") {
            upload.after_photos.push_back(std::move(part));
        } else {
            throw ApiError::bad_request("unexpected part: only meta, photo and after parts are accepted");
        }
    }
    if (!have_meta) throw ApiError::bad_request("the meta part is missing");
    return upload;
}

boost::asio::awaitable<std::vector<store::PhotoBlobRow>> store_photos(AppContext& ctx,
                                                                      const std::vector<MultipartPart>& photos) {
    std::vector<store::PhotoBlobRow> blobs;
    // One photo at a time, each read back from its spool file only inside its decode slot.
    for (const auto& part : photos)
        blobs.push_back(
            co_await domain::clean_and_store_photo(*ctx.photos, ctx.blocking_pool, [&part] { return part.bytes(); }));
    co_return blobs;
}

}  // namespace civic::api
