// Fuzzes JSON request-body decoding: the hardened parser (common/json.*: depth pre-scan, strict
// UTF-8), the UTF-8 helpers (common/utf8.*) and the field decoders every handler uses
// (server/api/input.*). Input: the request body.
//
// Properties beyond "no crash, no UB":
//  - jsonutil::parse accepts only valid UTF-8, never nesting deeper than the limit, and what it
//    accepts survives dump → parse unchanged;
//  - utf8::valid agrees with an independent RFC 3629 decoder, and utf8::length with its count;
//  - json_body accepts exactly the parsed objects; every other body is a 400 bad_request;
//  - each field decoder either returns a value within the asked bounds (ints and numbers in
//    [min, max] and finite, id lists short enough and positive) or throws 400 invalid_field
//    naming that very field — never any other exception.
#include "common/errors.hpp"
#include "common/json.hpp"
#include "common/utf8.hpp"
#include "fuzz_support.hpp"
#include "server/api/input.hpp"

#include <cmath>
#include <string>

using namespace civic;
using nlohmann::json;

namespace {

// Independent strict UTF-8 decoder: code points, or -1 on any malformed sequence.
long reference_utf8_count(std::string_view s) {
    long count = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        if (b < 0x80) {
            n = 1;
            cp = b;
        } else if ((b & 0xE0) == 0xC0) {
            n = 2;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            n = 3;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            n = 4;
            cp = b & 0x07;
        } else
            return -1;
        if (i + n > s.size()) return -1;
        for (std::size_t k = 1; k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return -1;
            cp = (cp << 6) | (c & 0x3F);
        }
        static constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMinForLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
        ++count;
        i += n;
    }
    return count;
}

int depth(const json& j) {
    int d = 0;
    if (j.is_array() || j.is_object())
        for (const auto& child : j) d = std::max(d, depth(child));
    return j.is_array() || j.is_object() ? d + 1 : 0;
}

// Runs one decoder on `field`; a rejection must be 400 invalid_field naming the field.
template <class F>
void decode(const char* field, F&& f) {
    try {
        f();
    } catch (const ApiError& e) {
        FUZZ_CHECK(e.status() == 400 && e.code() == "invalid_field" && e.field() == field);
    }
}

void decode_fields(const json& obj, const char* field) {
    decode(field, [&] { (void)api::require_string(obj, field); });
    decode(field, [&] { (void)api::optional_string(obj, field); });
    decode(field, [&] {
        const auto v = api::require_int(obj, field, 1, 1000);
        FUZZ_CHECK(v >= 1 && v <= 1000);
    });
    decode(field, [&] {
        const auto v = api::optional_int(obj, field, INT64_MIN, INT64_MAX);
        (void)v;
    });
    decode(field, [&] {
        const auto v = api::require_number(obj, field, -90.0, 90.0);
        FUZZ_CHECK(std::isfinite(v) && v >= -90.0 && v <= 90.0);
    });
    decode(field, [&] { (void)api::optional_bool(obj, field, false); });
    decode(field, [&] {
        const auto ids = api::optional_id_list(obj, field, 20);
        FUZZ_CHECK(ids.size() <= 20);
        for (auto id : ids) FUZZ_CHECK(id >= 1);
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const long ref = reference_utf8_count(text);
    FUZZ_CHECK(utf8::valid(text) == (ref >= 0));
    if (ref >= 0) FUZZ_CHECK(utf8::length(text) == static_cast<std::size_t>(ref));
    (void)utf8::has_control_chars(text, true);

    const auto parsed = jsonutil::parse(text);
    if (parsed) {
        FUZZ_CHECK(ref >= 0);
        FUZZ_CHECK(depth(*parsed) <= jsonutil::kMaxDepth);
        const auto dumped = jsonutil::dump(*parsed);
        const auto back = jsonutil::parse(dumped);
        FUZZ_CHECK(back && *back == *parsed);
    }

    http::Request req;
    req.headers.emplace_back("content-type", "application/json; charset=utf-8");
    req.body = std::string(text);
    json body;
    try {
        body = api::json_body(req);
    } catch (const ApiError& e) {
        FUZZ_CHECK(e.status() == 400 && e.code() == "bad_request");
        FUZZ_CHECK(!parsed || !parsed->is_object());
        return 0;
    }
    FUZZ_CHECK(parsed && parsed->is_object());

    // The decoders on every field the body has (bounded), and on fields the API uses.
    std::vector<std::string> fields;
    for (const auto& item : body.items()) {
        if (fields.size() == 16) break;
        fields.push_back(item.key());
    }
    for (const auto& f : fields) decode_fields(body, f.c_str());
    for (const char* f : {"category", "lat", "lon", "items", "token", "points", "name"}) decode_fields(body, f);
    return 0;
}
