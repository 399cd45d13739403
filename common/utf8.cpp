#include "common/utf8.hpp"

namespace civic::utf8 {

bool valid(std::string_view s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        auto b0 = static_cast<unsigned char>(s[i]);
        if (b0 < 0x80) {
            ++i;
            continue;
        }
        // The allowed range of the second byte encodes the overlong/surrogate/max rules
        // (RFC 3629 §4); later continuation bytes are always 80..BF.
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            if (b0 == 0xE0)
                lo = 0xA0;  // overlong below U+0800
            else if (b0 == 0xED)
                hi = 0x9F;  // surrogates
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            if (b0 == 0xF0)
                lo = 0x90;  // overlong below U+10000
            else if (b0 == 0xF4)
                hi = 0x8F;  // above U+10FFFF
        } else {
            return false;  // stray continuation, C0/C1 overlong leads, F5..FF
        }
        if (n - i < len) return false;
        auto b1 = static_cast<unsigned char>(s[i + 1]);
        if (b1 < lo || b1 > hi) return false;
        for (std::size_t k = 2; k < len; ++k) {
            auto b = static_cast<unsigned char>(s[i + k]);
            if (b < 0x80 || b > 0xBF) return false;
        }
        i += len;
    }
    return true;
}

std::size_t length(std::string_view s) {
    std::size_t count = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    }
    return count;
}

bool has_control_chars(std::string_view s, bool allow_newlines) {
    // Bytes below 0x80 never occur inside multi-byte sequences, so a byte scan is exact.
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == 0x7F) return true;
        if (c < 0x20) {
            if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) continue;
            return true;
        }
    }
    return false;
}

}  // namespace civic::utf8
