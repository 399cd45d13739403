#include "common/sigv4.hpp"

#include "common/crypto.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <stdexcept>

namespace civic::sigv4 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Header value as SigV4 signs it: leading and trailing blanks removed, inner runs of blanks
// collapsed to one space.
std::string trim_collapse(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    bool blank = false;
    for (const char c : v) {
        if (c == ' ' || c == '\t') {
            blank = !out.empty();
            continue;
        }
        if (blank) out.push_back(' ');
        blank = false;
        out.push_back(c);
    }
    return out;
}

bool has_ctl(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

}  // namespace

std::string uri_encode(std::string_view raw, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(raw.size() * 3);
    for (const char ch : raw) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~' || (keep_slash && c == '/')) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    if (gmtime_r(&secs, &tm) == nullptr) throw std::runtime_error("sigv4: time out of range");
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm) != 16) throw std::runtime_error("sigv4: bad time");
    return buf;
}

Signed sign(const Request& request, const Credentials& credentials, const Scope& scope,
            std::chrono::system_clock::time_point now) {
    if (request.path.empty() || request.path.front() != '/')
        throw std::invalid_argument("sigv4: path must start with /");
    if (request.host.empty() || has_ctl(request.host)) throw std::invalid_argument("sigv4: bad host");
    const std::string date_time = amz_date(now);
    const std::string date = date_time.substr(0, 8);

    Signed out;
    // Canonical URI: each segment encoded once, nothing normalised (S3).
    const std::string canonical_uri = uri_encode(request.path, true);

    // Canonical query: encode, then sort by name, then value (bytewise).
    std::vector<std::pair<std::string, std::string>> query;
    query.reserve(request.query.size());
    for (const auto& [name, value] : request.query)
        query.emplace_back(uri_encode(name, false), uri_encode(value, false));
    std::sort(query.begin(), query.end());
    std::string canonical_query;
    for (const auto& [name, value] : query) {
        if (!canonical_query.empty()) canonical_query.push_back('&');
        canonical_query += name;
        canonical_query.push_back('=');
        canonical_query += value;
    }
    out.target = canonical_uri;
    if (!canonical_query.empty()) out.target += "?" + canonical_query;

    // Headers: the caller's, plus host, x-amz-date and the optional two. Sorted by lower-cased
    // name; a name that appears more than once keeps its values in the given order.
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [name, value] : request.headers) {
        if (has_ctl(name) || has_ctl(value)) throw std::invalid_argument("sigv4: control character in a header");
        const std::string n = lower(name);
        if (n == "host" || n == "x-amz-date" || n == "x-amz-content-sha256" || n == "x-amz-security-token" ||
            n == "authorization") {
            throw std::invalid_argument("sigv4: header " + n + " is set by the signer");
        }
        headers.emplace_back(n, trim_collapse(value));
    }
    headers.emplace_back("host", trim_collapse(request.host));
    headers.emplace_back("x-amz-date", date_time);
    out.headers.emplace_back("x-amz-date", date_time);
    if (request.content_sha256_header) {
        if (request.payload_sha256.empty() || has_ctl(request.payload_sha256)) {
            throw std::invalid_argument("sigv4: payload hash missing");
        }
        headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
        out.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
    }
    if (!credentials.session_token.empty()) {
        if (has_ctl(credentials.session_token)) throw std::invalid_argument("sigv4: bad session token");
        headers.emplace_back("x-amz-security-token", credentials.session_token);
        out.headers.emplace_back("x-amz-security-token", credentials.session_token);
    }
    std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string canonical_headers;
    std::string signed_headers;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (i > 0 && headers[i].first == headers[i - 1].first) {
            canonical_headers.back() = ',';  // the previous line's '\n'
            canonical_headers += headers[i].second;
            canonical_headers.push_back('\n');
            continue;
        }
        canonical_headers += headers[i].first;
        canonical_headers.push_back(':');
        canonical_headers += headers[i].second;
        canonical_headers.push_back('\n');
        if (!signed_headers.empty()) signed_headers.push_back(';');
        signed_headers += headers[i].first;
    }

    out.canonical_request = request.method + "\n" + canonical_uri + "\n" + canonical_query + "\n" + canonical_headers +
                            "\n" + signed_headers + "\n" + request.payload_sha256;
    const std::string credential_scope = date + "/" + scope.region + "/" + scope.service + "/aws4_request";
    out.string_to_sign = std::string(kAlgorithm) + "\n" + date_time + "\n" + credential_scope + "\n" +
                         crypto::sha256_hex(out.canonical_request);

    const std::string k_date = crypto::hmac_sha256("AWS4" + credentials.secret_access_key, date);
    const std::string k_region = crypto::hmac_sha256(k_date, scope.region);
    const std::string k_service = crypto::hmac_sha256(k_region, scope.service);
    const std::string k_signing = crypto::hmac_sha256(k_service, "aws4_request");
    out.signature = crypto::hex_encode(crypto::hmac_sha256(k_signing, out.string_to_sign));
    out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" + credential_scope +
                        ", SignedHeaders=" + signed_headers + ", Signature=" + out.signature;
    out.headers.emplace_back("authorization", out.authorization);
    return out;
}

}  // namespace civic::sigv4
