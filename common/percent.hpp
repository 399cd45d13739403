#pragma once
// Percent-decoding (RFC 3986), for request targets and query strings (http/) and for the query
// of a `--photos s3://…` URL (store/).
#include <optional>
#include <string>
#include <string_view>

namespace civic {

// nullopt when an escape is malformed (not two hex digits); `plus_is_space` for form encoding.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// The same rules, written into `out` (replaced, its capacity kept: a connection refills the same
// strings request after request). A text with no '%' (and no '+' when `plus_is_space`) is copied
// as it is. False when an escape is malformed; `out` then holds a prefix of the decoding.
bool percent_decode_into(std::string_view text, bool plus_is_space, std::string& out);

}  // namespace civic
