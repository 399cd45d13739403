#pragma once
// Streaming multipart/form-data parser (RFC 7578 over RFC 2046). The body is fed in chunks
// of any size as it arrives from the socket; each limit is checked on the byte that crosses
// it, so the caller can stop reading at once. Part data is appended straight into the part,
// never buffered twice; with a spool folder (spool_to), every part allowed more than
// kMaxInMemoryPartBytes (photos) goes to a temporary file instead (media/spool.hpp), so the
// memory a body costs is bounded by its small fields, whatever its size.
#include "server/media/media_result.hpp"
#include "server/media/spool.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic {

namespace multipart_limits {
inline constexpr std::size_t kMaxBoundaryChars = 70;  // RFC 2046 §5.1.1
inline constexpr std::size_t kDefaultMaxParts = 8;
inline constexpr std::size_t kDefaultMaxPartHeaderBytes = 8 * 1024;  // all header lines of one part
inline constexpr std::size_t kDefaultMaxPartBytes = 10u << 20;       // one photo
inline constexpr std::size_t kDefaultMaxBodyBytes = 64u << 20;       // the whole request body
inline constexpr std::size_t kMetaPartBytes = 64 * 1024;             // the JSON `meta` part
// With a spool folder: a part allowed more than this goes to a file, a smaller one stays in memory.
inline constexpr std::size_t kMaxInMemoryPartBytes = 64 * 1024;
// Open311 POSTs (FixMyStreet sends 10–20 fields plus attribute[…], and photos in file parts).
inline constexpr std::size_t kOpen311MaxParts = 64;
inline constexpr std::size_t kOpen311MaxFileParts = 6;        // API.md §10: up to 6 photos
inline constexpr std::size_t kOpen311FieldBytes = 64 * 1024;  // a 4,000-character description fits
}  // namespace multipart_limits

struct MultipartLimits {
    std::size_t max_parts = multipart_limits::kDefaultMaxParts;
    std::size_t max_part_header_bytes = multipart_limits::kDefaultMaxPartHeaderBytes;
    std::size_t max_part_bytes = multipart_limits::kDefaultMaxPartBytes;  // a file part (see is_file)
    std::optional<std::size_t> max_field_bytes;  // a part that is no file; unset: max_part_bytes
    std::size_t max_file_parts = multipart_limits::kDefaultMaxParts;
    std::size_t max_body_bytes = multipart_limits::kDefaultMaxBodyBytes;
    // Per part name, overrides max_part_bytes (e.g. {"meta", 64 KiB}).
    std::map<std::string, std::size_t, std::less<>> max_part_bytes_by_name;

    // The named sets, one per kind of route (a route points at one: http::Route::multipart).
    // The report intake (API.md §4): 8 parts, 64 KiB `meta`, 10 MiB per photo, 64 MiB body.
    static const MultipartLimits& report_intake();
    // Open311 POSTs (API.md §10): 64 parts, of which up to 6 file parts of 10 MiB; other parts
    // 64 KiB each; 64 MiB body.
    static const MultipartLimits& open311_post();
};

struct MultipartPart {
    std::string name;
    std::optional<std::string> filename;  // informational only: never use it as a path
    std::string content_type;             // "text/plain" when the part declares no media type (RFC 7578 §4.4)
    std::string data;                     // the bytes, unless spooled
    std::shared_ptr<SpooledFile> file;    // the bytes, when spooled to disk (data stays empty)

    std::size_t size() const noexcept { return file ? file->size() : data.size(); }
    // The bytes, wherever they are (a spooled part is read back from its file; 503 on a read error).
    MediaResult<std::string> bytes() const;

    // A part holding a file rather than a form field: it has a filename, or a Content-Type other
    // than the text/plain of plain fields (RFC 7578 §4.2, §4.4).
    bool is_file() const;
};

// The boundary of a `multipart/form-data` Content-Type header value, quoted or not; 400 when
// the type is another one or the boundary is missing, longer than 70 characters or holds a
// character RFC 2046 does not allow.
MediaResult<std::string> multipart_boundary(std::string_view content_type);

class MultipartParser {
public:
    MultipartParser(std::string boundary, MultipartLimits limits);

    // Parts allowed more than `in_memory_limit` bytes are written to unlinked temporary files in
    // `dir` as they arrive (a failing disk is a 503 from feed). Call before the first feed.
    void spool_to(std::string dir, std::size_t in_memory_limit = multipart_limits::kMaxInMemoryPartBytes) {
        spool_dir_ = std::move(dir);
        spool_above_ = in_memory_limit;
    }

    // What the parts hold in memory at most, with a spool folder: every part at the in-memory
    // limit, plus one write buffer (the one part being spooled).
    static std::size_t spooled_memory_bound(const MultipartLimits& limits);

    // Consumes the next chunk of the body. Returns the first error met (413 for a crossed
    // limit, 400 for malformed input); once an error is returned every later call returns it.
    std::optional<MediaError> feed(std::string_view chunk);

    // Call at the end of the body: 400 unless the closing boundary was seen.
    std::optional<MediaError> finish();

    // True once the closing boundary has been read; any further bytes are epilogue.
    bool complete() const noexcept { return state_ == State::epilogue; }

    const std::vector<MultipartPart>& parts() const noexcept { return parts_; }
    std::vector<MultipartPart> take_parts() { return std::move(parts_); }

private:
    enum class State {
        preamble,         // before the first delimiter: ignored
        after_delimiter,  // just read "CRLF--boundary": "--", padding, or CRLF follows
        close_dash,       // read the first '-' of "--"
        padding,          // transport padding (spaces, tabs) before CRLF
        padding_cr,       // read the CR ending the delimiter line
        headers,          // part header lines up to the empty line
        body,             // part data up to the next delimiter
        epilogue,         // after the closing delimiter: ignored
        failed,
    };

    std::optional<MediaError> consume(std::string_view& in);
    std::optional<MediaError> scan_for_delimiter(std::string_view& in, bool keep_data);
    std::optional<MediaError> on_delimiter_line_byte(char c);
    std::optional<MediaError> on_header_bytes(std::string_view& in);
    std::optional<MediaError> start_part();
    std::optional<MediaError> parse_part_headers(std::string_view block);
    std::optional<MediaError> append_data(std::string_view bytes);
    std::optional<MediaError> fail(MediaError e);

    std::string delimiter_;  // "\r\n--" + boundary
    MultipartLimits limits_;
    State state_ = State::preamble;
    std::size_t matched_ = 0;     // delimiter bytes matched so far (carried across chunks)
    std::size_t body_bytes_ = 0;  // everything fed so far
    std::string header_block_;    // headers of the current part, starting with the CRLF before them
    std::size_t part_limit_ = 0;  // data limit of the current part
    std::size_t file_parts_ = 0;
    std::vector<MultipartPart> parts_;
    std::optional<MediaError> error_;
    std::string spool_dir_;  // empty: every part in memory
    std::size_t spool_above_ = multipart_limits::kMaxInMemoryPartBytes;
};

}  // namespace civic
