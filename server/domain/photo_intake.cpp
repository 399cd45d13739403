#include "server/domain/photo_intake.hpp"

#include "server/domain/photo_decode_gate.hpp"

#include "common/crypto.hpp"
#include "server/media/media_result.hpp"
#include "server/media/photo.hpp"
#include "server/store/offload.hpp"
#include "server/store/photo_files.hpp"

#include <exception>
#include <stdexcept>

namespace civic::domain {

CleanedPhoto clean_photo(std::string bytes, const std::function<std::unique_ptr<store::StagedFile>()>& stage) {
    CleanedPhoto c;
    // Staged on the first piece: the photo was checked whole by then (a PNG: its header), so
    // bytes that are no image are a 415 even while the store is down.
    std::exception_ptr stage_failure;
    const auto sink = [&](std::string_view piece) {
        if (!c.original) {
            try {
                c.original = stage();
            } catch (...) {
                stage_failure = std::current_exception();
                return false;
            }
        }
        return c.original->append(piece);
    };
    auto processed = photo::process_to(bytes, sink, photo::Limits{});
    bytes = std::string();  // the upload's copy is not needed past here
    if (stage_failure) std::rethrow_exception(stage_failure);
    if (!processed) {
        if (processed.error().status == 503 && c.original) c.original->finish();  // throws the disk's error
        throw to_api_error(processed.error());
    }
    if (!c.original) throw std::logic_error("photo::process_to succeeded without writing a byte");
    auto& original = *c.original;
    original.finish();
    auto& p = processed.value();
    c.blob.sha256 = original.sha256_hex();
    c.blob.format = p.format;
    c.blob.width = p.width;
    c.blob.height = p.height;
    c.blob.bytes = static_cast<std::int64_t>(original.size());
    c.blob.dhash = static_cast<std::int64_t>(p.dhash);
    c.thumbnail_sha256 = crypto::sha256_hex(p.thumbnail_jpeg);
    c.thumbnail = std::move(p.thumbnail_jpeg);
    return c;
}

boost::asio::awaitable<store::PhotoBlobRow> clean_and_store_photo(store::PhotoStore& photos,
                                                                  boost::asio::thread_pool& blocking,
                                                                  PhotoSource source) {
    // The slot is held while the photo is decoded and cleaned, when it holds its upload bytes and
    // pixels; it is given back before the durable writes, so that the next photo's decode runs
    // while this one waits for its fsyncs. What is left then is the thumbnail and the staged
    // file's descriptor (its buffer is released by finish()): a few tens of KB per request.
    std::optional<PhotoDecodeGate::Slot> slot;
    if (auto* gate = photo_decode_gate()) slot.emplace(co_await gate->acquire());
    // The upload's bytes are the one copy held in memory; the cleaned original goes to a staged
    // file piece by piece as it is produced, hashed on the way, and the store takes the file.
    auto cleaned = co_await offload(blocking, [&] {
        auto bytes = source();
        if (!bytes) throw to_api_error(bytes.error());
        return clean_photo(std::move(bytes.value()), [&] { return photos.stage(); });
    });
    slot.reset();
    // Returns only when both are durable (fsync / acknowledged PUT).
    co_await photos.put_photo(store::thumbnail_file_name(cleaned.blob.sha256), cleaned.thumbnail,
                              cleaned.thumbnail_sha256,
                              store::original_file_name(cleaned.blob.sha256, cleaned.blob.format), *cleaned.original);
    co_return std::move(cleaned.blob);
}

}  // namespace civic::domain

namespace civic::domain {

boost::asio::awaitable<store::PhotoBlobRow> clean_and_store_photo(store::PhotoStore& photos,
                                                                  boost::asio::thread_pool& blocking,
                                                                  const std::string& bytes) {
    co_return co_await clean_and_store_photo(photos, blocking,
                                             [&bytes]() -> MediaResult<std::string> { return bytes; });
}

}  // namespace civic::domain
