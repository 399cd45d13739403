#include "server/api/photo_intake.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "common/json.hpp"
#include "server/media/photo.hpp"
#include "server/media/multipart.hpp"
#include "server/store/offload.hpp"
#include "server/store/photo_files.hpp"
#include "server/store/photo_store.hpp"

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
            upload.photos.push_back(std::move(part.data));
        } else {
            throw ApiError::bad_request("unexpected part: only meta and photo parts are accepted");
        }
    }
    if (!have_meta) throw ApiError::bad_request("the meta part is missing");
    return upload;
}

boost::asio::awaitable<std::vector<store::PhotoBlobRow>> store_photos(AppContext& ctx,
                                                                      const std::vector<std::string>& photos) {
    std::vector<store::PhotoBlobRow> blobs;
    // One photo at a time: its cleaned bytes and thumbnail are the only copies held besides the
    // upload, and they are handed to the store without another copy.
    for (const auto& bytes : photos) {
        struct Cleaned {
            store::PhotoBlobRow blob;
            std::string original;
            std::string thumbnail;
            std::string thumbnail_sha256;
        };
        auto cleaned = co_await offload(ctx.blocking_pool, [&] {
            auto processed = photo::process(bytes, photo::Limits{});
            if (!processed) throw to_api_error(processed.error());
            auto& p = processed.value();
            Cleaned c;
            c.blob.sha256 = crypto::sha256_hex(p.bytes);
            c.blob.format = p.format;
            c.blob.width = p.width;
            c.blob.height = p.height;
            c.blob.bytes = static_cast<std::int64_t>(p.bytes.size());
            c.blob.dhash = static_cast<std::int64_t>(p.dhash);
            c.thumbnail_sha256 = crypto::sha256_hex(p.thumbnail_jpeg);
            c.original = std::move(p.bytes);
            c.thumbnail = std::move(p.thumbnail_jpeg);
            return c;
        });
        // The thumbnail first: once the original exists the pair is complete. Each put returns
        // only when the bytes are durable (fsync / acknowledged PUT); a failing store is 503.
        co_await ctx.photos->put(store::thumbnail_file_name(cleaned.blob.sha256), cleaned.thumbnail,
                                 cleaned.thumbnail_sha256);
        co_await ctx.photos->put(store::original_file_name(cleaned.blob.sha256, cleaned.blob.format), cleaned.original,
                                 cleaned.blob.sha256);
        blobs.push_back(std::move(cleaned.blob));
    }
    co_return blobs;
}

}  // namespace civic::api
