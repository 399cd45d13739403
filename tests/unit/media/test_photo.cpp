#include "server/media/photo.hpp"

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <sstream>
#include <vector>

// Records the largest single allocation made through operator new while `g_tracking` is on,
// so a test can show that a bomb is refused before any pixel buffer is allocated.
namespace {
std::atomic<bool> g_tracking{false};
std::atomic<std::size_t> g_largest_allocation{0};
}  // namespace

void* operator new(std::size_t size) {
    if (g_tracking.load(std::memory_order_relaxed)) {
        std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
        while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
        }
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace civic;

namespace {

// dHash bits a lossless round trip may flip in flat, featureless areas (docs/photos.md, section 5).
constexpr int kReencodingFlipsAtMost = 10;

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(CIVIC_TEST_DATA_DIR) + "/photos/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

photo::Processed must_process(const std::string& bytes) {
    auto result = photo::process(bytes);
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    return result ? result.value() : photo::Processed{};
}

struct Decoded {
    int width = 0;
    int height = 0;
    std::vector<unsigned char> rgb;
    unsigned char at(int x, int y, int c) const { return rgb[static_cast<std::size_t>((y * width + x) * 3 + c)]; }
};

// An independent strict decode of a JPEG (warnings are failures).
std::optional<Decoded> strict_decode_jpeg(const std::string& jpeg) {
    tjhandle h = tjInitDecompress();
    Decoded d;
    int subsampling = 0, colorspace = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(jpeg.data());
    bool ok = tjDecompressHeader3(h, p, jpeg.size(), &d.width, &d.height, &subsampling, &colorspace) == 0;
    if (ok) {
        d.rgb.resize(static_cast<std::size_t>(d.width) * d.height * 3);
        ok = tjDecompress2(h, p, jpeg.size(), d.rgb.data(), d.width, 0, d.height, TJPF_RGB, TJFLAG_STOPONWARNING) == 0;
    }
    tjDestroy(h);
    if (!ok) return std::nullopt;
    return d;
}

std::vector<std::string> png_chunk_types(const std::string& png) {
    std::vector<std::string> types;
    for (std::size_t pos = 8; pos + 8 <= png.size();) {
        const auto* p = reinterpret_cast<const unsigned char*>(png.data() + pos);
        const std::size_t length =
            (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
        types.push_back(png.substr(pos + 4, 4));
        pos += 12 + length;
    }
    return types;
}

void expect_error(const std::string& bytes, int status, const std::string& what) {
    const auto result = photo::process(bytes);
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().status, status) << what;
    EXPECT_EQ(result.error().code, status == 413 ? "payload_too_large" : "unsupported_media_type") << what;
}

}  // namespace

TEST(PhotoExif, ReadsOrientationFromApp1) {
    EXPECT_EQ(photo::exif_orientation(fixture("gps_orient6.jpg")), 6);
    EXPECT_EQ(photo::exif_orientation(fixture("plain.jpg")), 1);
    EXPECT_EQ(photo::exif_orientation(""), 1);
    EXPECT_EQ(photo::exif_orientation(fixture("text_named.jpg")), 1);
}

TEST(PhotoExif, HandMadeSegmentsAreBoundsChecked) {
    const auto jpeg_with_app1 = [](const std::string& payload) {
        const std::size_t length = payload.size() + 2;
        return std::string("\xff\xd8\xff\xe1", 4) + static_cast<char>(length >> 8) + static_cast<char>(length & 0xff) +
               payload + std::string("\xff\xd9", 2);
    };
    const std::string exif("Exif\0\0", 6);
    // Big-endian TIFF, IFD0 at 8 with one entry: Orientation SHORT 1 = 8.
    const std::string good = exif + std::string("MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x08\0\0", 22);
    EXPECT_EQ(photo::exif_orientation(jpeg_with_app1(good)), 8);
    // Little-endian, same entry.
    const std::string little = exif + std::string("II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x03\0\0\0", 22);
    EXPECT_EQ(photo::exif_orientation(jpeg_with_app1(little)), 3);
    // Every truncation of the TIFF data, an IFD offset past the end, an out-of-range value,
    // a wrong type, and a segment length running past the file all read as 1.
    for (std::size_t n = 0; n < good.size(); ++n)
        EXPECT_EQ(photo::exif_orientation(jpeg_with_app1(good.substr(0, n))), 1);
    EXPECT_EQ(photo::exif_orientation(jpeg_with_app1(exif + std::string("MM\0\x2a\xff\xff\xff\xf0", 8))), 1);
    EXPECT_EQ(photo::exif_orientation(
                  jpeg_with_app1(exif + std::string("MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x09\0\0", 22))),
              1);
    EXPECT_EQ(photo::exif_orientation(
                  jpeg_with_app1(exif + std::string("MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x04\0\0\0\x01\0\x06\0\0", 22))),
              1);
    EXPECT_EQ(photo::exif_orientation(std::string("\xff\xd8\xff\xe1\xff\xff", 6) + good), 1);
}

TEST(Photo, JpegIsTurnedUprightByItsOrientation) {
    const auto p = must_process(fixture("gps_orient6.jpg"));
    EXPECT_EQ(p.format, "jpeg");
    EXPECT_EQ(p.mime_type, "image/jpeg");
    EXPECT_EQ(p.width, 48u);  // stored 64x48, displayed rotated
    EXPECT_EQ(p.height, 64u);
    const auto decoded = strict_decode_jpeg(p.bytes);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->width, 48);
    EXPECT_EQ(decoded->height, 64);
    // The red left half of the stored pixels is on top once rotated 90° clockwise.
    EXPECT_GT(decoded->at(24, 8, 0), 150);
    EXPECT_LT(decoded->at(24, 8, 2), 100);
    EXPECT_LT(decoded->at(24, 56, 0), 100);
    EXPECT_GT(decoded->at(24, 56, 2), 150);
    EXPECT_EQ(photo::exif_orientation(p.bytes), 1);
}

// Phone photos are stored by copying their DCT coefficients (turned upright, without metadata):
// nothing is re-quantised, so the stored file decodes to exactly the upload's pixels.
TEST(Photo, JpegIsKeptLosslessly) {
    for (const char* name : {"plain.jpg", "plain_q60.jpg", "other.jpg"}) {
        SCOPED_TRACE(name);
        const std::string input = fixture(name);
        ASSERT_EQ(photo::exif_orientation(input), 1);
        const auto p = must_process(input);
        const auto before = strict_decode_jpeg(input);
        const auto after = strict_decode_jpeg(p.bytes);
        ASSERT_TRUE(before && after);
        EXPECT_EQ(after->width, before->width);
        EXPECT_EQ(after->height, before->height);
        EXPECT_TRUE(after->rgb == before->rgb);
    }
}

// An upright photo is copied segment by segment: EXIF, IPTC, ICC and comments go wherever they
// sit, and so does whatever a phone appended after EOI, while the picture stays bit-exact.
TEST(Photo, UprightJpegLosesEveryMetadataSegmentAndTrailer) {
    const std::string plain = fixture("plain.jpg");
    ASSERT_EQ(plain.substr(plain.size() - 2), std::string("\xff\xd9", 2));
    const auto segment = [](unsigned char marker, const std::string& payload) {
        const std::size_t length = payload.size() + 2;
        return std::string(1, '\xff') + static_cast<char>(marker) + static_cast<char>(length >> 8) +
               static_cast<char>(length & 0xff) + payload;
    };
    const std::string exif = std::string("Exif\0\0", 6) +
                             std::string("MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x01\0\0", 22) +
                             "secret-gps-23.37N-103.35E";
    const std::string input = plain.substr(0, 2) + segment(0xE1, exif) + segment(0xED, "Photoshop 3.0 secret-iptc") +
                              segment(0xE2, "ICC_PROFILE secret-icc") + segment(0xFE, "secret-comment") +
                              plain.substr(2, plain.size() - 4) + segment(0xFE, "secret-late-comment") +
                              std::string("\xff\xd9", 2) + "secret-trailer-after-eoi";
    ASSERT_EQ(photo::exif_orientation(input), 1);
    const auto p = must_process(input);
    EXPECT_EQ(p.bytes.find("secret"), std::string::npos);
    EXPECT_EQ(p.bytes.substr(p.bytes.size() - 2), std::string("\xff\xd9", 2));
    std::size_t app0 = 0;
    for (std::size_t pos = 2; pos + 4 <= p.bytes.size();) {
        const auto marker = static_cast<unsigned char>(p.bytes[pos + 1]);
        if (marker == 0xDA) break;
        EXPECT_TRUE(marker != 0xFE && (marker < 0xE1 || marker > 0xEF)) << std::hex << int{marker};
        app0 += marker == 0xE0 ? 1 : 0;
        pos += 2 + ((static_cast<unsigned char>(p.bytes[pos + 2]) << 8) | static_cast<unsigned char>(p.bytes[pos + 3]));
    }
    EXPECT_EQ(app0, 1u);  // one fresh JFIF
    const auto before = strict_decode_jpeg(plain);
    const auto after = strict_decode_jpeg(p.bytes);
    ASSERT_TRUE(before && after);
    EXPECT_TRUE(after->rgb == before->rgb);
}

// A rotation is lossless only for whole MCUs (16×16 with 4:2:0). A picture with partial edge
// blocks and a rotating orientation is decoded, turned and re-encoded instead: still upright.
TEST(Photo, JpegWithPartialBlocksIsReencodedUpright) {
    constexpr int w = 65, h = 49;  // stored landscape; orientation 6 shows it rotated 90° clockwise
    // TurboJPEG's own allocator: this file replaces operator new, and GCC 12 then misreads vectors.
    std::unique_ptr<unsigned char, decltype(&tjFree)> rgb(tjAlloc(w * h * 3), &tjFree);
    ASSERT_TRUE(rgb);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            auto* px = rgb.get() + (y * w + x) * 3;
            px[0] = x < w / 2 ? 220 : 20;  // red left half, blue right half
            px[1] = 20;
            px[2] = x < w / 2 ? 20 : 220;
        }
    tjhandle encoder = tjInitCompress();
    unsigned char* raw = nullptr;
    unsigned long size = 0;
    ASSERT_EQ(tjCompress2(encoder, rgb.get(), w, 0, h, TJPF_RGB, &raw, &size, TJSAMP_420, 90, 0), 0);
    const std::string plain(reinterpret_cast<const char*>(raw), size);
    tjFree(raw);
    tjDestroy(encoder);
    // Big-endian TIFF, IFD0 with one entry: Orientation SHORT 1 = 6; inserted right after SOI.
    const std::string exif =
        std::string("Exif\0\0", 6) + std::string("MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0", 22);
    const std::size_t length = exif.size() + 2;
    const std::string input = plain.substr(0, 2) + std::string("\xff\xe1", 2) + static_cast<char>(length >> 8) +
                              static_cast<char>(length & 0xff) + exif + plain.substr(2);
    ASSERT_EQ(photo::exif_orientation(input), 6);

    const auto p = must_process(input);
    EXPECT_EQ(p.width, static_cast<std::uint32_t>(h));
    EXPECT_EQ(p.height, static_cast<std::uint32_t>(w));
    const auto decoded = strict_decode_jpeg(p.bytes);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->width, h);
    EXPECT_EQ(decoded->height, w);
    EXPECT_GT(decoded->at(24, 8, 0), 150);  // red on top
    EXPECT_LT(decoded->at(24, 8, 2), 100);
    EXPECT_GT(decoded->at(24, 56, 2), 150);  // blue below
    EXPECT_EQ(photo::exif_orientation(p.bytes), 1);
    EXPECT_EQ(p.bytes.find("Exif"), std::string::npos);
}

TEST(Photo, JpegMetadataIsDropped) {
    // The GPS position lives in the EXIF APP1 segment (binary tags, no text to search for):
    // no "Exif" and no APP1 at all means no GPS.
    const std::string input = fixture("gps_orient6.jpg");
    ASSERT_EQ(photo::exif_orientation(input), 6);
    for (const char* marker :
         {"Exif", "http://ns.adobe.com/xap", "secret-comment-text", "secret-xmp-note", "CivicTestCam"}) {
        ASSERT_NE(input.find(marker), std::string::npos) << "fixture lacks " << marker;
    }
    const auto p = must_process(input);
    for (const char* marker :
         {"Exif", "http://ns.adobe.com/xap", "secret-comment-text", "secret-xmp-note", "CivicTestCam"}) {
        EXPECT_EQ(p.bytes.find(marker), std::string::npos) << marker;
        EXPECT_EQ(p.thumbnail_jpeg.find(marker), std::string::npos) << marker;
    }
    // No APPn but JFIF's APP0, and no COM segment, before the scan.
    for (std::size_t pos = 2; pos + 4 <= p.bytes.size();) {
        const auto marker = static_cast<unsigned char>(p.bytes[pos + 1]);
        if (marker == 0xDA) break;
        EXPECT_TRUE(marker != 0xFE && (marker < 0xE1 || marker > 0xEF)) << std::hex << int{marker};
        pos += 2 + ((static_cast<unsigned char>(p.bytes[pos + 2]) << 8) | static_cast<unsigned char>(p.bytes[pos + 3]));
    }
}

TEST(Photo, PngTextChunksAreDropped) {
    const std::string input = fixture("with_text.png");
    const auto before = png_chunk_types(input);
    for (const char* chunk : {"tEXt", "iTXt", "eXIf"}) {
        ASSERT_NE(std::find(before.begin(), before.end(), chunk), before.end()) << "fixture lacks " << chunk;
    }
    const auto p = must_process(input);
    EXPECT_EQ(p.format, "png");
    EXPECT_EQ(p.mime_type, "image/png");
    EXPECT_EQ(p.width, 64u);
    EXPECT_EQ(p.height, 48u);
    for (const std::string& type : png_chunk_types(p.bytes)) {
        EXPECT_TRUE(type == "IHDR" || type == "IDAT" || type == "IEND") << type;
    }
    for (const char* marker : {"tEXt", "iTXt", "zTXt", "eXIf", "secret-png-text", "secret-itxt-xmp", "CivicTestCam"}) {
        EXPECT_EQ(p.bytes.find(marker), std::string::npos) << marker;
    }
}

// IHDR byte 25 is the colour type, byte 28 the interlace method.
int png_color_type(const std::string& png) { return static_cast<unsigned char>(png.at(25)); }
int png_interlace(const std::string& png) { return static_cast<unsigned char>(png.at(28)); }

TEST(Photo, InterlacedPalettePngBecomesPlainRgba) {
    const std::string input = fixture("palette_interlaced.png");
    ASSERT_EQ(png_interlace(input), 1);
    ASSERT_EQ(png_color_type(input), 3);
    const auto p = must_process(input);
    EXPECT_EQ(p.width, 40u);
    EXPECT_EQ(p.height, 30u);
    EXPECT_EQ(png_color_type(p.bytes), 6);  // RGBA: the tRNS transparency is kept
    EXPECT_EQ(png_interlace(p.bytes), 0);
    for (const std::string& type : png_chunk_types(p.bytes)) {
        EXPECT_TRUE(type == "IHDR" || type == "IDAT" || type == "IEND") << type;
    }
    // In the thumbnail the transparent left half is laid over white; the right half is red.
    const auto thumb = strict_decode_jpeg(p.thumbnail_jpeg);
    ASSERT_TRUE(thumb);
    EXPECT_GT(thumb->at(5, 15, 1), 220);
    EXPECT_GT(thumb->at(5, 15, 2), 220);
    EXPECT_GT(thumb->at(35, 15, 0), 200);
    EXPECT_LT(thumb->at(35, 15, 1), 60);
}

TEST(Photo, SixteenBitGreyPngBecomesEightBitRgb) {
    const auto p = must_process(fixture("gray16.png"));
    EXPECT_EQ(p.width, 32u);
    EXPECT_EQ(p.height, 24u);
    EXPECT_EQ(png_color_type(p.bytes), 2);
    EXPECT_EQ(static_cast<unsigned char>(p.bytes.at(24)), 8);  // bit depth
}

TEST(Photo, OutputDecodesAgainToTheSamePicture) {
    for (const char* name : {"gps_orient6.jpg", "plain.jpg", "plain.png", "with_text.png", "cmyk_red.jpg",
                             "palette_interlaced.png", "gray16.png"}) {
        SCOPED_TRACE(name);
        const auto first = must_process(fixture(name));
        const auto second = must_process(first.bytes);
        EXPECT_EQ(second.format, first.format);
        EXPECT_EQ(second.width, first.width);
        EXPECT_EQ(second.height, first.height);
        // Flat areas make some dHash bits coin tosses: re-encoding may flip a few (5 seen).
        EXPECT_LE(photo::hamming(first.dhash, second.dhash), kReencodingFlipsAtMost);
    }
}

TEST(Photo, CmykJpegBecomesRgb) {
    const auto p = must_process(fixture("cmyk_red.jpg"));
    const auto decoded = strict_decode_jpeg(p.bytes);
    ASSERT_TRUE(decoded);
    EXPECT_GT(decoded->at(8, 8, 0), 180);
    EXPECT_LT(decoded->at(8, 8, 1), 80);
    EXPECT_LT(decoded->at(8, 8, 2), 80);
}

TEST(Photo, BombsAreRefusedFromTheHeaderWithoutAllocatingPixels) {
    for (const char* name : {"bomb_10000x10000.png", "sof_30000x30000.jpg"}) {
        const std::string bytes = fixture(name);
        g_largest_allocation = 0;
        g_tracking = true;
        const auto result = photo::process(bytes);
        g_tracking = false;
        ASSERT_FALSE(result) << name;
        EXPECT_EQ(result.error().status, 413) << name;
        EXPECT_EQ(result.error().code, "payload_too_large") << name;
        EXPECT_LT(g_largest_allocation.load(), std::size_t{1} << 20) << name;
    }
}

TEST(Photo, PngRowsAreStreamedSoAShortFileCannotClaimMemory) {
    // With limits raised so that the 10000x10000 header passes, the file is read row by row:
    // it runs out of data after one row, and nothing picture-sized was ever allocated.
    photo::Limits generous;
    generous.max_pixels = 200'000'000;
    const std::string bytes = fixture("bomb_10000x10000.png");
    g_largest_allocation = 0;
    g_tracking = true;
    const auto result = photo::process(bytes, generous);
    g_tracking = false;
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().status, 415);
    EXPECT_LT(g_largest_allocation.load(), std::size_t{1} << 20);
}

TEST(Photo, LimitsAreConfigurable) {
    photo::Limits limits;
    limits.max_pixels = 800 * 600 - 1;
    const auto result = photo::process(fixture("plain.jpg"), limits);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().status, 413);

    limits = {};
    limits.max_side = 399;
    EXPECT_EQ(photo::process(fixture("plain.png"), limits).error().status, 413);

    limits = {};
    limits.max_input_bytes = 100;
    EXPECT_EQ(photo::process(fixture("plain.png"), limits).error().status, 413);
}

TEST(Photo, NonImagesAreRefused) {
    expect_error(fixture("gif_named.jpg"), 415, "gif");
    expect_error(fixture("text_named.jpg"), 415, "text");
    expect_error("", 415, "empty");
    expect_error(std::string("\xff\xd8\xff", 3), 415, "jpeg magic only");
    expect_error(std::string("\x89PNG\r\n\x1a\n", 8), 415, "png signature only");
}

TEST(Photo, TruncatedFilesAreRefused) {
    expect_error(fixture("truncated.jpg"), 415, "truncated.jpg");
    // Every proper prefix of a JPEG and of a PNG: refused, never a crash.
    for (const char* name : {"gps_orient6.jpg", "with_text.png", "palette_interlaced.png"}) {
        const std::string whole = fixture(name);
        for (std::size_t n = 0; n < whole.size(); ++n) {
            const auto result = photo::process(std::string_view(whole).substr(0, n));
            ASSERT_FALSE(result) << name << " cut at " << n;
            ASSERT_EQ(result.error().status, 415) << name << " cut at " << n;
        }
    }
}

TEST(Photo, CorruptBytesNeverCrash) {
    for (const char* name :
         {"gps_orient6.jpg", "with_text.png", "cmyk_red.jpg", "palette_interlaced.png", "plain.jpg"}) {
        const std::string whole = fixture(name);
        for (std::size_t i = 0; i < whole.size(); i += whole.size() / 500 + 1) {
            std::string damaged = whole;
            damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
            const auto result = photo::process(damaged);
            if (!result) {
                EXPECT_TRUE(result.error().status == 415 || result.error().status == 413);
            }
        }
    }
}

TEST(Photo, ThumbnailIsASmallDecodableJpeg) {
    struct Case {
        const char* name;
        int width;
        int height;
    };
    for (const Case c : {Case{"plain.jpg", 320, 240}, Case{"plain.png", 320, 240}, Case{"gps_orient6.jpg", 48, 64},
                         Case{"with_text.png", 64, 48}}) {
        SCOPED_TRACE(c.name);
        const auto p = must_process(fixture(c.name));
        EXPECT_EQ(p.thumbnail_width, static_cast<std::uint32_t>(c.width));
        EXPECT_EQ(p.thumbnail_height, static_cast<std::uint32_t>(c.height));
        const auto decoded = strict_decode_jpeg(p.thumbnail_jpeg);
        ASSERT_TRUE(decoded);
        EXPECT_EQ(decoded->width, c.width);
        EXPECT_EQ(decoded->height, c.height);
        EXPECT_LE(std::max(decoded->width, decoded->height), 320);
    }
}

TEST(Photo, DhashFindsNearDuplicates) {
    const auto original = must_process(fixture("plain.jpg"));
    const auto recompressed = must_process(fixture("plain_q60.jpg"));
    const auto other = must_process(fixture("other.jpg"));
    const auto png = must_process(fixture("plain.png"));
    EXPECT_LE(photo::hamming(original.dhash, recompressed.dhash), photo::kSamePhotoMaxDistance);
    // Unrelated pictures differ in about half the bits; these two in 26 and 36.
    EXPECT_GT(photo::hamming(original.dhash, other.dhash), 3 * photo::kSamePhotoMaxDistance);
    EXPECT_GT(photo::hamming(original.dhash, png.dhash), 3 * photo::kSamePhotoMaxDistance);
}

TEST(Photo, SameInputGivesSameOutput) {
    for (const char* name : {"gps_orient6.jpg", "plain.jpg", "plain.png", "with_text.png", "palette_interlaced.png"}) {
        const auto a = must_process(fixture(name));
        const auto b = must_process(fixture(name));
        EXPECT_EQ(a.bytes, b.bytes) << name;
        EXPECT_EQ(a.thumbnail_jpeg, b.thumbnail_jpeg) << name;
        EXPECT_EQ(a.dhash, b.dhash) << name;
    }
}

TEST(Photo, Hamming) {
    EXPECT_EQ(photo::hamming(0, 0), 0);
    EXPECT_EQ(photo::hamming(0, ~0ull), 64);
    EXPECT_EQ(photo::hamming(0b1011, 0b0010), 2);
}

// process_to hands the cleaned image out in pieces (views of the upload for an upright JPEG, rows
// for a PNG) and keeps none of it: joined, the pieces are exactly what process returns.
TEST(Photo, ProcessToStreamsTheSameBytesWithoutKeepingThem) {
    for (const char* name : {"plain.jpg", "gps_orient6.jpg", "cmyk_red.jpg", "plain.png", "palette_interlaced.png"}) {
        SCOPED_TRACE(name);
        const std::string input = fixture(name);
        std::string joined;
        std::size_t pieces = 0;
        const auto streamed = photo::process_to(input, [&](std::string_view piece) {
            joined.append(piece);
            ++pieces;
            return true;
        });
        ASSERT_TRUE(streamed) << streamed.error().message;
        EXPECT_TRUE(streamed.value().bytes.empty());
        EXPECT_GT(pieces, 0u);
        const auto whole = must_process(input);
        EXPECT_EQ(joined, whole.bytes);
        EXPECT_EQ(streamed.value().width, whole.width);
        EXPECT_EQ(streamed.value().thumbnail_jpeg, whole.thumbnail_jpeg);
    }
}

// A sink that cannot take a piece (the disk is full) refuses the photo with 503, the answer to
// retry later, whichever path the image takes.
TEST(Photo, ASinkThatRefusesIsA503) {
    for (const char* name : {"plain.jpg", "gps_orient6.jpg", "cmyk_red.jpg", "plain.png", "palette_interlaced.png"}) {
        SCOPED_TRACE(name);
        const auto r = photo::process_to(fixture(name), [](std::string_view) { return false; });
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().status, 503);
        EXPECT_EQ(r.error().code, "unavailable");
    }
    // Bytes that are no image are still a 415, not a write failure.
    const auto bad = photo::process_to("not an image", [](std::string_view) { return false; });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().status, 415);
}
