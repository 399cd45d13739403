#include "server/media/multipart.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include <stdlib.h>

using namespace civic;

namespace {

const std::string kBoundary = "----civicBoundary7MA4YWxk";

std::string sample_body() {
    return "This is the preamble; ignore it.\r\n"
           "------civicBoundary7MA4YWxk\r\n"
           "Content-Disposition: form-data; name=\"meta\"\r\n"
           "Content-Type: application/json\r\n"
           "\r\n"
           "{\"category\":\"road\",\"description\":\"pothole\\r\\n--x\"}\r\n"
           "------civicBoundary7MA4YWxk  \t\r\n"  // transport padding after the boundary
           "Content-Disposition: form-data; name=\"photo\"; filename=\"a \\\"b\\\".jpg\"\r\n"
           "Content-Type: image/jpeg\r\n"
           "\r\n"
           "\xff\xd8\r\n--civicBoundary7MA4YWxk\r\r\n\r\n-\r\n------civicBoundary7MA4YWx\xff\xd9\r\n"
           "------civicBoundary7MA4YWxk\r\n"
           "Content-Disposition: form-data; name=empty\r\n"
           "\r\n"
           "\r\n"
           "------civicBoundary7MA4YWxk--\r\n"
           "This is the epilogue.\r\n";
}

void expect_sample_parts(const std::vector<MultipartPart>& parts) {
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[0].name, "meta");
    EXPECT_FALSE(parts[0].filename.has_value());
    EXPECT_EQ(parts[0].content_type, "application/json");
    EXPECT_EQ(parts[0].data, "{\"category\":\"road\",\"description\":\"pothole\\r\\n--x\"}");
    EXPECT_EQ(parts[1].name, "photo");
    ASSERT_TRUE(parts[1].filename.has_value());
    EXPECT_EQ(*parts[1].filename, "a \"b\".jpg");
    EXPECT_EQ(parts[1].content_type, "image/jpeg");
    EXPECT_EQ(parts[1].data, "\xff\xd8\r\n--civicBoundary7MA4YWxk\r\r\n\r\n-\r\n------civicBoundary7MA4YWx\xff\xd9");
    EXPECT_EQ(parts[2].name, "empty");
    EXPECT_EQ(parts[2].content_type, "text/plain");
    EXPECT_EQ(parts[2].data, "");
}

// Feeds the pieces in order, then finishes; returns the first error.
std::optional<MediaError> parse(MultipartParser& parser, std::initializer_list<std::string_view> pieces) {
    for (std::string_view piece : pieces) {
        if (auto err = parser.feed(piece)) return err;
    }
    return parser.finish();
}

std::optional<MediaError> parse_whole(const std::string& body, MultipartLimits limits = {}) {
    MultipartParser parser(kBoundary, std::move(limits));
    return parse(parser, {body});
}

std::string simple_body(const std::string& headers, const std::string& data) {
    return "--" + kBoundary + "\r\n" + headers + "\r\n" + data + "\r\n--" + kBoundary + "--\r\n";
}

}  // namespace

TEST(Multipart, ParsesSampleInOneChunk) {
    MultipartParser parser(kBoundary, {});
    ASSERT_EQ(parse(parser, {sample_body()}), std::nullopt);
    EXPECT_TRUE(parser.complete());
    expect_sample_parts(parser.parts());
}

TEST(Multipart, ParsesSampleSplitInTwoAtEveryOffset) {
    const std::string body = sample_body();
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
        SCOPED_TRACE("cut at " + std::to_string(cut));
        MultipartParser parser(kBoundary, {});
        const std::string_view whole(body);
        ASSERT_EQ(parse(parser, {whole.substr(0, cut), whole.substr(cut)}), std::nullopt);
        expect_sample_parts(parser.parts());
    }
}

TEST(Multipart, ParsesSampleByteByByte) {
    const std::string body = sample_body();
    MultipartParser parser(kBoundary, {});
    for (char c : body) ASSERT_EQ(parser.feed(std::string_view(&c, 1)), std::nullopt);
    ASSERT_EQ(parser.finish(), std::nullopt);
    expect_sample_parts(parser.parts());
}

TEST(Multipart, BodyMayStartWithTheBoundaryAndHaveNoEpilogue) {
    MultipartParser parser(kBoundary, {});
    ASSERT_EQ(parse(parser, {"--" + kBoundary + "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--" +
                             kBoundary + "--"}),
              std::nullopt);
    ASSERT_EQ(parser.parts().size(), 1u);
    EXPECT_EQ(parser.parts()[0].data, "x");
}

TEST(Multipart, BoundaryTextNotPrecededByCrlfIsData) {
    const std::string data = "a--" + kBoundary + "b\n--" + kBoundary + "\r--" + kBoundary + "--";
    MultipartParser parser(kBoundary, {});
    ASSERT_EQ(parse(parser, {simple_body("Content-Disposition: form-data; name=\"f\"\r\n", data)}), std::nullopt);
    ASSERT_EQ(parser.parts().size(), 1u);
    EXPECT_EQ(parser.parts()[0].data, data);
}

TEST(Multipart, BoundaryFollowedByJunkIsRefused) {
    const auto err = parse_whole(
        simple_body("Content-Disposition: form-data; name=\"f\"\r\n", "abc\r\n--" + kBoundary + "junk\r\nmore"));
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 400);
    EXPECT_EQ(err->code, "bad_request");
}

TEST(Multipart, SingleDashAfterBoundaryIsRefused) {
    const auto err = parse_whole("--" + kBoundary + "-x\r\n");
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 400);
}

TEST(Multipart, MissingFinalBoundaryIsRefused) {
    for (const std::string& body :
         {std::string(), std::string("just text"),
          "--" + kBoundary + "\r\nContent-Disposition: form-data; name=a\r\n\r\nunfinished",
          "--" + kBoundary + "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--" + kBoundary + "\r\n",
          "--" + kBoundary + "\r\nContent-Disposition: form-data; name=a\r\n"}) {
        const auto err = parse_whole(body);
        ASSERT_TRUE(err) << body;
        EXPECT_EQ(err->status, 400) << body;
    }
}

TEST(Multipart, MalformedPartHeadersAreRefused) {
    for (const std::string& headers : {
             std::string("Content-Type: text/plain\r\n"),                             // no disposition
             std::string("Content-Disposition: form-data\r\n"),                       // no name
             std::string("Content-Disposition: form-data; name=\"\"\r\n"),            // empty name
             std::string("Content-Disposition: form-data; filename=\"name=x\"\r\n"),  // name only inside filename
             std::string("Content-Disposition: attachment; name=a\r\n"),              // not form-data
             std::string("Content-Disposition: form-data; name=\"a\r\n"),             // unterminated quote
             std::string("Content-Disposition: form-data; name=a; name=b\r\n"),       // ambiguous
             std::string("Content-Disposition: form-data;\r\n name=a\r\n"),           // folded
             std::string("Content-Disposition form-data; name=a\r\n"),                // no colon
             std::string("Content-Disposition: form-data; name=a\r\nX: a\rb\r\n"),    // bare CR
             std::string("Content-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: base64\r\n"),
         }) {
        const auto err = parse_whole(simple_body(headers, "data"));
        ASSERT_TRUE(err) << headers;
        EXPECT_EQ(err->status, 400) << headers;
    }
}

// A Content-Type without a media type (empty, or parameters alone) declares nothing: the part is
// form data (text/plain, RFC 7578 §4.4), not a file part of no type (found by fuzz_multipart).
TEST(Multipart, AContentTypeWithoutAMediaTypeIsTheDefault) {
    for (const std::string value : {" \t", " ; charset=utf-8"}) {
        MultipartParser parser(kBoundary, {});
        ASSERT_EQ(parse(parser,
                        {simple_body("Content-Disposition: form-data; name=\"meta\"\r\nContent-Type:" + value + "\r\n",
                                     "{}")}),
                  std::nullopt)
            << value;
        ASSERT_EQ(parser.parts().size(), 1u);
        EXPECT_EQ(parser.parts()[0].content_type, "text/plain") << value;
        EXPECT_FALSE(parser.parts()[0].is_file()) << value;
        EXPECT_EQ(parser.parts()[0].data, "{}");
    }
}

TEST(Multipart, PartWithoutHeadersHasNoName) {
    const auto err = parse_whole("--" + kBoundary + "\r\n\r\ndata\r\n--" + kBoundary + "--");
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 400);
}

TEST(Multipart, HugeHeaderLineIsRefusedBeforeItEnds) {
    MultipartLimits limits;
    limits.max_part_header_bytes = 1024;
    MultipartParser parser(kBoundary, limits);
    ASSERT_EQ(parser.feed("--" + kBoundary + "\r\nContent-Disposition: form-data; name=\""), std::nullopt);
    std::optional<MediaError> err;
    std::size_t fed = 0;
    while (!err && fed < 100000) {
        err = parser.feed(std::string(100, 'a'));
        fed += 100;
    }
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 413);
    EXPECT_LE(fed, 1100u);
    EXPECT_EQ(parser.feed("\"\r\n\r\n"), err);  // errors are sticky
}

TEST(Multipart, HeaderBlockExactlyAtTheLimitIsAccepted) {
    const std::string headers = "Content-Disposition: form-data; name=a\r\n";
    MultipartLimits limits;
    limits.max_part_header_bytes = headers.size() + 2;  // the lines and the empty line
    EXPECT_EQ(parse_whole(simple_body(headers, "x"), limits), std::nullopt);
    limits.max_part_header_bytes -= 1;
    const auto err = parse_whole(simple_body(headers, "x"), limits);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 413);
}

TEST(Multipart, TooManyPartsIsRefused) {
    std::string body;
    for (int i = 0; i < 9; ++i) body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=p\r\n\r\nx\r\n";
    body += "--" + kBoundary + "--\r\n";
    const auto err = parse_whole(body);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 413);
    EXPECT_EQ(err->code, "payload_too_large");
}

TEST(Multipart, OversizePartIsDetectedBeforeTheBodyEnds) {
    MultipartLimits limits = MultipartLimits::report_intake();
    MultipartParser parser(kBoundary, limits);
    ASSERT_EQ(parser.feed("--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n"),
              std::nullopt);
    const std::string chunk(4096, 'm');
    std::size_t fed = 0;
    std::optional<MediaError> err;
    while (!err && fed < (1u << 20)) {
        err = parser.feed(chunk);
        fed += chunk.size();
    }
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 413);
    EXPECT_EQ(fed, multipart_limits::kMetaPartBytes + chunk.size());  // the chunk that crossed 64 KiB
}

TEST(Multipart, PartExactlyAtItsLimitIsAccepted) {
    MultipartLimits limits;
    limits.max_part_bytes = 10;
    EXPECT_EQ(parse_whole(simple_body("Content-Disposition: form-data; name=a\r\n", std::string(10, 'x')), limits),
              std::nullopt);
    const auto err =
        parse_whole(simple_body("Content-Disposition: form-data; name=a\r\n", std::string(11, 'x')), limits);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 413);
}

TEST(Multipart, BodyLimitCountsPreambleAndEpilogue) {
    MultipartLimits limits;
    limits.max_body_bytes = 100;
    MultipartParser parser(kBoundary, limits);
    EXPECT_EQ(parser.feed(std::string(100, 'p')), std::nullopt);
    const auto err = parser.feed("p");
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 413);
}

TEST(Multipart, PathologicalCrRunsStayLinear) {
    // Near-delimiters over and over: each byte is looked at once, so this is quick.
    std::string data;
    while (data.size() < (4u << 20)) data += "\r\n--" + kBoundary.substr(0, kBoundary.size() - 1) + "\r\r\n-";
    MultipartLimits limits;
    limits.max_part_bytes = 8u << 20;
    MultipartParser parser(kBoundary, limits);
    ASSERT_EQ(parse(parser, {simple_body("Content-Disposition: form-data; name=a\r\n", data)}), std::nullopt);
    EXPECT_EQ(parser.parts()[0].data, data);
}

TEST(MultipartBoundary, ExtractsQuotedAndUnquoted) {
    auto plain = multipart_boundary("multipart/form-data; boundary=abc123");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain.value(), "abc123");

    auto quoted = multipart_boundary("Multipart/Form-Data;charset=utf-8;  BOUNDARY=\"a b:c=d?\\(\" ; x=y");
    ASSERT_TRUE(quoted);
    EXPECT_EQ(quoted.value(), "a b:c=d?(");  // quoted-pair unescaped
}

TEST(MultipartBoundary, RefusesBadValues) {
    for (const std::string& value : {
             std::string("application/json"),
             std::string("multipart/form-data"),
             std::string("multipart/form-data; boundary="),
             std::string("multipart/form-data; boundary=\"\""),
             "multipart/form-data; boundary=" + std::string(71, 'a'),
             std::string("multipart/form-data; boundary=\"ab \""),
             std::string("multipart/form-data; boundary=\"a\rb\""),
             std::string("multipart/form-data; boundary=a; boundary=b"),
             std::string("multipart/mixed; boundary=abc"),
             std::string("multipart/form-data; boundary=\"abc"),
         }) {
        const auto result = multipart_boundary(value);
        ASSERT_FALSE(result) << value;
        EXPECT_EQ(result.error().status, 400) << value;
    }
    EXPECT_TRUE(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'a')));
}

namespace {
std::string many_parts(int fields, int files) {
    std::string body;
    for (int i = 0; i < fields; ++i)
        body +=
            "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) + "\"\r\n\r\nv\r\n";
    for (int i = 0; i < files; ++i)
        body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"photo" + std::to_string(i + 1) +
                "\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nJPEG\r\n";
    return body + "--" + kBoundary + "--\r\n";
}
}  // namespace

// Each kind of route has its named limits: the report intake keeps 8 parts; Open311 POSTs take
// many small fields and at most 6 file parts, whatever their names.
TEST(Multipart, NamedLimitsPerKindOfRoute) {
    EXPECT_EQ(parse_whole(many_parts(6, 2), MultipartLimits::report_intake()), std::nullopt);
    auto nine = parse_whole(many_parts(7, 2), MultipartLimits::report_intake());
    ASSERT_TRUE(nine);
    EXPECT_EQ(nine->status, 413);
    EXPECT_EQ(parse_whole(many_parts(40, 6), MultipartLimits::open311_post()), std::nullopt);
    auto seven = parse_whole(many_parts(12, 7), MultipartLimits::open311_post());
    ASSERT_TRUE(seven);
    EXPECT_EQ(seven->status, 413);
    EXPECT_NE(seven->message.find("more than 6 file parts"), std::string::npos) << seven->message;
    // An ordinary field over 64 KiB is refused on an Open311 route.
    auto big = parse_whole(simple_body("Content-Disposition: form-data; name=\"description\"\r\n",
                                       std::string(multipart_limits::kOpen311FieldBytes + 1, 'd')),
                           MultipartLimits::open311_post());
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 413);
}

// Spooling (media/spool.hpp): parts allowed more than the in-memory limit go to files as they
// arrive; what is read back is byte for byte what an in-memory parse keeps.
namespace {

struct SpoolDir {
    std::string path;
    SpoolDir() {
        path = "/tmp/civic-spool-test-XXXXXX";
        if (!::mkdtemp(path.data())) throw std::runtime_error("mkdtemp");
    }
    ~SpoolDir() { std::filesystem::remove_all(path); }
};

void expect_sample_parts_spooled(const std::vector<MultipartPart>& parts) {
    ASSERT_EQ(parts.size(), 3u);
    // The sample's meta is named in no limit and so is allowed the default 10 MiB: spooled too.
    for (const auto& part : parts) {
        ASSERT_TRUE(part.file) << part.name;
        EXPECT_TRUE(part.data.empty());
    }
    EXPECT_EQ(parts[0].bytes().value(), "{\"category\":\"road\",\"description\":\"pothole\\r\\n--x\"}");
    EXPECT_EQ(parts[1].bytes().value(),
              "\xff\xd8\r\n--civicBoundary7MA4YWxk\r\r\n\r\n-\r\n------civicBoundary7MA4YWx\xff\xd9");
    EXPECT_EQ(parts[1].size(), parts[1].bytes().value().size());
    EXPECT_EQ(parts[2].bytes().value(), "");
}

}  // namespace

TEST(MultipartSpool, SampleSplitInTwoAtEveryOffsetReadsBackTheSameBytes) {
    SpoolDir dir;
    const std::string body = sample_body();
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
        SCOPED_TRACE("cut at " + std::to_string(cut));
        MultipartParser parser(kBoundary, {});
        parser.spool_to(dir.path);
        const std::string_view whole(body);
        ASSERT_EQ(parse(parser, {whole.substr(0, cut), whole.substr(cut)}), std::nullopt);
        expect_sample_parts_spooled(parser.parts());
    }
    // Spool files are unlinked when created: nothing is left in the folder, whatever happens later.
    EXPECT_TRUE(std::filesystem::is_empty(dir.path));
}

TEST(MultipartSpool, SampleByteByByte) {
    SpoolDir dir;
    MultipartParser parser(kBoundary, {});
    parser.spool_to(dir.path);
    for (char c : sample_body()) ASSERT_EQ(parser.feed(std::string_view(&c, 1)), std::nullopt);
    ASSERT_EQ(parser.finish(), std::nullopt);
    expect_sample_parts_spooled(parser.parts());
}

TEST(MultipartSpool, OnlyPartsAllowedMoreThanTheInMemoryLimitAreSpooled) {
    SpoolDir dir;
    MultipartParser parser(kBoundary, MultipartLimits::report_intake());
    parser.spool_to(dir.path);
    ASSERT_EQ(parse(parser, {sample_body()}), std::nullopt);
    const auto& parts = parser.parts();
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_FALSE(parts[0].file);  // meta: 64 KiB at most, kept in memory
    EXPECT_EQ(parts[0].data, "{\"category\":\"road\",\"description\":\"pothole\\r\\n--x\"}");
    EXPECT_TRUE(parts[1].file);
}

TEST(MultipartSpool, LargePartCrossesTheWriteBufferManyTimes) {
    SpoolDir dir;
    // Data with CRs and partial delimiters throughout, several times the write buffer; the filler
    // bytes occur nowhere in the boundary, so no full delimiter can form.
    std::string data;
    for (std::size_t i = 0; data.size() < 5 * kSpoolBufferBytes + 17; ++i) {
        if (i % 7 == 0)
            data += "\r\n--" + kBoundary.substr(0, i % kBoundary.size());
        else
            data += "!@#$%^&*"[i % 8];
    }
    const auto body = simple_body("Content-Disposition: form-data; name=photo; filename=p.jpg\r\n", data);
    for (std::size_t chunk : {1u, 3u, 4096u, 65536u, 70000u}) {
        SCOPED_TRACE("chunk " + std::to_string(chunk));
        MultipartParser parser(kBoundary, MultipartLimits::report_intake());
        parser.spool_to(dir.path);
        for (std::size_t at = 0; at < body.size(); at += chunk)
            ASSERT_EQ(parser.feed(std::string_view(body).substr(at, chunk)), std::nullopt);
        ASSERT_EQ(parser.finish(), std::nullopt);
        ASSERT_EQ(parser.parts().size(), 1u);
        EXPECT_EQ(parser.parts()[0].size(), data.size());
        EXPECT_EQ(parser.parts()[0].bytes().value(), data);
    }
}

TEST(MultipartSpool, OversizeSpooledPartIsRefusedAtTheCrossingByte) {
    SpoolDir dir;
    MultipartLimits limits;
    limits.max_part_bytes = 100'000;
    MultipartParser parser(kBoundary, limits);
    parser.spool_to(dir.path);
    const auto body = simple_body("Content-Disposition: form-data; name=a; filename=x\r\n", std::string(100'001, 'x'));
    const auto err = parse(parser, {body});
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 413);
}

TEST(MultipartSpool, AMissingSpoolFolderIsA503) {
    MultipartParser parser(kBoundary, {});
    parser.spool_to("/nonexistent/civic-spool");
    const auto err = parse(parser, {simple_body("Content-Disposition: form-data; name=a; filename=x\r\n", "x")});
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 503);
    EXPECT_EQ(err->code, "unavailable");
}

TEST(MultipartSpool, SpooledMemoryBoundCoversTheFieldsAndOneBuffer) {
    const auto& report = MultipartLimits::report_intake();
    EXPECT_EQ(MultipartParser::spooled_memory_bound(report),
              report.max_parts * (multipart_limits::kMaxInMemoryPartBytes + report.max_part_header_bytes) +
                  kSpoolBufferBytes);
    EXPECT_LT(MultipartParser::spooled_memory_bound(report), 1u << 20);
    EXPECT_LT(MultipartParser::spooled_memory_bound(MultipartLimits::open311_post()), 6u << 20);
}
