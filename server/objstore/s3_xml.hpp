#pragma once
// The few S3 XML documents the client reads — ListObjectsV2 results and <Error> bodies — with a
// small bounded parser of our own rather than libxml2 in the daemon: the input is at most
// Limits::max_xml_response bytes (1 MiB), nesting is capped, and only elements, attributes
// (skipped), text, the five predefined entities and numeric character references are accepted.
// DOCTYPE, CDATA and processing instructions other than the XML declaration are refused, so
// there is no entity expansion and nothing is fetched. Every step consumes input, so the work is
// linear in the input.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic::objstore {

inline constexpr std::size_t kMaxXmlDepth = 16;

struct ListEntry {
    std::string key;
    std::uint64_t size = 0;
    std::string etag;           // as S3 sends it, quotes removed
    std::string last_modified;  // ISO 8601 as S3 sends it
};

struct ListPage {
    std::vector<ListEntry> entries;
    bool truncated = false;
    std::string next_continuation_token;  // empty when not truncated
};

struct S3ErrorBody {
    std::string code;  // "NoSuchKey", "SignatureDoesNotMatch", ...
    std::string message;
};

// nullopt: not well-formed (as far as this parser goes), too deep, or not a ListBucketResult;
// also when a <Size> is not a decimal number or there are more than `max_entries` entries.
std::optional<ListPage> parse_list_objects_v2(std::string_view xml, std::size_t max_entries);

// nullopt unless the document is an <Error> element.
std::optional<S3ErrorBody> parse_error(std::string_view xml);

// An ETag without its surrounding quotes (S3 quotes them in headers and listings alike).
std::string unquote(std::string_view etag);

}  // namespace civic::objstore
