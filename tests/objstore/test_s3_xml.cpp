// The bounded XML reader for ListObjectsV2 and <Error> bodies, and endpoint/bucket/key checks:
// pure functions, no server needed.
#include "server/objstore/s3_client.hpp"
#include "server/objstore/s3_xml.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace civic::objstore;

namespace {

const std::string kPage =
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>civic-photos</Name>"
    "<Prefix>ab/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>YWIvY2Q=</NextContinuationToken>"
    "<Contents><Key>ab/cd&amp;e.jpg</Key><LastModified>2026-12-03T21:49:48.000Z</LastModified>"
    "<ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass>"
    "</Contents>"
    "<Contents><Key>ab/&#x56FE;&#22270;</Key><LastModified>2026-12-03T21:49:49.000Z</LastModified>"
    "<ETag>\"e3b0\"</ETag><Size>8388608</Size></Contents>"
    "</ListBucketResult>";

}  // namespace

TEST(S3Xml, ReadsAListObjectsV2Page) {
    const auto page = parse_list_objects_v2(kPage, 1000);
    ASSERT_TRUE(page);
    EXPECT_TRUE(page->truncated);
    EXPECT_EQ(page->next_continuation_token, "YWIvY2Q=");
    ASSERT_EQ(page->entries.size(), 2u);
    EXPECT_EQ(page->entries[0].key, "ab/cd&e.jpg");
    EXPECT_EQ(page->entries[0].size, 5u);
    EXPECT_EQ(page->entries[0].etag, "5d41402abc4b2a76b9719d911017c592");
    EXPECT_EQ(page->entries[0].last_modified, "2026-12-03T21:49:48.000Z");
    EXPECT_EQ(page->entries[1].key, "ab/\xE5\x9B\xBE\xE5\x9B\xBE");  // 图图, from hex and decimal references
    EXPECT_EQ(page->entries[1].size, 8388608u);
    EXPECT_EQ(page->entries[1].etag, "e3b0");
}

TEST(S3Xml, EmptyAndLastPages) {
    const auto empty = parse_list_objects_v2(
        "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>",
        10);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->entries.empty());
    EXPECT_FALSE(empty->truncated);
    EXPECT_EQ(empty->next_continuation_token, "");
    // Truncated without a token to go on with: unusable, refused rather than looping.
    EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", 10));
}

TEST(S3Xml, RefusesWhatS3NeverSends) {
    const auto bad = [](const std::string& xml) { return !parse_list_objects_v2(xml, 1000); };
    EXPECT_TRUE(bad(""));
    EXPECT_TRUE(bad("<Error><Code>x</Code></Error>"));                        // another root
    EXPECT_TRUE(bad("<ListBucketResult>"));                                   // unclosed
    EXPECT_TRUE(bad("<ListBucketResult></ListBucketResul>"));                 // mismatched
    EXPECT_TRUE(bad("<ListBucketResult></ListBucketResult><x/>"));            // two roots
    EXPECT_TRUE(bad("<ListBucketResult></ListBucketResult>junk"));            // text after the root
    EXPECT_TRUE(bad("<!DOCTYPE x [<!ENTITY a \"b\">]><ListBucketResult/>"));  // no DTDs, no entity expansion
    EXPECT_TRUE(bad("<ListBucketResult><Contents><Key><![CDATA[k]]></Key></Contents></ListBucketResult>"));
    EXPECT_TRUE(bad("<ListBucketResult><Contents><Key>a&b;</Key></Contents></ListBucketResult>"));  // unknown entity
    EXPECT_TRUE(bad("<ListBucketResult><Contents><Key>&#0;</Key></Contents></ListBucketResult>"));
    EXPECT_TRUE(bad("<ListBucketResult><Contents><Key>&#xD800;</Key></Contents></ListBucketResult>"));
    EXPECT_TRUE(bad("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>"));
    EXPECT_TRUE(
        bad("<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999999</Size></Contents>"
            "</ListBucketResult>"));
    EXPECT_TRUE(bad("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>"));  // no key
    EXPECT_TRUE(bad("<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>"));
    EXPECT_TRUE(bad("<ListBucketResult a=\"1\"b=\"2\"></ListBucketResult>"));  // attributes run together
    EXPECT_TRUE(bad("<ListBucketResult a=\"<\"></ListBucketResult>"));
    EXPECT_TRUE(bad("<ListBucketResult><?pi x?></ListBucketResult>"));
}

TEST(S3Xml, NestingAndEntryCountAreBounded) {
    std::string deep = "<ListBucketResult>";
    for (int i = 0; i < 100; ++i) deep += "<a>";
    for (int i = 0; i < 100; ++i) deep += "</a>";
    deep += "</ListBucketResult>";
    EXPECT_FALSE(parse_list_objects_v2(deep, 1000));

    std::string many = "<ListBucketResult><IsTruncated>false</IsTruncated>";
    for (int i = 0; i < 3; ++i) many += "<Contents><Key>k" + std::to_string(i) + "</Key><Size>1</Size></Contents>";
    many += "</ListBucketResult>";
    EXPECT_TRUE(parse_list_objects_v2(many, 3));
    EXPECT_FALSE(parse_list_objects_v2(many, 2));  // more entries than asked for
}

TEST(S3Xml, CommentsAndUnknownElementsAreSkipped) {
    const auto page = parse_list_objects_v2(
        "<ListBucketResult><!-- a comment --><Owner><ID>x</ID></Owner><Contents><Key>k</Key><Size>3</Size>"
        "<Owner><ID>y</ID></Owner></Contents><IsTruncated>false</IsTruncated></ListBucketResult>",
        10);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->entries.size(), 1u);
    EXPECT_EQ(page->entries[0].key, "k");
    EXPECT_EQ(page->entries[0].size, 3u);
}

TEST(S3Xml, ReadsErrorBodies) {
    const auto e = parse_error(
        "<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
        "signature we calculated does not match</Message><RequestId>tx1</RequestId></Error>");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "SignatureDoesNotMatch");
    EXPECT_EQ(e->message, "The request signature we calculated does not match");
    EXPECT_FALSE(parse_error("<ListBucketResult/>"));
    EXPECT_FALSE(parse_error("<html><body>502 Bad Gateway</body></html>"));
    EXPECT_FALSE(parse_error("not xml"));
}

TEST(S3Endpoint, ParsesHttpAndHttps) {
    auto ep = parse_endpoint("http://127.0.0.1:8080");
    ASSERT_TRUE(ep);
    EXPECT_FALSE(ep->tls);
    EXPECT_EQ(ep->host, "127.0.0.1");
    EXPECT_EQ(ep->port, "8080");
    EXPECT_EQ(ep->host_header, "127.0.0.1:8080");
    ep = parse_endpoint("https://objects.example/");
    ASSERT_TRUE(ep);
    EXPECT_TRUE(ep->tls);
    EXPECT_EQ(ep->port, "443");
    EXPECT_EQ(ep->host_header, "objects.example");  // the default port is not signed
    ep = parse_endpoint("http://[::1]:9000");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->host, "::1");
    EXPECT_EQ(ep->host_header, "[::1]:9000");
    for (const char* bad : {"ftp://x", "http://", "http://h:0", "http://h:65536", "http://h:x", "http://h/path",
                            "http://u@h", "http://h?x", "objects.example", "http://h:80:81", "http://[::1"}) {
        EXPECT_FALSE(parse_endpoint(bad)) << bad;
    }
}

TEST(S3Names, BucketsAndKeys) {
    EXPECT_TRUE(valid_bucket_name("civic-photos"));
    EXPECT_TRUE(valid_bucket_name("a.b-c"));
    EXPECT_FALSE(valid_bucket_name("ab"));
    EXPECT_FALSE(valid_bucket_name("Civic"));
    EXPECT_FALSE(valid_bucket_name("-civic"));
    EXPECT_FALSE(valid_bucket_name("civic/photos"));
    EXPECT_FALSE(valid_bucket_name(std::string(64, 'a')));
    EXPECT_TRUE(valid_object_key("photos/ab/cdef.jpg"));
    EXPECT_TRUE(valid_object_key("图 片"));
    EXPECT_FALSE(valid_object_key(""));
    EXPECT_FALSE(valid_object_key("a\nb"));
    EXPECT_FALSE(valid_object_key(std::string(1025, 'k')));
    EXPECT_TRUE(valid_object_key("a/.b/..c/d."));
    for (const char* bad : {"/a", "a/", "a//b", ".", "..", "a/../b", "../other-bucket/k", "a/./b"}) {
        EXPECT_FALSE(valid_object_key(bad)) << bad;
    }
}
