// The SigV4 signer against AWS's published vectors:
//  - the aws-sig-v4-test-suite (service "service", no x-amz-content-sha256 header), in the
//    "unnormalized" form where it differs, since S3 neither normalises nor double-encodes paths;
//  - the S3 API reference's header-authentication examples (GET Object with Range, PUT Object,
//    GET Bucket lifecycle, List Objects), which sign x-amz-content-sha256 as S3 requires.
// Where a vector publishes intermediate strings, those are checked too: a wrong signature only
// says that something differs, the canonical request says what.
#include "common/sigv4.hpp"

#include "common/crypto.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

using namespace civic::sigv4;

namespace {

std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

// The test suite's fixed inputs (its context.json).
const Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const Scope kSuiteScope{"us-east-1", "service"};
const auto kSuiteTime = utc(2015, 8, 30, 12, 36, 0);

Request suite_request(std::string method, std::string path, std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.host = "example.amazonaws.com";
    r.path = std::move(path);
    r.payload_sha256 = civic::crypto::sha256_hex(body);
    r.content_sha256_header = false;
    return r;
}

std::string suite_authorization(const std::string& signed_headers, const std::string& signature) {
    return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=" +
           signed_headers + ", Signature=" + signature;
}

// The S3 documentation's example inputs.
const Credentials kS3Creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const Scope kS3Scope{"us-east-1", "s3"};
const auto kS3Time = utc(2013, 5, 24, 0, 0, 0);

Request s3_request(std::string method, std::string path, std::string payload_sha256 = std::string(kEmptySha256)) {
    Request r;
    r.method = std::move(method);
    r.host = "examplebucket.s3.amazonaws.com";
    r.path = std::move(path);
    r.payload_sha256 = std::move(payload_sha256);
    return r;
}

std::string header(const Signed& s, const std::string& name) {
    for (const auto& [n, v] : s.headers) {
        if (n == name) return v;
    }
    return "<absent>";
}

}  // namespace

TEST(SigV4Suite, GetVanilla) {
    const auto s = sign(suite_request("GET", "/"), kSuiteCreds, kSuiteScope, kSuiteTime);
    EXPECT_EQ(s.canonical_request,
              "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(s.authorization, suite_authorization("host;x-amz-date",
                                                   "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
    EXPECT_EQ(s.target, "/");
    EXPECT_EQ(header(s, "x-amz-date"), "20150830T123600Z");
    EXPECT_EQ(header(s, "x-amz-content-sha256"), "<absent>");
    EXPECT_EQ(header(s, "x-amz-security-token"), "<absent>");
}

TEST(SigV4Suite, GetVanillaQueryOrderKeyCase) {
    auto r = suite_request("GET", "/");
    r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
    const auto s = sign(r, kSuiteCreds, kSuiteScope, kSuiteTime);
    EXPECT_EQ(s.canonical_request.substr(0, s.canonical_request.find("\nhost")), "GET\n/\nParam1=value1&Param2=value2");
    EXPECT_EQ(s.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    EXPECT_EQ(s.target, "/?Param1=value1&Param2=value2");
}

TEST(SigV4Suite, GetSpace) {
    const auto s = sign(suite_request("GET", "/example space/"), kSuiteCreds, kSuiteScope, kSuiteTime);
    EXPECT_EQ(s.canonical_request,
              "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(s.string_to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86");
    EXPECT_EQ(s.signature, "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(SigV4Suite, GetHeaderValueOrder) {
    auto r = suite_request("GET", "/");
    r.headers = {
        {"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}};
    const auto s = sign(r, kSuiteCreds, kSuiteScope, kSuiteTime);
    EXPECT_NE(s.canonical_request.find("\nmy-header1:value4,value1,value3,value2\n"), std::string::npos);
    EXPECT_EQ(s.authorization, suite_authorization("host;my-header1;x-amz-date",
                                                   "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"));
}

TEST(SigV4Suite, GetHeaderValueTrim) {
    auto r = suite_request("GET", "/");
    r.headers = {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}};
    const auto s = sign(r, kSuiteCreds, kSuiteScope, kSuiteTime);
    EXPECT_NE(s.canonical_request.find("\nmy-header1:value1\nmy-header2:\"a b c\"\n"), std::string::npos);
    EXPECT_EQ(s.authorization, suite_authorization("host;my-header1;my-header2;x-amz-date",
                                                   "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
}

TEST(SigV4Suite, PostXWwwFormUrlencoded) {
    auto r = suite_request("POST", "/", "Param1=value1");
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    const auto s = sign(r, kSuiteCreds, kSuiteScope, kSuiteTime);
    EXPECT_EQ(s.canonical_request,
              "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
              "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
              "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    EXPECT_EQ(s.string_to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
    EXPECT_EQ(s.authorization, suite_authorization("content-type;host;x-amz-date",
                                                   "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"));
}

// post-sts-token/post-sts-header-before: the session token is a signed header (as S3 wants).
TEST(SigV4Suite, PostStsHeaderBefore) {
    Credentials creds = kSuiteCreds;
    creds.session_token =
        "AQoDYXdzEPT//////////"
        "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuw"
        "thAx7mSEI/qkPpKPi/"
        "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHN"
        "VXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/"
        "oLxBA==";
    const auto s = sign(suite_request("POST", "/"), creds, kSuiteScope, kSuiteTime);
    EXPECT_EQ(s.string_to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
    EXPECT_EQ(s.authorization, suite_authorization("host;x-amz-date;x-amz-security-token",
                                                   "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
    EXPECT_EQ(header(s, "x-amz-security-token"), creds.session_token);
}

TEST(SigV4S3, GetObjectWithRange) {
    auto r = s3_request("GET", "/test.txt");
    r.headers = {{"Range", "bytes=0-9"}};
    const auto s = sign(r, kS3Creds, kS3Scope, kS3Time);
    EXPECT_EQ(s.canonical_request,
              "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
              "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
              "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(s.string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    EXPECT_EQ(s.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    EXPECT_EQ(header(s, "x-amz-content-sha256"), kEmptySha256);
}

TEST(SigV4S3, PutObject) {
    const std::string body = "Welcome to Amazon S3.";
    const std::string hash = civic::crypto::sha256_hex(body);
    ASSERT_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    auto r = s3_request("PUT", "/test$file.text", hash);
    r.headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
    const auto s = sign(r, kS3Creds, kS3Scope, kS3Time);
    EXPECT_EQ(s.canonical_request,
              "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
              "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
              "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
              "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
              "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    EXPECT_EQ(s.string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    EXPECT_EQ(s.target, "/test%24file.text");
}

namespace {

// The vectors that publish only the signature (and where it matters the target): one row each.
struct SignatureVector {
    const char* name;  // the suite's or the S3 reference's name for it
    bool s3;           // the S3 reference's inputs (else the suite's)
    const char* method;
    std::string path;
    Fields query;
    Fields headers;
    const char* target;  // nullptr: not checked
    const char* signature;
};

const SignatureVector kSignatureVectors[] = {
    {"get-vanilla-query-order-value",
     false,
     "GET",
     "/",
     {{"Param1", "value2"}, {"Param1", "value1"}},
     {},
     "/?Param1=value1&Param1=value2",
     "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-utf8-query",
     false,
     "GET",
     "/",
     {{"\xE1\x88\xB4", "bar"}},
     {},  // U+1234
     "/?%E1%88%B4=bar",
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-unreserved",
     false,
     "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     {},
     {},
     nullptr,
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8 (encoded once)",
     false,
     "GET",
     "/\xE1\x88\xB4",
     {},
     {},
     "/%E1%88%B4",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    // S3 keeps "//" and dot segments: the suite's "unnormalized" variants are the S3 answers.
    {"get-slashes-unnormalized",
     false,
     "GET",
     "//example//",
     {},
     {},
     "//example//",
     "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"},
    {"get-relative-relative-unnormalized",
     false,
     "GET",
     "/example1/example2/../..",
     {},
     {},
     nullptr,
     "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b"},
    {"get-header-key-duplicate",
     false,
     "GET",
     "/",
     {},
     {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
     nullptr,
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"post-header-key-sort",
     false,
     "POST",
     "/",
     {},
     {{"My-Header1", "value1"}},
     nullptr,
     "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"S3: GET Bucket lifecycle",
     true,
     "GET",
     "/",
     {{"lifecycle", ""}},
     {},
     "/?lifecycle=",
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
    {"S3: List Objects",
     true,
     "GET",
     "/",
     {{"prefix", "J"}, {"max-keys", "2"}},
     {},
     "/?max-keys=2&prefix=J",
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
};

}  // namespace

TEST(SigV4, PublishedSignatures) {
    for (const auto& v : kSignatureVectors) {
        SCOPED_TRACE(v.name);
        auto r = v.s3 ? s3_request(v.method, v.path) : suite_request(v.method, v.path);
        r.query = v.query;
        r.headers = v.headers;
        const auto s = v.s3 ? sign(r, kS3Creds, kS3Scope, kS3Time) : sign(r, kSuiteCreds, kSuiteScope, kSuiteTime);
        if (v.target) {
            EXPECT_EQ(s.target, v.target);
        }
        EXPECT_EQ(s.signature, v.signature);
    }
}

TEST(SigV4, UriEncoding) {
    EXPECT_EQ(uri_encode("a b+c", false), "a%20b%2Bc");
    EXPECT_EQ(uri_encode("100%", false), "100%25");  // a literal '%' is data: never left as an escape
    EXPECT_EQ(uri_encode("a/b", true), "a/b");
    EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
    EXPECT_EQ(uri_encode("=&?#", false), "%3D%26%3F%23");
    EXPECT_EQ(uri_encode("A-z_0.9~", false), "A-z_0.9~");
    EXPECT_EQ(uri_encode("\xE5\x9B\xBE", true), "%E5%9B%BE");  // 图: bytes, uppercase hex
}

// ListObjectsV2 continuation tokens are opaque and may hold '/', '+' and '=': encoded in the
// query exactly once, in the target and the canonical request alike.
TEST(SigV4, QueryValuesAreEncodedOnceAndSorted) {
    auto r = s3_request("GET", "/bucket");
    r.query = {{"prefix", "photos/ab"}, {"list-type", "2"}, {"continuation-token", "a+b/c=d"}};
    const auto s = sign(r, kS3Creds, kS3Scope, kS3Time);
    EXPECT_EQ(s.target, "/bucket?continuation-token=a%2Bb%2Fc%3Dd&list-type=2&prefix=photos%2Fab");
    EXPECT_NE(s.canonical_request.find("\ncontinuation-token=a%2Bb%2Fc%3Dd&list-type=2&prefix=photos%2Fab\n"),
              std::string::npos);
}

TEST(SigV4, AmzDate) { EXPECT_EQ(amz_date(utc(2026, 12, 3, 21, 5, 9)), "20261203T210509Z"); }

TEST(SigV4, RefusesHeadersItOwnsAndLineBreaks) {
    auto r = s3_request("GET", "/k");
    r.headers = {{"X-Amz-Date", "20130524T000000Z"}};
    EXPECT_THROW(sign(r, kS3Creds, kS3Scope, kS3Time), std::invalid_argument);
    r.headers = {{"x-custom", "a\r\nx-injected: 1"}};
    EXPECT_THROW(sign(r, kS3Creds, kS3Scope, kS3Time), std::invalid_argument);
    r.headers.clear();
    r.path = "k";
    EXPECT_THROW(sign(r, kS3Creds, kS3Scope, kS3Time), std::invalid_argument);
}

TEST(SigV4, EverySignedInputChangesTheSignature) {
    const auto base = sign(s3_request("GET", "/b/k"), kS3Creds, kS3Scope, kS3Time);
    auto other_key = s3_request("GET", "/b/k2");
    EXPECT_NE(sign(other_key, kS3Creds, kS3Scope, kS3Time).signature, base.signature);
    auto other_hash = s3_request("GET", "/b/k", std::string(64, 'a'));
    EXPECT_NE(sign(other_hash, kS3Creds, kS3Scope, kS3Time).signature, base.signature);
    Credentials wrong = kS3Creds;
    wrong.secret_access_key += "x";
    EXPECT_NE(sign(s3_request("GET", "/b/k"), wrong, kS3Scope, kS3Time).signature, base.signature);
    EXPECT_NE(sign(s3_request("GET", "/b/k"), kS3Creds, Scope{"eu-west-1", "s3"}, kS3Time).signature, base.signature);
    EXPECT_NE(sign(s3_request("GET", "/b/k"), kS3Creds, kS3Scope, kS3Time + std::chrono::seconds(1)).signature,
              base.signature);
}
