#pragma once
// Percent-decoding (RFC 3986), for request targets and query strings (http/) and for the query
// of a `--photos s3://…` URL (store/).
#include <optional>
#include <string>
#include <string_view>

namespace civic {

// nullopt when an escape is malformed (not two hex digits); `plus_is_space` for form encoding.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace civic
