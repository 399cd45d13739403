#include "server/http/response_head.hpp"

#include <ostream>  // before Beast's header-only status code, whose operator<< needs it

#include <boost/beast/http/status.hpp>

#include <charconv>

namespace civic::http {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

void field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ", 2);
    out.append(value);
    out.append("\r\n", 2);
}

void number(std::string& out, std::uint64_t value) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

void write_response_head(std::string& out, const ResponseHead& head) {
    out.clear();  // keeps its capacity: a connection's later answers reuse it
    out.append("HTTP/1.1 ", 9);
    number(out, static_cast<std::uint64_t>(head.status));
    out.push_back(' ');
    const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(head.status));
    out.append(reason.data(), reason.size());
    out.append("\r\n", 2);
    field(out, "Content-Type", head.content_type);
    field(out, "X-Request-Id", head.request_id);
    field(out, "X-Content-Type-Options", "nosniff");
    bool has_cache_control = false;
    if (head.headers) {
        for (const auto& [name, value] : *head.headers) {
            field(out, name, value);
            if (equals_ignoring_case(name, "cache-control")) has_cache_control = true;
        }
    }
    if (!has_cache_control) field(out, "Cache-Control", "no-store");
    if (!head.keep_alive) field(out, "Connection", "close");
    if (head.content_length) {
        out.append("Content-Length: ", 16);
        number(out, *head.content_length);
        out.append("\r\n", 2);
    }
    out.append("\r\n", 2);
}

}  // namespace civic::http
