#include "server/media/multipart.hpp"

#include <algorithm>
#include <utility>

namespace civic {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kHeaderBlockEnd = "\r\n\r\n";
constexpr std::string_view kDefaultPartContentType = "text/plain";

bool is_tchar(char c) {  // RFC 9110 token characters
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_bchar(char c) {  // RFC 2046 §5.1.1 boundary characters
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

void skip_spaces(std::string_view& s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
}

std::string_view take_token(std::string_view& s) {
    std::size_t n = 0;
    while (n < s.size() && is_tchar(s[n])) ++n;
    std::string_view token = s.substr(0, n);
    s.remove_prefix(n);
    return token;
}

// quoted-string with quoted-pair escapes; `s` starts at the opening quote.
std::optional<std::string> take_quoted(std::string_view& s) {
    std::string out;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"') {
            s.remove_prefix(i + 1);
            return out;
        }
        if (c == '\\') {
            if (++i == s.size()) return std::nullopt;
            out.push_back(s[i]);
        } else {
            out.push_back(c);
        }
    }
    return std::nullopt;  // no closing quote
}

// A header value of the form `value *( ";" name "=" ( token / quoted-string ) )`, the shape of
// both Content-Type and Content-Disposition. Parameter names are lowercased; a name given
// twice makes the value ambiguous and is refused.
struct HeaderValue {
    std::string head;  // lowercased
    std::map<std::string, std::string, std::less<>> params;
};

// What comes before the first ';' (a Content-Type's media type), trimmed and lowercased.
std::string value_head(std::string_view s) { return lowercase(trim(s.substr(0, std::min(s.find(';'), s.size())))); }

std::optional<HeaderValue> parse_header_value(std::string_view s) {
    HeaderValue out;
    out.head = value_head(s);
    s.remove_prefix(std::min(s.find(';'), s.size()));
    for (;;) {
        skip_spaces(s);
        if (s.empty()) return out;
        if (s.front() != ';') return std::nullopt;
        s.remove_prefix(1);
        skip_spaces(s);
        if (s.empty()) return out;  // a trailing ';' is harmless
        const std::string name = lowercase(take_token(s));
        skip_spaces(s);
        if (name.empty() || s.empty() || s.front() != '=') return std::nullopt;
        s.remove_prefix(1);
        skip_spaces(s);
        std::string value;
        if (!s.empty() && s.front() == '"') {
            auto quoted = take_quoted(s);
            if (!quoted) return std::nullopt;
            value = std::move(*quoted);
        } else {
            value = std::string(take_token(s));
            if (value.empty()) return std::nullopt;
        }
        if (!out.params.emplace(name, std::move(value)).second) return std::nullopt;
    }
}

bool valid_boundary(std::string_view b) {
    if (b.empty() || b.size() > multipart_limits::kMaxBoundaryChars || b.back() == ' ') return false;
    return std::all_of(b.begin(), b.end(), is_bchar);
}

// Header lines may carry HT but no other control character: a bare CR or LF inside a line
// would let a part smuggle a header past another parser.
bool valid_header_line(std::string_view line) {
    return std::none_of(line.begin(), line.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

std::string size_text(std::size_t bytes) { return std::to_string(bytes) + " bytes"; }

}  // namespace

const MultipartLimits& MultipartLimits::report_intake() {
    static const MultipartLimits limits = [] {
        MultipartLimits l;
        l.max_part_bytes_by_name.emplace("meta", multipart_limits::kMetaPartBytes);
        return l;
    }();
    return limits;
}

const MultipartLimits& MultipartLimits::open311_post() {
    static const MultipartLimits limits = [] {
        MultipartLimits l;
        l.max_parts = multipart_limits::kOpen311MaxParts;
        l.max_file_parts = multipart_limits::kOpen311MaxFileParts;
        l.max_field_bytes = multipart_limits::kOpen311FieldBytes;
        return l;
    }();
    return limits;
}

MediaResult<std::string> MultipartPart::bytes() const {
    if (file) return file->read_all();
    return data;
}

std::size_t MultipartParser::spooled_memory_bound(const MultipartLimits& limits) {
    return limits.max_parts * std::min(multipart_limits::kMaxInMemoryPartBytes + limits.max_part_header_bytes,
                                       limits.max_part_bytes + limits.max_part_header_bytes) +
           kSpoolBufferBytes;
}

bool MultipartPart::is_file() const {
    if (filename) return true;
    return value_head(content_type) != kDefaultPartContentType;
}

MediaResult<std::string> multipart_boundary(std::string_view content_type) {
    const auto value = parse_header_value(content_type);
    if (!value) return MediaError::bad_request("malformed Content-Type header");
    if (value->head != "multipart/form-data") return MediaError::bad_request("expected multipart/form-data");
    const auto it = value->params.find("boundary");
    if (it == value->params.end()) return MediaError::bad_request("multipart boundary missing");
    if (!valid_boundary(it->second)) return MediaError::bad_request("invalid multipart boundary");
    return it->second;
}

MultipartParser::MultipartParser(std::string boundary, MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), limits_(std::move(limits)) {
    // The first delimiter may open the body with no CRLF before it: start as if one was read.
    matched_ = kCrlf.size();
    if (!valid_boundary(boundary)) fail(MediaError::bad_request("invalid multipart boundary"));
}

std::optional<MediaError> MultipartParser::fail(MediaError e) {
    state_ = State::failed;
    error_ = std::move(e);
    return error_;
}

std::optional<MediaError> MultipartParser::feed(std::string_view chunk) {
    if (error_) return error_;
    if (chunk.size() > limits_.max_body_bytes - body_bytes_) {
        return fail(MediaError::too_large("request body is larger than " + size_text(limits_.max_body_bytes)));
    }
    body_bytes_ += chunk.size();
    return consume(chunk);
}

std::optional<MediaError> MultipartParser::finish() {
    if (error_) return error_;
    if (state_ != State::epilogue)
        return fail(MediaError::bad_request("multipart body ends before its closing boundary"));
    return std::nullopt;
}

std::optional<MediaError> MultipartParser::consume(std::string_view& in) {
    while (!in.empty()) {
        std::optional<MediaError> err;
        switch (state_) {
            case State::preamble:
                err = scan_for_delimiter(in, false);
                break;
            case State::body:
                err = scan_for_delimiter(in, true);
                break;
            case State::headers:
                err = on_header_bytes(in);
                break;
            case State::after_delimiter:
            case State::close_dash:
            case State::padding:
            case State::padding_cr:
                err = on_delimiter_line_byte(in.front());
                in.remove_prefix(1);
                break;
            case State::epilogue:
                in = {};
                break;
            case State::failed:
                return error_;
        }
        if (err) return fail(std::move(*err));
    }
    return std::nullopt;
}

// Looks for "CRLF--boundary" one byte at a time, carrying the partial match across chunks.
// The delimiter's first byte (CR) occurs nowhere else in it (boundaries hold no CR), so on a
// mismatch the bytes matched so far are plain data and matching restarts at the current
// byte: no byte is ever examined twice, whatever the input (no quadratic rescans).
std::optional<MediaError> MultipartParser::scan_for_delimiter(std::string_view& in, bool keep_data) {
    while (!in.empty()) {
        if (matched_ == 0) {
            const std::size_t cr = std::min(in.find('\r'), in.size());
            if (keep_data) {
                if (auto err = append_data(in.substr(0, cr))) return err;
            }
            in.remove_prefix(cr);
            if (in.empty()) break;
        }
        if (in.front() == delimiter_[matched_]) {
            in.remove_prefix(1);
            if (++matched_ == delimiter_.size()) {
                matched_ = 0;
                state_ = State::after_delimiter;
                if (keep_data && parts_.back().file) {  // the part is complete: nothing left buffered
                    if (auto err = parts_.back().file->flush()) return err;
                }
                break;
            }
            continue;
        }
        if (keep_data) {
            if (auto err = append_data(std::string_view(delimiter_).substr(0, matched_))) return err;
        }
        matched_ = 0;  // the current byte is looked at again: it may be a CR
    }
    return std::nullopt;
}

// After the boundary: "--" closes the body; otherwise optional spaces/tabs, then CRLF and
// the next part's headers. Anything else means the boundary text occurred inside the
// content, which RFC 2046 forbids; such a body is ambiguous and is refused.
std::optional<MediaError> MultipartParser::on_delimiter_line_byte(char c) {
    const auto junk = [] { return MediaError::bad_request("unexpected bytes after a multipart boundary"); };
    switch (state_) {
        case State::after_delimiter:
            if (c == '-')
                state_ = State::close_dash;
            else if (is_space(c))
                state_ = State::padding;
            else if (c == '\r')
                state_ = State::padding_cr;
            else
                return junk();
            return std::nullopt;
        case State::close_dash:
            if (c != '-') return junk();
            state_ = State::epilogue;
            return std::nullopt;
        case State::padding:
            if (c == '\r')
                state_ = State::padding_cr;
            else if (!is_space(c))
                return junk();
            return std::nullopt;
        case State::padding_cr:
            if (c != '\n') return junk();
            return start_part();
        default:
            return junk();
    }
}

std::optional<MediaError> MultipartParser::start_part() {
    if (parts_.size() >= limits_.max_parts) {
        return MediaError::too_large("more than " + std::to_string(limits_.max_parts) + " multipart parts");
    }
    parts_.emplace_back();
    // Keep the CRLF that ended the boundary line in front of the headers, so that "no header
    // at all" is found by the same search for CRLF CRLF as the end of a header block.
    header_block_.assign(kCrlf);
    state_ = State::headers;
    return std::nullopt;
}

std::optional<MediaError> MultipartParser::on_header_bytes(std::string_view& in) {
    const std::size_t limit = limits_.max_part_header_bytes + kCrlf.size();
    const std::size_t old_size = header_block_.size();
    // Take at most one byte past the limit: enough to notice the limit was crossed.
    const std::size_t take = std::min(in.size(), limit + 1 - old_size);
    header_block_.append(in.substr(0, take));
    const std::size_t search_from =
        old_size >= kHeaderBlockEnd.size() - 1 ? old_size - (kHeaderBlockEnd.size() - 1) : 0;
    const std::size_t end = header_block_.find(kHeaderBlockEnd, search_from);
    if (end == std::string::npos || end + kHeaderBlockEnd.size() > limit) {
        in.remove_prefix(take);
        if (header_block_.size() > limit) {
            return MediaError::too_large("multipart part headers are larger than " +
                                         size_text(limits_.max_part_header_bytes));
        }
        return std::nullopt;
    }
    in.remove_prefix(end + kHeaderBlockEnd.size() - old_size);
    const auto err = parse_part_headers(std::string_view(header_block_).substr(kCrlf.size(), end));
    header_block_.clear();
    if (err) return err;
    state_ = State::body;
    return std::nullopt;
}

// `block` is the header lines, each ending in CRLF (empty when the part has no header).
std::optional<MediaError> MultipartParser::parse_part_headers(std::string_view block) {
    MultipartPart& part = parts_.back();
    bool saw_disposition = false;
    bool saw_type = false;
    while (!block.empty()) {
        const std::size_t eol = block.find(kCrlf);  // present: every line ends in CRLF
        const std::string_view line = block.substr(0, eol);
        block.remove_prefix(eol + kCrlf.size());
        if (line.empty() || is_space(line.front())) return MediaError::bad_request("folded multipart header line");
        if (!valid_header_line(line)) return MediaError::bad_request("control character in a multipart header");
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) return MediaError::bad_request("multipart header line without a colon");
        std::string_view name_part = line.substr(0, colon);
        if (take_token(name_part).empty() || !name_part.empty())
            return MediaError::bad_request("invalid multipart header name");
        const std::string name = lowercase(line.substr(0, colon));
        const std::string_view value = trim(line.substr(colon + 1));

        if (name == "content-disposition") {
            if (std::exchange(saw_disposition, true)) return MediaError::bad_request("repeated Content-Disposition");
            const auto disposition = parse_header_value(value);
            if (!disposition || disposition->head != "form-data") {
                return MediaError::bad_request("malformed multipart Content-Disposition");
            }
            if (auto it = disposition->params.find("name"); it != disposition->params.end()) part.name = it->second;
            if (auto it = disposition->params.find("filename"); it != disposition->params.end())
                part.filename = it->second;
        } else if (name == "content-type") {
            if (std::exchange(saw_type, true))
                return MediaError::bad_request("repeated Content-Type in a multipart part");
            // No media type (an empty value, or parameters alone) declares none: RFC 7578's default.
            part.content_type = std::string(value_head(value).empty() ? kDefaultPartContentType : value);
        } else if (name == "content-transfer-encoding") {
            // Deprecated by RFC 7578 §4.7; refuse encodings we would have to undo.
            const std::string encoding = lowercase(value);
            if (encoding != "binary" && encoding != "8bit" && encoding != "7bit") {
                return MediaError::bad_request("unsupported Content-Transfer-Encoding");
            }
        }
        // Other part headers carry nothing for form data and are ignored.
    }
    if (!saw_disposition) return MediaError::bad_request("multipart part without Content-Disposition");
    if (part.name.empty()) return MediaError::bad_request("multipart part without a name");
    if (!saw_type) part.content_type = std::string(kDefaultPartContentType);

    const bool file = part.is_file();
    if (file && ++file_parts_ > limits_.max_file_parts)
        return MediaError::too_large("more than " + std::to_string(limits_.max_file_parts) + " file parts (photos)");
    const auto by_name = limits_.max_part_bytes_by_name.find(part.name);
    part_limit_ = by_name != limits_.max_part_bytes_by_name.end() ? by_name->second
                  : file                                          ? limits_.max_part_bytes
                         : limits_.max_field_bytes.value_or(limits_.max_part_bytes);
    if (!spool_dir_.empty() && part_limit_ > spool_above_) {
        auto file = SpooledFile::create(spool_dir_);
        if (!file) return file.error();
        part.file = std::move(file.value());
    }
    return std::nullopt;
}

std::optional<MediaError> MultipartParser::append_data(std::string_view bytes) {
    MultipartPart& part = parts_.back();
    if (bytes.size() > part_limit_ - part.size()) {
        return MediaError::too_large("multipart part '" + part.name + "' is larger than " + size_text(part_limit_));
    }
    if (part.file) return part.file->append(bytes);
    part.data.append(bytes);
    return std::nullopt;
}

}  // namespace civic
