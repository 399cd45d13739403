// Fuzzes the bounded XML reader of the S3 client (server/objstore/s3_xml.*), which reads
// ListObjectsV2 pages and <Error> bodies from the object store. Input: the first byte picks the
// page size limit, the rest is the document.
//
// Properties beyond "no crash, no UB, linear time":
//  - an accepted page has at most `max_entries` entries, each with a non-empty key, and a
//    continuation token exactly when it is truncated;
//  - an accepted page written back as XML (with escaping) reads back identical.
#include "fuzz_support.hpp"
#include "server/objstore/s3_xml.hpp"

#include <string>

using namespace civic::objstore;

namespace {

std::string escape(const std::string& s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string write(const ListPage& page) {
    std::string xml = "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"x\"><IsTruncated>";
    xml += page.truncated ? "true" : "false";
    xml += "</IsTruncated>";
    if (page.truncated)
        xml += "<NextContinuationToken>" + escape(page.next_continuation_token) + "</NextContinuationToken>";
    for (const auto& e : page.entries) {
        xml += "<Contents><Key>" + escape(e.key) + "</Key><Size>" + std::to_string(e.size) + "</Size><ETag>&quot;" +
               escape(e.etag) + "&quot;</ETag><LastModified>" + escape(e.last_modified) + "</LastModified></Contents>";
    }
    return xml + "</ListBucketResult>";
}

bool same(const ListPage& a, const ListPage& b) {
    if (a.truncated != b.truncated || a.next_continuation_token != b.next_continuation_token ||
        a.entries.size() != b.entries.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
        const auto& x = a.entries[i];
        const auto& y = b.entries[i];
        if (x.key != y.key || x.size != y.size || x.etag != y.etag || x.last_modified != y.last_modified) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    civic::fuzz::Cursor in(data, size);
    const std::size_t max_entries = in.byte() % 8;
    const auto xml = in.rest();
    (void)parse_error(xml);
    const auto page = parse_list_objects_v2(xml, max_entries);
    if (!page) return 0;
    FUZZ_CHECK(page->entries.size() <= max_entries);
    FUZZ_CHECK(page->truncated == !page->next_continuation_token.empty());
    for (const auto& e : page->entries) FUZZ_CHECK(!e.key.empty());
    const auto again = parse_list_objects_v2(write(*page), max_entries);
    FUZZ_CHECK(again && same(*page, *again));
    return 0;
}
