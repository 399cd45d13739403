#include "common/json_writer.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cassert>
#include <charconv>
#include <cmath>

namespace civic::jsonutil {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Bytes that a plain run of ASCII cannot contain: controls, '"', '\\' and every non-ASCII byte.
constexpr bool needs_care(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

void append_control(std::string& out, unsigned char c) {
    switch (c) {
        case '\b':
            out += "\\b";
            return;
        case '\t':
            out += "\\t";
            return;
        case '\n':
            out += "\\n";
            return;
        case '\f':
            out += "\\f";
            return;
        case '\r':
            out += "\\r";
            return;
        default: {
            static constexpr char kHex[] = "0123456789abcdef";
            const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
            out.append(escape, sizeof escape);
        }
    }
}

// A well-formed UTF-8 sequence (Unicode Table 3-7) starting at text[i]: its length, or, when it
// is not one, how many bytes the invalid prefix takes — returned negated. The byte that broke a
// sequence begun by a valid lead is not part of the prefix: it is read again on its own, as
// nlohmann's decoder does. A sequence cut off by the end of the text takes the rest.
int utf8_sequence(std::string_view text, std::size_t i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int continuation = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the first continuation byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        continuation = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        continuation = 2;
        if (lead == 0xE0) low = 0xA0;   // no overlong forms
        if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        continuation = 3;
        if (lead == 0xF0) low = 0x90;   // no overlong forms
        if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    } else {
        return -1;  // a stray continuation byte, C0/C1, or F5..FF
    }
    for (int k = 1; k <= continuation; ++k) {
        if (i + static_cast<std::size_t>(k) >= text.size()) return -static_cast<int>(text.size() - i);
        const auto c = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
        if (c < low || c > high) return -k;
        low = 0x80;
        high = 0xBF;
    }
    return continuation + 1;
}

}  // namespace

void append_quoted(std::string& out, std::string_view text) {
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t run = i;
        while (run < text.size() && !needs_care(static_cast<unsigned char>(text[run]))) ++run;
        out.append(text.data() + i, run - i);
        i = run;
        if (i == text.size()) break;
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else {
                append_control(out, c);
            }
            ++i;
            continue;
        }
        const int length = utf8_sequence(text, i);
        if (length > 0) {
            out.append(text.data() + i, static_cast<std::size_t>(length));
            i += static_cast<std::size_t>(length);
        } else {
            out += kReplacement;
            i += static_cast<std::size_t>(-length);
        }
    }
    out += '"';
}

void JsonWriter::separate() {
    if (need_comma_) out_ += ',';
    need_comma_ = true;
}

JsonWriter& JsonWriter::begin_object() {
    separate();
    assert(depth_ < kMaxDepth);
    ++depth_;
    out_ += '{';
    need_comma_ = false;
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    assert(depth_ > 0);
    --depth_;
    out_ += '}';
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    separate();
    assert(depth_ < kMaxDepth);
    ++depth_;
    out_ += '[';
    need_comma_ = false;
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    assert(depth_ > 0);
    --depth_;
    out_ += ']';
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    separate();
    append_quoted(out_, name);
    out_ += ':';
    need_comma_ = false;  // the value that follows belongs to this key
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
    separate();
    append_quoted(out_, text);
    return *this;
}

JsonWriter& JsonWriter::integer(std::int64_t value) {
    separate();
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
    out_.append(digits.data(), static_cast<std::size_t>(end - digits.data()));
    return *this;
}

JsonWriter& JsonWriter::number(double value) {
    if (!std::isfinite(value)) return null();  // as nlohmann dumps NaN and infinities
    separate();
    // nlohmann's own shortest round-trip formatter, so that both renderings agree to the byte.
    std::array<char, 64> digits{};
    const char* end = nlohmann::detail::to_chars(digits.data(), digits.data() + digits.size(), value);
    out_.append(digits.data(), static_cast<std::size_t>(end - digits.data()));
    return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
    separate();
    out_ += value ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    separate();
    out_ += "null";
    return *this;
}

}  // namespace civic::jsonutil
