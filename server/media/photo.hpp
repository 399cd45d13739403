#pragma once
// The photo pipeline (docs/photos.md): decides from the bytes alone whether an upload is a
// JPEG or PNG, refuses decompression bombs from the header, and yields the bytes to store
// without any metadata — an upright JPEG's own segments copied, a turned one rotated losslessly,
// a re-encoding only as the fallback (PNGs re-encoded) — with a thumbnail and a perceptual hash.
// Pure and reentrant: no global state, safe to call from any number of worker threads.
#include "server/media/media_result.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace civic::photo {

inline constexpr std::size_t kMaxInputBytes = 10u << 20;  // one photo part (API.md §4)
inline constexpr std::uint64_t kMaxPixels = 50'000'000;   // width × height, checked from the header
inline constexpr std::uint32_t kMaxSide = 20'000;         // pixels on either side
inline constexpr std::uint32_t kThumbnailLongSide = 320;  // pixels
inline constexpr int kStoredJpegQuality = 90;
inline constexpr int kThumbnailJpegQuality = 80;
// dHash distance at or below which the server treats two photos as the same scene and flags the
// later report for staff (docs/photos.md, section 5). It is what the hash-band index can find
// completely: hashes are cut into four 16-bit bands looked up exactly, and two hashes within 3
// bits share a band (pigeonhole). A larger threshold would be applied to some pairs and missed
// for others.
inline constexpr int kSamePhotoMaxDistance = 3;

struct Limits {
    std::size_t max_input_bytes = kMaxInputBytes;
    std::uint64_t max_pixels = kMaxPixels;
    std::uint32_t max_side = kMaxSide;
};

struct Processed {
    std::string format;       // "jpeg" or "png"
    std::string mime_type;    // "image/jpeg" or "image/png"
    std::string bytes;        // the cleaned image to store (and to hash with SHA-256); empty from process_to
    std::uint32_t width = 0;  // as displayed, after the EXIF orientation was applied
    std::uint32_t height = 0;
    std::string thumbnail_jpeg;  // long side ≤ kThumbnailLongSide
    std::uint32_t thumbnail_width = 0;
    std::uint32_t thumbnail_height = 0;
    std::uint64_t dhash = 0;  // 64-bit difference hash of the upright picture
};

// 415 unless `bytes` fully decode as a JPEG or PNG; 413 when larger than the limits (the
// dimensions are checked from the header, before any pixel memory is allocated).
// Deterministic: the same input gives the same output bytes.
MediaResult<Processed> process(std::string_view bytes, const Limits& limits = {});

// Receives the cleaned image in order, piece by piece; false when it cannot take it (a disk
// write failed).
using ByteSink = std::function<bool(std::string_view piece)>;

// As process, but the cleaned image goes to `sink` instead of Processed::bytes (left empty), so
// that it is never held whole in memory: an upright JPEG's kept segments are handed over as
// views of `bytes`, a PNG row by row as libpng writes it; only a rotated or re-encoded JPEG is
// handed over as one buffer, the library's. The whole file is checked before the first piece
// goes out, except for a PNG (written as it is read): on any error the sink may have received
// part of an image, which the caller discards. 503 `unavailable` when the sink refuses a piece.
MediaResult<Processed> process_to(std::string_view bytes, const ByteSink& sink, const Limits& limits = {});

// Number of differing bits between two dHashes (0..64).
int hamming(std::uint64_t a, std::uint64_t b) noexcept;

// The EXIF Orientation (1..8) of a JPEG, read from its first Exif APP1 segment; 1 when it has
// none or it cannot be read. Bounds-checked for hostile input.
int exif_orientation(std::string_view jpeg) noexcept;

}  // namespace civic::photo
