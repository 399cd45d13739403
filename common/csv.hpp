#pragma once
// CSV as RFC 4180 writes it: fields separated by commas, records ended by CRLF; a field holding
// a comma, a double quote, CR or LF is enclosed in double quotes, its quotes doubled. Bytes are
// passed through unchanged (UTF-8 stays UTF-8).
#include <string>
#include <string_view>
#include <vector>

namespace civic::csv {

std::string field(std::string_view value);
// One record, CRLF included.
std::string record(const std::vector<std::string>& fields);

}  // namespace civic::csv
