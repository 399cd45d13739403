#include "server/media/photo.hpp"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <array>
#include <bit>
#include <csetjmp>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace civic::photo {

namespace {

// ---------------------------------------------------------------------------------------------
// Pixels

// 8-bit interleaved RGB (3 channels) or RGBA (4 channels), rows packed.
struct Image {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    int channels = 3;
    std::unique_ptr<unsigned char[]> pixels;

    static Image allocate(std::uint32_t width, std::uint32_t height, int channels) {
        Image image{width, height, channels, nullptr};
        image.pixels = std::make_unique_for_overwrite<unsigned char[]>(image.byte_count());
        return image;
    }
    std::size_t row_bytes() const { return std::size_t{width} * static_cast<std::size_t>(channels); }
    std::size_t byte_count() const { return row_bytes() * height; }
    unsigned char* row(std::uint32_t y) { return pixels.get() + y * row_bytes(); }
    const unsigned char* row(std::uint32_t y) const { return pixels.get() + y * row_bytes(); }
};

MediaError not_an_image() { return MediaError::unsupported("photo is not a decodable JPEG or PNG"); }

std::optional<MediaError> check_dimensions(std::uint64_t width, std::uint64_t height, const Limits& limits) {
    if (width == 0 || height == 0) return not_an_image();
    if (width > limits.max_side || height > limits.max_side) {
        return MediaError::too_large("photo is larger than " + std::to_string(limits.max_side) + " pixels on a side");
    }
    if (width * height > limits.max_pixels) {
        return MediaError::too_large("photo has more than " + std::to_string(limits.max_pixels) + " pixels");
    }
    return std::nullopt;
}

// EXIF orientation → how output pixel (x, y) maps to the stored pixels: swap the axes first,
// then mirror along the source's x and/or y axis.
struct OrientationMapping {
    bool swap_axes;
    bool mirror_x;
    bool mirror_y;
};

constexpr std::array<OrientationMapping, 9> kOrientationMappings = {{
    {false, false, false},  // 0: unused
    {false, false, false},  // 1: upright
    {false, true, false},   // 2: mirrored horizontally
    {false, true, true},    // 3: rotated 180°
    {false, false, true},   // 4: mirrored vertically
    {true, false, false},   // 5: transposed
    {true, false, true},    // 6: rotate 90° clockwise to display
    {true, true, true},     // 7: transversed
    {true, true, false},    // 8: rotate 90° counter-clockwise to display
}};

// Output pixel (x, y) reads source byte offset origin + x·step_x + y·step_y: every EXIF
// orientation is an affine map. Copied in square tiles so that the rotations, which walk the
// source by columns, stay in cache.
template <int Channels>
void remap_tiled(const Image& source, Image& out, std::ptrdiff_t origin, std::ptrdiff_t step_x, std::ptrdiff_t step_y) {
    constexpr std::uint32_t kTile = 64;
    const unsigned char* base = source.pixels.get();
    for (std::uint32_t y0 = 0; y0 < out.height; y0 += kTile) {
        for (std::uint32_t x0 = 0; x0 < out.width; x0 += kTile) {
            const std::uint32_t y1 = std::min(out.height, y0 + kTile);
            const std::uint32_t x1 = std::min(out.width, x0 + kTile);
            for (std::uint32_t y = y0; y < y1; ++y) {
                unsigned char* dst = out.row(y) + std::size_t{x0} * Channels;
                const unsigned char* src = base + origin + std::ptrdiff_t{x0} * step_x + std::ptrdiff_t{y} * step_y;
                for (std::uint32_t x = x0; x < x1; ++x, dst += Channels, src += step_x) {
                    for (int c = 0; c < Channels; ++c) dst[c] = src[c];
                }
            }
        }
    }
}

Image apply_orientation(Image source, int orientation) {
    if (orientation <= 1 || orientation > 8) return source;
    const OrientationMapping m = kOrientationMappings[static_cast<std::size_t>(orientation)];
    Image out = Image::allocate(m.swap_axes ? source.height : source.width, m.swap_axes ? source.width : source.height,
                                source.channels);
    const auto pixel = static_cast<std::ptrdiff_t>(source.channels);
    const auto row = static_cast<std::ptrdiff_t>(source.row_bytes());
    // Source steps along its own x and y, and where output (0, 0) reads from.
    const std::ptrdiff_t along_x = m.mirror_x ? -pixel : pixel;
    const std::ptrdiff_t along_y = m.mirror_y ? -row : row;
    const std::ptrdiff_t origin = (m.mirror_x ? (std::ptrdiff_t{source.width} - 1) * pixel : 0) +
                                  (m.mirror_y ? (std::ptrdiff_t{source.height} - 1) * row : 0);
    const std::ptrdiff_t step_x = m.swap_axes ? along_y : along_x;  // output x walks source y when swapped
    const std::ptrdiff_t step_y = m.swap_axes ? along_x : along_y;
    if (source.channels == 4)
        remap_tiled<4>(source, out, origin, step_x, step_y);
    else
        remap_tiled<3>(source, out, origin, step_x, step_y);
    return out;
}

// Source range [begin, end) of output cell `i` when `source` pixels are shared among
// `cells`; never empty, so images smaller than the target still work.
std::pair<std::uint32_t, std::uint32_t> cell_range(std::uint32_t i, std::uint32_t cells, std::uint32_t source) {
    const auto begin = static_cast<std::uint32_t>(std::uint64_t{i} * source / cells);
    const auto end = static_cast<std::uint32_t>(std::uint64_t{i + 1} * source / cells);
    return {std::min(begin, source - 1), std::max(end, std::min(begin, source - 1) + 1)};
}

struct Size {
    std::uint32_t width;
    std::uint32_t height;
};

Size thumbnail_size(std::uint32_t width, std::uint32_t height) {
    const std::uint32_t long_side = std::max(width, height);
    if (long_side <= kThumbnailLongSide) return {width, height};
    const auto scale = [&](std::uint32_t side) {
        return std::max<std::uint32_t>(
            1, static_cast<std::uint32_t>((std::uint64_t{side} * kThumbnailLongSide + long_side / 2) / long_side));
    };
    return {scale(width), scale(height)};
}

// Area-average ("box filter") downscaling to an RGB image, fed one source row at a time so
// that a decoder can stream rows through it; RGBA is laid over white. Never enlarges: the
// target must not be larger than the source on either side.
class BoxDownscaler {
public:
    BoxDownscaler(Size source, int channels, Size target)
        : source_(source),
          channels_(channels),
          out_(Image::allocate(target.width, target.height, 3)),
          column_cell_(source.width),
          column_reciprocal_(target.width),
          sums_(std::size_t{target.width} * 3) {
        for (std::uint32_t tx = 0; tx < target.width; ++tx) {
            const auto [x0, x1] = cell_range(tx, target.width, source.width);
            for (std::uint32_t x = x0; x < x1; ++x) column_cell_[x] = tx;
            column_reciprocal_[tx] = 1.0 / (x1 - x0);
        }
    }

    void add_row(const unsigned char* row) {
        if (row_ >= source_.height) return;
        for (std::uint32_t x = 0; x < source_.width; ++x, row += channels_) {
            std::uint64_t* sum = &sums_[std::size_t{column_cell_[x]} * 3];
            if (channels_ == 4) {
                const unsigned alpha = row[3];
                for (int c = 0; c < 3; ++c) sum[c] += (row[c] * alpha + 255 * (255 - alpha) + 127) / 255;
            } else {
                for (int c = 0; c < 3; ++c) sum[c] += row[c];
            }
        }
        const auto [y0, y1] = cell_range(target_row_, out_.height, source_.height);
        if (++row_ == y1) emit_target_row(y1 - y0);
    }

    // The downscaled image, once every source row was added.
    Image take() { return std::move(out_); }

private:
    // The mean of each cell, by multiplying with reciprocals taken once: three 64-bit divisions
    // per thumbnail pixel were a third of a photo's processing time.
    void emit_target_row(std::uint32_t rows) {
        unsigned char* dst = out_.row(target_row_);
        const double row_reciprocal = 1.0 / rows;
        for (std::uint32_t tx = 0; tx < out_.width; ++tx) {
            const double scale = row_reciprocal * column_reciprocal_[tx];
            for (int c = 0; c < 3; ++c) {
                std::uint64_t& sum = sums_[std::size_t{tx} * 3 + static_cast<std::size_t>(c)];
                // A mean of bytes is at most 255; the clamp only guards the last bit of rounding.
                const double mean = static_cast<double>(sum) * scale + 0.5;
                dst[std::size_t{tx} * 3 + static_cast<std::size_t>(c)] =
                    static_cast<unsigned char>(std::min(mean, 255.0));
                sum = 0;
            }
        }
        ++target_row_;
    }

    Size source_;
    std::size_t channels_;
    Image out_;
    std::vector<std::uint32_t> column_cell_;  // target column of each source column
    std::vector<double> column_reciprocal_;   // 1 / source columns in each target column
    std::vector<std::uint64_t> sums_;         // RGB sums of the target row being filled
    std::uint32_t row_ = 0;                   // source rows added so far
    std::uint32_t target_row_ = 0;
};

// dHash: the picture in grey, shrunk to 9×8 cells; bit (8·row + column), counted from the
// most significant bit, is set when a cell is brighter than its right-hand neighbour.
std::uint64_t difference_hash(const Image& rgb) {
    constexpr std::uint32_t kColumns = 9;
    constexpr std::uint32_t kRows = 8;
    std::array<std::array<std::uint64_t, kColumns>, kRows> luma{};  // mean luma × 256
    for (std::uint32_t row = 0; row < kRows; ++row) {
        const auto [y0, y1] = cell_range(row, kRows, rgb.height);
        for (std::uint32_t column = 0; column < kColumns; ++column) {
            const auto [x0, x1] = cell_range(column, kColumns, rgb.width);
            std::uint64_t sum = 0;
            for (std::uint32_t y = y0; y < y1; ++y) {
                const unsigned char* p = rgb.row(y) + std::size_t{x0} * 3;
                for (std::uint32_t x = x0; x < x1; ++x, p += 3) sum += 77u * p[0] + 150u * p[1] + 29u * p[2];
            }
            luma[row][column] = sum / (std::uint64_t{y1 - y0} * (x1 - x0));
        }
    }
    std::uint64_t hash = 0;
    for (std::uint32_t row = 0; row < kRows; ++row) {
        for (std::uint32_t column = 0; column + 1 < kColumns; ++column) {
            hash = (hash << 1) | (luma[row][column] > luma[row][column + 1] ? 1u : 0u);
        }
    }
    return hash;
}

// ---------------------------------------------------------------------------------------------
// JPEG (TurboJPEG: its error handling stays inside the C library, no setjmp in our frames)

struct TjDestroy {
    void operator()(void* handle) const noexcept { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjDestroy>;

struct TjFree {
    void operator()(unsigned char* buffer) const noexcept { tjFree(buffer); }
};

// Warnings (premature end of data, corrupt entropy codes) are failures: a photo we keep
// must decode cleanly. LIMITSCANS refuses progressive files with absurd scan counts (CPU bombs).
constexpr int kStrictDecodeFlags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS | TJFLAG_ACCURATEDCT;

const unsigned char* as_bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

struct JpegHeader {
    int width = 0;
    int height = 0;
    int colorspace = 0;
};

std::optional<JpegHeader> read_jpeg_header(tjhandle decoder, std::string_view jpeg) {
    JpegHeader header;
    int subsampling = 0;
    if (tjDecompressHeader3(decoder, as_bytes(jpeg), jpeg.size(), &header.width, &header.height, &subsampling,
                            &header.colorspace) != 0) {
        return std::nullopt;
    }
    return header;
}

// Adobe CMYK JPEGs store inverted ink values: red = (255 - cyan) × (255 - black) / 255.
Image cmyk_to_rgb(const std::vector<unsigned char>& cmyk, std::uint32_t width, std::uint32_t height) {
    Image out = Image::allocate(width, height, 3);
    const unsigned char* src = cmyk.data();
    unsigned char* dst = out.pixels.get();
    for (std::size_t i = 0, n = std::size_t{width} * height; i < n; ++i, src += 4, dst += 3) {
        for (int c = 0; c < 3; ++c) dst[c] = static_cast<unsigned char>((src[c] * src[3] + 127) / 255);
    }
    return out;
}

// Decodes the whole JPEG at width × height (a supported DCT scaling of its real size).
std::optional<Image> decode_jpeg(tjhandle decoder, std::string_view jpeg, const JpegHeader& header, Size size) {
    const bool cmyk = header.colorspace == TJCS_CMYK || header.colorspace == TJCS_YCCK;
    if (cmyk) {
        std::vector<unsigned char> buffer(std::size_t{size.width} * size.height * 4);
        if (tjDecompress2(decoder, as_bytes(jpeg), jpeg.size(), buffer.data(), static_cast<int>(size.width), 0,
                          static_cast<int>(size.height), TJPF_CMYK, kStrictDecodeFlags) != 0) {
            return std::nullopt;
        }
        return cmyk_to_rgb(buffer, size.width, size.height);
    }
    Image image = Image::allocate(size.width, size.height, 3);
    if (tjDecompress2(decoder, as_bytes(jpeg), jpeg.size(), image.pixels.get(), static_cast<int>(size.width), 0,
                      static_cast<int>(size.height), TJPF_RGB, kStrictDecodeFlags) != 0) {
        return std::nullopt;
    }
    return image;
}

std::optional<std::string> encode_jpeg(const Image& rgb, int quality) {
    TjHandle encoder(tjInitCompress());
    if (!encoder) return std::nullopt;
    unsigned char* raw = nullptr;
    unsigned long size = 0;
    const int status =
        tjCompress2(encoder.get(), rgb.pixels.get(), static_cast<int>(rgb.width), 0, static_cast<int>(rgb.height),
                    TJPF_RGB, &raw, &size, TJSAMP_420, quality, TJFLAG_ACCURATEDCT);
    std::unique_ptr<unsigned char, TjFree> buffer(raw);
    if (status != 0) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(buffer.get()), size);
}

// The smallest DCT scaling (1/8 … 1/1) whose long side is still ≥ `min_long_side`.
Size scaled_size_at_least(int width, int height, std::uint32_t min_long_side) {
    int count = 0;
    const tjscalingfactor* factors = tjGetScalingFactors(&count);
    Size best{static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height)};
    for (int i = 0; factors && i < count; ++i) {
        const tjscalingfactor f = factors[i];
        if (f.num > f.denom) continue;  // enlarging
        const auto w = static_cast<std::uint32_t>(TJSCALED(width, f));
        const auto h = static_cast<std::uint32_t>(TJSCALED(height, f));
        if (std::max(w, h) >= min_long_side && std::max(w, h) < std::max(best.width, best.height)) best = {w, h};
    }
    return best;
}

struct Thumbnail {
    std::string jpeg;
    Size size;
    std::uint64_t dhash;
};

std::optional<Thumbnail> thumbnail_from_rows(Image small) {
    auto jpeg = encode_jpeg(small, kThumbnailJpegQuality);
    if (!jpeg) return std::nullopt;
    return Thumbnail{std::move(*jpeg), {small.width, small.height}, difference_hash(small)};
}

std::optional<Thumbnail> make_thumbnail(const Image& image) {
    BoxDownscaler box({image.width, image.height}, image.channels, thumbnail_size(image.width, image.height));
    for (std::uint32_t y = 0; y < image.height; ++y) box.add_row(image.row(y));
    return thumbnail_from_rows(box.take());
}

// The description of a cleaned image that went to the sink.
Processed finished(std::string format, Size size, Thumbnail thumbnail) {
    Processed p;
    p.mime_type = "image/" + format;
    p.format = std::move(format);
    p.width = size.width;
    p.height = size.height;
    p.thumbnail_jpeg = std::move(thumbnail.jpeg);
    p.thumbnail_width = thumbnail.size.width;
    p.thumbnail_height = thumbnail.size.height;
    p.dhash = thumbnail.dhash;
    return p;
}

// The lossless TurboJPEG transform that turns a picture with this EXIF Orientation upright.
constexpr std::array<int, 9> kUprightTransform = {TJXOP_NONE,   TJXOP_NONE,       TJXOP_HFLIP,
                                                  TJXOP_ROT180, TJXOP_VFLIP,      TJXOP_TRANSPOSE,
                                                  TJXOP_ROT90,  TJXOP_TRANSVERSE, TJXOP_ROT270};

// The upload's own DCT coefficients, turned upright and written out again with no marker but
// what a decoder needs (JFIF's APP0, the tables, the frame, the scans): EXIF, XMP, ICC, maker
// notes and comments are not copied. Nothing is decoded to pixels or re-quantised, so this costs
// a fraction of a decode and re-encode and loses no quality. nullopt when the transform would not
// be exact (a rotation or flip of a picture whose sides are not whole MCUs) or the library
// refuses the file; the caller then decodes and re-encodes.
std::optional<std::string> upright_without_metadata(std::string_view jpeg, int orientation) {
    TjHandle transformer(tjInitTransform());
    if (!transformer) return std::nullopt;
    tjtransform transform{};
    transform.op = kUprightTransform[static_cast<std::size_t>(orientation)];
    transform.options = TJXOPT_COPYNONE | TJXOPT_PERFECT;
    unsigned char* raw = nullptr;
    unsigned long size = 0;
    const int status = tjTransform(transformer.get(), as_bytes(jpeg), jpeg.size(), 1, &raw, &size, &transform,
                                   TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS);
    std::unique_ptr<unsigned char, TjFree> buffer(raw);
    if (status != 0) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(buffer.get()), size);
}

// JFIF APP0, version 1.01, no density, no thumbnail: tells decoders the 3 components are YCbCr.
constexpr std::string_view kJfifApp0{"\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18};

constexpr unsigned char kSoi = 0xD8, kEoi = 0xD9, kSos = 0xDA, kApp1 = 0xE1, kTem = 0x01;
constexpr bool is_metadata_marker(unsigned char m) { return (m >= 0xE0 && m <= 0xEF) || m == 0xFE; }  // APPn, COM
constexpr bool is_restart_marker(unsigned char m) { return m >= 0xD0 && m <= 0xD7; }

// One marker segment of a JPEG. `bytes` runs from the marker's 0xFF to the end of its payload
// (just the two marker bytes for SOI, EOI, TEM and RSTn, which have no length field).
struct JpegSegment {
    unsigned char marker;
    std::string_view bytes;
    std::string_view payload() const { return bytes.substr(std::min<std::size_t>(4, bytes.size())); }
};

// The segment at `pos` (fill bytes 0xFF before the marker skipped), or nullopt when `pos` does
// not hold a marker or the segment's length runs past the end. Bounds-checked for hostile input;
// the one reader of segment structure for exif_orientation and metadata_free_pieces.
std::optional<JpegSegment> read_segment(std::string_view jpeg, std::size_t pos) {
    const auto* b = as_bytes(jpeg);
    const std::size_t n = jpeg.size();
    if (pos >= n || b[pos] != 0xFF) return std::nullopt;
    while (pos + 1 < n && b[pos + 1] == 0xFF) ++pos;  // fill bytes
    if (pos + 1 >= n) return std::nullopt;
    const unsigned char marker = b[pos + 1];
    if (marker == 0x00) return std::nullopt;  // a stuffed zero is not a marker
    if (marker == kSoi || marker == kEoi || marker == kTem || is_restart_marker(marker))
        return JpegSegment{marker, jpeg.substr(pos, 2)};
    if (pos + 4 > n) return std::nullopt;
    const std::size_t length = (std::size_t{b[pos + 2]} << 8) | b[pos + 3];  // includes itself
    if (length < 2 || length > n - pos - 2) return std::nullopt;
    return JpegSegment{marker, jpeg.substr(pos, 2 + length)};
}

// For an upright YCbCr or greyscale file: the same bytes with every APPn and COM segment left
// out (wherever it sits, between scans too), a fresh JFIF APP0 after SOI, and nothing after
// EOI (phones append motion clips and depth maps there). The tables, frame and scans are copied
// verbatim, so the picture is exactly the upload's, for the cost of one pass over the bytes.
// Returned as the pieces to write, in order (views of `jpeg` and of constants): the cleaned copy
// is never assembled in memory. nullopt when the segment structure is not what libjpeg just
// decoded without a warning (the caller then re-encodes); nothing is written before the whole
// structure was read.
std::optional<std::vector<std::string_view>> metadata_free_pieces(std::string_view jpeg) {
    static constexpr std::string_view kSoiBytes{"\xFF\xD8", 2};
    const auto* b = as_bytes(jpeg);
    const std::size_t n = jpeg.size();
    std::vector<std::string_view> out{kSoiBytes, kJfifApp0};
    const auto append = [&out](std::string_view piece) {
        // Adjacent kept segments are one piece: fewer, larger writes.
        if (out.size() > 2 && out.back().data() + out.back().size() == piece.data())
            out.back() = std::string_view(out.back().data(), out.back().size() + piece.size());
        else
            out.push_back(piece);
    };
    std::size_t pos = 2;  // after SOI
    for (;;) {
        const auto segment = read_segment(jpeg, pos);
        if (!segment) return std::nullopt;
        pos = static_cast<std::size_t>(segment->bytes.data() - jpeg.data()) + segment->bytes.size();
        if (segment->marker == kEoi) {
            append(segment->bytes);
            return out;
        }
        if (segment->bytes.size() == 2) return std::nullopt;  // SOI, TEM or RSTn outside a scan
        if (!is_metadata_marker(segment->marker)) append(segment->bytes);
        if (segment->marker != kSos) continue;
        // Entropy-coded data runs to the first 0xFF that is neither a stuffed zero nor a restart.
        std::size_t end = pos;
        for (;;) {
            const void* ff = std::memchr(b + end, 0xFF, n - end);
            if (!ff) return std::nullopt;
            end = static_cast<std::size_t>(static_cast<const unsigned char*>(ff) - b);
            if (end + 1 >= n) return std::nullopt;
            if (b[end + 1] != 0x00 && !is_restart_marker(b[end + 1])) break;
            end += 2;
        }
        append(jpeg.substr(pos, end - pos));
        pos = end;
    }
}

MediaError sink_refused() { return {503, "unavailable", "storage temporarily unavailable (photo write)"}; }

// 1. A decode at the cheapest DCT scale that still covers the thumbnail (1/8 for phone
//    photos): entropy decoding does not shrink with the scale, so this checks every byte of the
//    file — a truncated or corrupt stream is refused before any full-size buffer is allocated.
//    It also yields the thumbnail and the dHash.
// 2. YCbCr and greyscale files (all phone cameras): copied without metadata, segment by segment
//    when upright (metadata_free_pieces), or with their coefficients turned upright
//    (upright_without_metadata). Others (CMYK, YCCK, RGB), and any file
//    the lossless transform refuses: the full decode, turned upright, re-encoded with no marker
//    but JFIF's.
MediaResult<Processed> process_jpeg(std::string_view input, const Limits& limits, const ByteSink& sink) {
    TjHandle decoder(tjInitDecompress());
    if (!decoder) return not_an_image();
    const auto header = read_jpeg_header(decoder.get(), input);
    if (!header) return not_an_image();
    const Size full{static_cast<std::uint32_t>(header->width), static_cast<std::uint32_t>(header->height)};
    if (auto err = check_dimensions(full.width, full.height, limits)) return *err;
    const int orientation = exif_orientation(input);

    auto preview = decode_jpeg(decoder.get(), input, *header,
                               scaled_size_at_least(header->width, header->height, kThumbnailLongSide));
    if (!preview) return not_an_image();
    auto thumbnail = make_thumbnail(apply_orientation(std::move(*preview), orientation));
    if (!thumbnail) return not_an_image();

    if (header->colorspace == TJCS_YCbCr || header->colorspace == TJCS_GRAY) {
        const bool swapped = orientation >= 5;  // transpose, rotations by 90° and 270°, transverse
        const Size shown = swapped ? Size{full.height, full.width} : full;
        if (orientation == 1) {
            if (auto pieces = metadata_free_pieces(input)) {
                for (const auto piece : *pieces)
                    if (!sink(piece)) return sink_refused();
                return finished("jpeg", shown, std::move(*thumbnail));
            }
        } else if (auto stored = upright_without_metadata(input, orientation)) {
            if (!sink(*stored)) return sink_refused();
            return finished("jpeg", shown, std::move(*thumbnail));
        }
    }
    auto decoded = decode_jpeg(decoder.get(), input, *header, full);
    decoder.reset();
    if (!decoded) return not_an_image();
    const Image upright = apply_orientation(std::move(*decoded), orientation);
    auto stored = encode_jpeg(upright, kStoredJpegQuality);
    if (!stored) return not_an_image();
    if (!sink(*stored)) return sink_refused();
    return finished("jpeg", {upright.width, upright.height}, std::move(*thumbnail));
}

// ---------------------------------------------------------------------------------------------
// PNG (libpng reports errors by longjmp: the one function that calls setjmp holds no object with a
// destructor, and everything it fills is owned by its caller)

constexpr std::array<unsigned char, 8> kPngSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t kPngIhdrEnd = 8 + 8 + 13;           // signature, chunk length + type, IHDR data
constexpr png_alloc_size_t kPngMaxChunkBytes = 1u << 20;  // ancillary chunk memory (we keep none)
constexpr png_uint_32 kPngMaxCachedChunks = 64;

std::uint32_t read_be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// IHDR's dimensions, read by hand so that a bomb is answered 413 before libpng starts.
std::optional<Size> png_ihdr_size(std::string_view png) {
    if (png.size() < kPngIhdrEnd) return std::nullopt;
    const unsigned char* p = as_bytes(png);
    if (read_be32(p + 8) != 13 || std::memcmp(p + 12, "IHDR", 4) != 0) return std::nullopt;
    return Size{read_be32(p + 16), read_be32(p + 20)};
}

struct PngSource {
    const unsigned char* data;
    std::size_t size;
    std::size_t offset;
};

extern "C" void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
    auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
    if (length > source->size - source->offset) png_error(png, "truncated PNG");
    std::memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

extern "C" void png_fail(png_structp png, png_const_charp) { png_longjmp(png, 1); }
extern "C" void png_ignore_warning(png_structp, png_const_charp) {}

struct PngReader {
    png_structp png = nullptr;
    png_infop info = nullptr;
    PngReader() {
        png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, png_fail, png_ignore_warning);
        if (png) info = png_create_info_struct(png);
    }
    ~PngReader() { png_destroy_read_struct(&png, &info, nullptr); }
    PngReader(const PngReader&) = delete;
    PngReader& operator=(const PngReader&) = delete;
};

// Text, time, EXIF, ICC and other ancillary chunks are skipped unread: they are never kept,
// and zTXt/iCCP would otherwise be inflated (another bomb vector).
void ignore_ancillary_chunks(png_structp png) {
    static constexpr png_byte kIgnored[] = "tEXt\0zTXt\0iTXt\0eXIf\0tIME\0iCCP\0sPLT\0hIST\0pCAL\0sCAL\0";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kIgnored, static_cast<int>((sizeof kIgnored - 1) / 5));
}

struct PngSink {
    const ByteSink* out;
    bool refused;  // the sink did not take a piece (or threw): the PNG is not stored
};

extern "C" void png_write_to_sink(png_structp png, png_bytep data, png_size_t length) {
    auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
    try {
        if (!(*sink->out)(std::string_view(reinterpret_cast<const char*>(data), length))) sink->refused = true;
    } catch (...) {
        sink->refused = true;
    }
    if (sink->refused) png_error(png, "photo write refused");  // outside the handler: nothing to unwind
}

extern "C" void png_flush_nothing(png_structp) {}

struct PngWriter {
    png_structp png = nullptr;
    png_infop info = nullptr;
    PngWriter() {
        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_fail, png_ignore_warning);
        if (png) info = png_create_info_struct(png);
    }
    ~PngWriter() { png_destroy_write_struct(&png, &info); }
    PngWriter(const PngWriter&) = delete;
    PngWriter& operator=(const PngWriter&) = delete;
};

enum class PngStatus { ok, corrupt, too_large };

// Everything transcode_png_rows fills, owned by its caller (see the note above).
struct PngTranscode {
    Size size{0, 0};
    int channels = 0;
    std::vector<unsigned char> row;       // one decoded row (non-interlaced files)
    Image image;                          // the whole picture (interlaced files only)
    std::vector<png_bytep> row_pointers;  // into `image`
    std::optional<BoxDownscaler> thumbnail;
};

// Reads the PNG as 8-bit RGB(A) and writes it again as IHDR, IDAT, IEND, row by row: a
// non-interlaced file never needs the whole picture in memory, so a small file claiming a
// large size costs nothing before its data runs out. Adam7 files are decoded whole first.
PngStatus transcode_png_rows(png_structp reader, png_infop reader_info, png_structp writer, png_infop writer_info,
                             const Limits& limits, PngTranscode* t) {
    if (setjmp(png_jmpbuf(reader))) return PngStatus::corrupt;
    if (setjmp(png_jmpbuf(writer))) return PngStatus::corrupt;  // out of memory
    png_read_info(reader, reader_info);
    const png_uint_32 width = png_get_image_width(reader, reader_info);
    const png_uint_32 height = png_get_image_height(reader, reader_info);
    if (std::uint64_t{width} * height > limits.max_pixels) return PngStatus::too_large;
    const png_byte color_type = png_get_color_type(reader, reader_info);
    png_set_expand(reader);  // palette → RGB, grey < 8 bits → 8 bits, tRNS → alpha
    png_set_scale_16(reader);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(reader);
    const int passes = png_set_interlace_handling(reader);
    png_read_update_info(reader, reader_info);
    const int channels = png_get_channels(reader, reader_info);
    if ((channels != 3 && channels != 4) || png_get_bit_depth(reader, reader_info) != 8 ||
        png_get_rowbytes(reader, reader_info) != std::size_t{width} * static_cast<std::size_t>(channels)) {
        return PngStatus::corrupt;
    }
    t->size = {width, height};
    t->channels = channels;
    t->thumbnail.emplace(t->size, channels, thumbnail_size(width, height));

    png_set_IHDR(writer, writer_info, width, height, 8, channels == 4 ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(writer, writer_info);
    if (passes > 1) {
        t->image = Image::allocate(width, height, channels);
        t->row_pointers.resize(height);
        for (png_uint_32 y = 0; y < height; ++y) t->row_pointers[y] = t->image.row(y);
        png_read_image(reader, t->row_pointers.data());
        for (png_uint_32 y = 0; y < height; ++y) {
            png_write_row(writer, t->image.row(y));
            t->thumbnail->add_row(t->image.row(y));
        }
    } else {
        t->row.resize(std::size_t{width} * static_cast<std::size_t>(channels));
        for (png_uint_32 y = 0; y < height; ++y) {
            png_read_row(reader, t->row.data(), nullptr);
            png_write_row(writer, t->row.data());
            t->thumbnail->add_row(t->row.data());
        }
    }
    png_read_end(reader, nullptr);  // through IEND: a truncated file is refused
    png_write_end(writer, nullptr);
    return PngStatus::ok;
}

void configure_png_reader(png_structp png, const Limits& limits, PngSource* source) {
    png_set_read_fn(png, source, png_read_from_memory);
    png_set_user_limits(png, limits.max_side, limits.max_side);
    png_set_chunk_malloc_max(png, kPngMaxChunkBytes);
    png_set_chunk_cache_max(png, kPngMaxCachedChunks);
    ignore_ancillary_chunks(png);
}

MediaResult<Processed> process_png(std::string_view input, const Limits& limits, const ByteSink& out) {
    const auto ihdr = png_ihdr_size(input);
    if (!ihdr) return not_an_image();
    if (auto err = check_dimensions(ihdr->width, ihdr->height, limits)) return *err;

    PngReader reader;
    PngWriter writer;
    if (!reader.info || !writer.info) return not_an_image();
    PngSource source{as_bytes(input), input.size(), 0};
    configure_png_reader(reader.png, limits, &source);
    PngSink sink{&out, false};
    png_set_write_fn(writer.png, &sink, png_write_to_sink, png_flush_nothing);
    PngTranscode transcode;
    switch (transcode_png_rows(reader.png, reader.info, writer.png, writer.info, limits, &transcode)) {
        case PngStatus::ok:
            break;
        case PngStatus::too_large:
            return MediaError::too_large("photo has more than " + std::to_string(limits.max_pixels) + " pixels");
        case PngStatus::corrupt:
            return sink.refused ? sink_refused() : not_an_image();
    }
    auto thumbnail = thumbnail_from_rows(transcode.thumbnail->take());
    if (!thumbnail) return not_an_image();
    return finished("png", transcode.size, std::move(*thumbnail));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// EXIF Orientation: JPEG segments → first "Exif\0\0" APP1 → TIFF header → IFD0 → tag 0x0112.

namespace {

constexpr std::uint16_t kTagOrientation = 0x0112;
constexpr std::uint16_t kTiffTypeShort = 3;

struct TiffReader {
    std::string_view data;
    bool little_endian;

    bool has(std::uint64_t offset, std::uint64_t length) const { return offset + length <= data.size(); }
    std::uint16_t u16(std::size_t offset) const {
        const auto* p = as_bytes(data) + offset;
        return little_endian ? static_cast<std::uint16_t>(p[0] | (p[1] << 8))
                             : static_cast<std::uint16_t>((p[0] << 8) | p[1]);
    }
    std::uint32_t u32(std::size_t offset) const {
        const std::uint32_t a = u16(offset);
        const std::uint32_t b = u16(offset + 2);
        return little_endian ? (b << 16) | a : (a << 16) | b;
    }
};

int orientation_from_tiff(std::string_view tiff) {
    constexpr std::size_t kTiffHeaderBytes = 8;
    constexpr std::size_t kIfdEntryBytes = 12;
    if (tiff.size() < kTiffHeaderBytes) return 1;
    bool little_endian = false;
    if (tiff.substr(0, 2) == "II")
        little_endian = true;
    else if (tiff.substr(0, 2) != "MM")
        return 1;
    const TiffReader r{tiff, little_endian};
    if (r.u16(2) != 42) return 1;
    const std::uint64_t ifd = r.u32(4);
    if (!r.has(ifd, 2)) return 1;
    const std::uint16_t entries = r.u16(static_cast<std::size_t>(ifd));
    for (std::uint64_t i = 0; i < entries; ++i) {
        const std::uint64_t entry = ifd + 2 + i * kIfdEntryBytes;
        if (!r.has(entry, kIfdEntryBytes)) return 1;
        const auto at = static_cast<std::size_t>(entry);
        if (r.u16(at) != kTagOrientation) continue;
        if (r.u16(at + 2) != kTiffTypeShort || r.u32(at + 4) < 1) return 1;
        const int value = r.u16(at + 8);  // a single SHORT sits in the value field itself
        return value >= 1 && value <= 8 ? value : 1;
    }
    return 1;
}

}  // namespace

int exif_orientation(std::string_view jpeg) noexcept {
    constexpr std::string_view kExifHeader("Exif\0\0", 6);
    const unsigned char* p = as_bytes(jpeg);
    if (jpeg.size() < 2 || p[0] != 0xFF || p[1] != kSoi) return 1;
    for (std::size_t pos = 2;;) {
        const auto segment = read_segment(jpeg, pos);
        if (!segment || segment->marker == kSos || segment->marker == kEoi) return 1;  // metadata precedes the scan
        const auto payload = segment->payload();
        if (segment->marker == kApp1 && payload.substr(0, kExifHeader.size()) == kExifHeader)
            return orientation_from_tiff(payload.substr(kExifHeader.size()));
        pos = static_cast<std::size_t>(segment->bytes.data() - jpeg.data()) + segment->bytes.size();
    }
}

int hamming(std::uint64_t a, std::uint64_t b) noexcept { return std::popcount(a ^ b); }

MediaResult<Processed> process(std::string_view bytes, const Limits& limits) {
    std::string stored;
    stored.reserve(bytes.size() + kJfifApp0.size());  // an upright JPEG's copy, without regrowth
    auto result = process_to(
        bytes,
        [&stored](std::string_view piece) {
            stored.append(piece);
            return true;
        },
        limits);
    if (result) result.value().bytes = std::move(stored);
    return result;
}

MediaResult<Processed> process_to(std::string_view bytes, const ByteSink& sink, const Limits& limits) {
    if (bytes.size() > limits.max_input_bytes) {
        return MediaError::too_large("photo is larger than " + std::to_string(limits.max_input_bytes) + " bytes");
    }
    const auto* p = as_bytes(bytes);
    if (bytes.size() >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return process_jpeg(bytes, limits, sink);
    if (bytes.size() >= kPngSignature.size() && std::equal(kPngSignature.begin(), kPngSignature.end(), p)) {
        return process_png(bytes, limits, sink);
    }
    return not_an_image();
}

}  // namespace civic::photo
