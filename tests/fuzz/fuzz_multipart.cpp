// Fuzzes the streaming multipart/form-data parser (server/http/multipart.*) and the boundary
// extraction from the Content-Type header.
// Input: "<Content-Type value>\n" <split seed byte> <body bytes>.
//
// Properties beyond "no crash, no UB":
//  - an accepted boundary is 1..70 characters of RFC 2046 bchars, not ending in a space;
//  - feeding the body in one piece or in random chunks (including empty ones, chosen by the
//    seed) gives the same outcome: the same error status/code, or the same parts;
//  - accepted → complete(), at most max_parts parts, each within its (per-name) limit, and the
//    part data adds up to no more than the body;
//  - once an error is returned, every later feed()/finish() returns that same error;
//  - the chunked run spools parts allowed more than 256 bytes to files (media/spool.hpp): the
//    parts read back are the same bytes as the whole run's in memory.
// The limits are small so that every limit check is reached within short inputs.
#include "fuzz_support.hpp"
#include "server/media/multipart.hpp"

#include <cstdlib>
#include <string>
#include <vector>

using namespace civic;

namespace {

MultipartLimits small_limits() {
    MultipartLimits l;
    l.max_parts = 4;
    l.max_part_header_bytes = 512;
    l.max_part_bytes = 2048;
    l.max_body_bytes = 16 * 1024;
    l.max_part_bytes_by_name = {{"meta", 256}};
    return l;
}

bool is_bchar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

struct Outcome {
    std::optional<MediaError> error;
    std::vector<MultipartPart> parts;
};

// A spool folder for the whole run, made once.
const std::string& spool_dir() {
    static const std::string dir = [] {
        std::string d = "/tmp/fuzz-multipart-spool-XXXXXX";
        if (!::mkdtemp(d.data())) std::abort();
        return d;
    }();
    return dir;
}

constexpr std::size_t kFuzzSpoolAbove = 256;

Outcome run(const std::string& boundary, std::string_view body, const std::vector<std::size_t>& cuts, bool spool) {
    MultipartParser parser(boundary, small_limits());
    if (spool) parser.spool_to(spool_dir(), kFuzzSpoolAbove);
    Outcome out;
    std::size_t at = 0;
    for (std::size_t cut : cuts) {
        if (auto e = parser.feed(body.substr(at, cut - at))) {
            out.error = e;
            break;
        }
        at = cut;
    }
    if (!out.error) out.error = parser.feed(body.substr(at));
    if (!out.error) {
        out.error = parser.finish();
        if (!out.error) FUZZ_CHECK(parser.complete());
    }
    if (out.error) {
        // Sticky: the caller may keep calling after an error and must keep seeing it.
        FUZZ_CHECK(parser.feed("more") == out.error);
        FUZZ_CHECK(parser.finish() == out.error);
        FUZZ_CHECK(out.error->status == 400 || out.error->status == 413 || (spool && out.error->status == 503));
    }
    out.parts = parser.take_parts();
    return out;
}

bool same_part(const MultipartPart& a, const MultipartPart& b) {
    const auto a_bytes = a.bytes();
    const auto b_bytes = b.bytes();
    return a.name == b.name && a.filename == b.filename && a.content_type == b.content_type && a_bytes && b_bytes &&
           a_bytes.value() == b_bytes.value() && a.size() == b.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Cursor in(data, size);
    const auto content_type = in.until('\n');
    std::uint32_t seed = in.byte() | 1u;
    const std::string_view body = in.rest();

    std::string boundary = "civicFuzzBoundary";
    const auto parsed = multipart_boundary(content_type);
    if (parsed) {
        boundary = parsed.value();
        FUZZ_CHECK(!boundary.empty() && boundary.size() <= multipart_limits::kMaxBoundaryChars);
        for (char c : boundary) FUZZ_CHECK(is_bchar(c));
        FUZZ_CHECK(boundary.back() != ' ');
    } else {
        FUZZ_CHECK(parsed.error().status == 400);
    }

    const auto whole = run(boundary, body, {}, false);

    std::vector<std::size_t> cuts;
    for (std::size_t at = 0; at < body.size();) {
        seed ^= seed << 13;  // xorshift32: cheap, deterministic chunk sizes from one byte
        seed ^= seed >> 17;
        seed ^= seed << 5;
        at += seed % 8 == 0 ? 0 : seed % 97;  // some empty chunks, mostly short ones
        cuts.push_back(std::min(at, body.size()));
        if (cuts.size() > 4096) break;
    }
    const auto chunked = run(boundary, body, cuts, true);

    FUZZ_CHECK(whole.error.has_value() == chunked.error.has_value());
    if (whole.error) {
        FUZZ_CHECK(whole.error->status == chunked.error->status && whole.error->code == chunked.error->code);
        return 0;
    }
    const auto limits = small_limits();
    FUZZ_CHECK(whole.parts.size() == chunked.parts.size());
    FUZZ_CHECK(whole.parts.size() <= limits.max_parts);
    std::size_t total = 0;
    for (std::size_t i = 0; i < whole.parts.size(); ++i) {
        const auto& p = whole.parts[i];
        FUZZ_CHECK(same_part(p, chunked.parts[i]));
        // Spooled exactly when its limit is above the in-memory one.
        const auto named_limit = limits.max_part_bytes_by_name.find(p.name);
        FUZZ_CHECK(!chunked.parts[i].file || chunked.parts[i].data.empty());
        if (named_limit != limits.max_part_bytes_by_name.end()) FUZZ_CHECK(!chunked.parts[i].file);
        const auto named = limits.max_part_bytes_by_name.find(p.name);
        FUZZ_CHECK(p.data.size() <=
                   (named == limits.max_part_bytes_by_name.end() ? limits.max_part_bytes : named->second));
        FUZZ_CHECK(!p.content_type.empty());
        total += p.data.size();
    }
    FUZZ_CHECK(total <= body.size());
    return 0;
}
