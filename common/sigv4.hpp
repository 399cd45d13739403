#pragma once
// AWS Signature Version 4 for the Authorization header, the S3 way: the path is never normalised
// ("//", "." and ".." segments are kept) and each segment is percent-encoded exactly once; the
// query is sorted by encoded name, then encoded value. Pure: no I/O, the time is an argument.
// Tested against AWS's published vectors (tests/unit/common/test_sigv4.cpp).
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace civic::sigv4 {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // AWS_SESSION_TOKEN; empty = none (then no x-amz-security-token)
};

struct Scope {
    std::string region = "us-east-1";
    std::string service = "s3";
};

// What is signed. Path and query are raw (unencoded) bytes; the signer encodes them and returns
// the request target to send, so the wire and the signature cannot disagree.
struct Request {
    std::string method;          // "GET", "PUT", ...
    std::string host;            // the Host header's value: "host" or "host:port"
    std::string path = "/";      // raw, starting with '/': "/bucket/photos/ab/cd.jpg"
    Fields query;                // raw names and values, any order ("list-type"="2", ...)
    Fields headers;              // further headers to sign and send (Range, Content-Type, ...); any
                                 // case; a name given twice is signed as "v1,v2" in the given order
    std::string payload_sha256;  // lowercase hex of the body, or "UNSIGNED-PAYLOAD"
    // S3 wants the payload hash as a signed header; AWS's generic test suite signs without it.
    bool content_sha256_header = true;
};

struct Signed {
    std::string target;  // encoded path, then "?" and the canonical query if there is one
    // Headers to add to the request besides `headers` and Host: x-amz-date,
    // x-amz-content-sha256 (if asked), x-amz-security-token (if any), authorization.
    Fields headers;
    std::string canonical_request;  // kept for tests and for diagnosing SignatureDoesNotMatch
    std::string string_to_sign;
    std::string signature;  // lowercase hex
    std::string authorization;
};

Signed sign(const Request& request, const Credentials& credentials, const Scope& scope,
            std::chrono::system_clock::time_point now);

// RFC 3986 percent-encoding as SigV4 specifies it: A-Z a-z 0-9 - _ . ~ stay, every other byte is
// %XX (uppercase hex); '/' stays only when `keep_slash` (paths).
std::string uri_encode(std::string_view raw, bool keep_slash);

// "YYYYMMDDTHHMMSSZ" (UTC) of the instant, as x-amz-date carries it.
std::string amz_date(std::chrono::system_clock::time_point t);

// SHA-256 of the empty string, the payload hash of every request without a body.
inline constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace civic::sigv4
