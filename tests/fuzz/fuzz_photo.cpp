// Fuzzes the photo validator (server/domain/photo.*): format sniffing, the header-only size
// checks, EXIF orientation, decoding, re-encoding, thumbnail and dHash. The pixel limit is
// lowered (see kLimits) so a decodable input stays cheap and a run covers many inputs.
// Input: the uploaded bytes.
//
// Properties beyond "no crash, no UB":
//  - refused → 413 or 415 only; accepted → "jpeg"/"png" with the matching MIME type, sides
//    within max_side, width × height within max_pixels, a non-empty stored image and a
//    thumbnail whose long side is at most kThumbnailLongSide and no larger than the photo;
//  - exif_orientation is always 1..8;
//  - deterministic: processing the same bytes twice gives the same bytes and hash;
//  - the stored re-encoding is itself accepted, with the same dimensions.
#include "fuzz_support.hpp"
#include "server/media/photo.hpp"

#include <algorithm>

using namespace civic;

namespace {
const photo::Limits kLimits{64 * 1024, 256 * 256, 1024};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const int orientation = photo::exif_orientation(bytes);
    FUZZ_CHECK(orientation >= 1 && orientation <= 8);

    const auto result = photo::process(bytes, kLimits);
    if (!result) {
        FUZZ_CHECK(result.error().status == 413 || result.error().status == 415);
        return 0;
    }
    const auto& p = result.value();
    FUZZ_CHECK((p.format == "jpeg" && p.mime_type == "image/jpeg") ||
               (p.format == "png" && p.mime_type == "image/png"));
    FUZZ_CHECK(p.width >= 1 && p.height >= 1 && p.width <= kLimits.max_side && p.height <= kLimits.max_side);
    FUZZ_CHECK(std::uint64_t{p.width} * p.height <= kLimits.max_pixels);
    FUZZ_CHECK(!p.bytes.empty() && !p.thumbnail_jpeg.empty());
    FUZZ_CHECK(std::max(p.thumbnail_width, p.thumbnail_height) <= photo::kThumbnailLongSide);
    FUZZ_CHECK(p.thumbnail_width >= 1 && p.thumbnail_width <= p.width);
    FUZZ_CHECK(p.thumbnail_height >= 1 && p.thumbnail_height <= p.height);

    const auto twice = photo::process(bytes, kLimits);
    FUZZ_CHECK(twice && twice.value().bytes == p.bytes && twice.value().dhash == p.dhash);

    photo::Limits roomy = kLimits;
    roomy.max_input_bytes = std::max<std::size_t>(roomy.max_input_bytes, p.bytes.size());
    const auto stored = photo::process(p.bytes, roomy);
    FUZZ_CHECK(stored && stored.value().width == p.width && stored.value().height == p.height);
    FUZZ_CHECK(stored.value().format == p.format);
    return 0;
}
