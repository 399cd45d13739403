#pragma once
// UTF-8 checks for user-supplied text (titles, descriptions, names).
#include <cstddef>
#include <string_view>

namespace civic::utf8 {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
bool valid(std::string_view s);
// Number of code points; assumes valid(s) (counts non-continuation bytes).
std::size_t length(std::string_view s);
// True if s holds a C0 control (U+0000..U+001F) or DEL (U+007F). With allow_newlines, '\n', '\r'
// and '\t' are allowed. C1 controls (U+0080..U+009F) are not checked.
bool has_control_chars(std::string_view s, bool allow_newlines);

}  // namespace civic::utf8
