// Photo reads streamed from the store through the daemon (docs/photos.md §7): a photo of
// several MB comes back byte for byte with its Content-Length and ETag, 304 and thumbnails as
// before, one `Range` at a time (206, 416, If-Range), a failure after the header closes the
// connection short of its Content-Length, and concurrent readers of a large photo cost the
// daemon a chunk each, not a photo each (peak RSS, a bound rather than a timing).
// Run on files, and on S3 by the ctest entry integration_photos_s3 (CIVIC_TEST_PHOTOS=s3).
#include "common/crypto.hpp"
#include "photo_support.hpp"
#include "support/process_probe.hpp"
#include "support/scratch_dir.hpp"
#include "ticket_city.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace civic::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A phone photo's size: many 64 KiB chunks, and more than a loopback socket's send buffer
// (tcp_wmem's 4 MiB) so that a reader that stops reading holds the daemon mid-body.
constexpr std::size_t kLargePhotoBytes = 8'000'000;

// A client that reads as slowly as it likes: a small receive buffer, set before connecting so
// that the window the daemon sees stays small.
class SlowReader {
public:
    SlowReader(unsigned short port, const std::string& request) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket failed");
        const int rcvbuf = 16 * 1024;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("connect failed");
        std::size_t sent = 0;
        while (sent < request.size()) {
            const auto n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("send failed");
            sent += static_cast<std::size_t>(n);
        }
    }
    ~SlowReader() { ::close(fd_); }
    SlowReader(const SlowReader&) = delete;
    SlowReader& operator=(const SlowReader&) = delete;

    // Reads until the header and at least one byte of the body are in: the daemon is then in
    // the middle of the body. False if the connection ended first.
    bool read_into_body() {
        while (head_end() == std::string::npos || in_.size() <= head_end() + 4)
            if (!read_some()) return false;
        return true;
    }
    // Reads to the end of the connection (the daemon closes after a `Connection: close` answer,
    // or after a failure mid-body).
    void read_to_end() {
        while (read_some()) {
        }
    }
    std::string head() const { return in_.substr(0, head_end()); }
    std::string body() const { return in_.substr(head_end() + 4); }
    std::size_t content_length() const {
        const auto h = head();
        const auto at = h.find("\r\nContent-Length: ");
        if (at == std::string::npos) throw std::runtime_error("no Content-Length in " + h);
        return std::stoull(h.substr(at + 18));
    }

private:
    std::size_t head_end() const { return in_.find("\r\n\r\n"); }
    bool read_some() {
        char buf[16 * 1024];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return false;
        in_.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    int fd_ = -1;
    std::string in_;
};

std::string get_request(const std::string& url, const std::string& token) {
    return "GET " + url + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
           "\r\nConnection: close\r\n\r\n";
}

TEST(PhotoReads, ALargePhotoComesBackWholeWithItsLengthAndETag) {
    Daemon d;
    TicketCity c(d);
    const auto photo = submit_photo(d, c.r1.token, make_noisy_jpeg(kLargePhotoBytes, 1));
    ASSERT_GT(photo.bytes, 5'000'000u) << "a phone photo's size";

    auto r = d.get(photo.url, c.r1.token);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
    EXPECT_EQ(r.header("content-length"), std::to_string(photo.bytes));
    EXPECT_EQ(r.body.size(), photo.bytes);
    EXPECT_EQ(crypto::sha256_hex(r.body), photo.sha256) << "byte for byte";
    EXPECT_EQ(r.header("etag"), quoted(photo.sha256));
    EXPECT_EQ(r.header("content-type"), "image/jpeg");
    EXPECT_EQ(r.header("accept-ranges"), "bytes");
    EXPECT_EQ(r.header("cache-control"), "private, max-age=86400");

    // HEAD: the same header, no body, and nothing read from the store but its size.
    const auto head = raw_exchange(d.port(), "HEAD " + photo.url +
                                                 " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                                 "Authorization: Bearer " +
                                                 c.r1.token + "\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
    EXPECT_NE(head.find("Content-Length: " + std::to_string(photo.bytes) + "\r\n"), std::string::npos) << head;
    EXPECT_TRUE(head.ends_with("\r\n\r\n")) << "no body after a HEAD's header";

    // If-None-Match: 304, no body, the same validators.
    auto not_modified = get_with(d, photo.url, c.r1.token, {{"If-None-Match", quoted(photo.sha256)}});
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_TRUE(not_modified.body.empty());
    EXPECT_EQ(not_modified.header("etag"), quoted(photo.sha256));

    // The thumbnail: its own ETag, 320 px at most, streamed with the length the store gave.
    auto thumb = d.get(photo.url + "?variant=thumb", c.r1.token);
    ASSERT_EQ(thumb.status, 200) << thumb.body;
    EXPECT_EQ(thumb.header("etag"), quoted(photo.sha256 + "-thumb"));
    EXPECT_EQ(thumb.header("content-length"), std::to_string(thumb.body.size()));
    const auto [w, h] = jpeg_size(thumb.body);
    EXPECT_EQ(std::max(w, h), 320) << w << "x" << h;
    EXPECT_EQ(
        get_with(d, photo.url + "?variant=thumb", c.r1.token, {{"If-None-Match", quoted(photo.sha256 + "-thumb")}})
            .status,
        304);

    // The same authorisation as before: another resident does not learn the photo exists.
    EXPECT_EQ(d.get(photo.url, c.r2.token).status, 404);
    EXPECT_EQ(d.get(photo.url).status, 401);
}

TEST(PhotoReads, OneRangeIsAnswered206AndEverythingElseWhole) {
    Daemon d;
    TicketCity c(d);
    const auto photo = submit_photo(d, c.r1.token, make_noisy_jpeg(1'000'000, 2));
    const auto full = d.get(photo.url, c.r1.token).body;
    ASSERT_EQ(full.size(), photo.bytes);
    const auto n = full.size();
    const auto size = std::to_string(n);
    const auto etag = quoted(photo.sha256);

    auto expect_part = [&](const std::string& range, std::size_t first, std::size_t last, Headers extra = {}) {
        extra.emplace_back("Range", range);
        auto r = get_with(d, photo.url, c.r1.token, extra);
        ASSERT_EQ(r.status, 206) << range << ": " << r.body.substr(0, 200);
        EXPECT_EQ(r.header("content-range"), "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + size)
            << range;
        EXPECT_EQ(r.header("content-length"), std::to_string(last - first + 1)) << range;
        EXPECT_EQ(r.body, full.substr(first, last - first + 1)) << range;
        EXPECT_EQ(r.header("etag"), etag);
        EXPECT_EQ(r.header("accept-ranges"), "bytes");
    };
    expect_part("bytes=0-9", 0, 9);
    expect_part("bytes=100000-", 100000, n - 1);
    expect_part("bytes=-500", n - 500, n - 1);
    expect_part("bytes=70000-200000", 70000, 200000);  // across several store chunks
    expect_part("bytes=" + std::to_string(n - 10) + "-" + std::to_string(n + 1000), n - 10, n - 1);  // clipped
    expect_part("bytes=-" + std::to_string(n + 5), 0, n - 1);  // a suffix longer than the photo
    expect_part("Bytes=5-6", 5, 6);                            // the unit is case-insensitive
    expect_part("bytes=0-9", 0, 9, {{"If-Range", etag}});

    auto expect_whole = [&](const std::string& range, Headers extra = {}) {
        extra.emplace_back("Range", range);
        auto r = get_with(d, photo.url, c.r1.token, extra);
        ASSERT_EQ(r.status, 200) << range;
        EXPECT_EQ(r.header("content-range"), "") << range;
        EXPECT_EQ(r.body, full) << range;
    };
    expect_whole("bytes=0-1,5-9");                                               // several ranges
    expect_whole("bytes=9-1");                                                   // invalid: ignored
    expect_whole("items=0-9");                                                   // another unit
    expect_whole("bytes=0-9", {{"If-Range", "\"another-tag\""}});                // the client's copy is not ours
    expect_whole("bytes=0-9", {{"If-Range", "W/" + etag}});                      // weak: never for ranges
    expect_whole("bytes=0-9", {{"If-Range", "Fri, 20 Nov 2026 00:00:00 GMT"}});  // a date: no Last-Modified

    for (const std::string& range :
         {"bytes=" + size + "-", "bytes=" + std::to_string(n + 7) + "-" + std::to_string(n + 9),
          std::string("bytes=-0")}) {
        auto r = get_with(d, photo.url, c.r1.token, {{"Range", range}});
        EXPECT_EQ(r.status, 416) << range;
        EXPECT_EQ(r.error_code(), "range_not_satisfiable") << range << ": " << r.body;
        EXPECT_EQ(r.header("content-range"), "bytes */" + size) << range;
    }

    // If-None-Match wins over Range; a thumbnail has ranges of its own size.
    EXPECT_EQ(get_with(d, photo.url, c.r1.token, {{"Range", "bytes=0-9"}, {"If-None-Match", etag}}).status, 304);
    const auto thumb = d.get(photo.url + "?variant=thumb", c.r1.token).body;
    auto tail = get_with(d, photo.url + "?variant=thumb", c.r1.token, {{"Range", "bytes=-100"}});
    ASSERT_EQ(tail.status, 206);
    EXPECT_EQ(tail.header("content-range"), "bytes " + std::to_string(thumb.size() - 100) + "-" +
                                                std::to_string(thumb.size() - 1) + "/" + std::to_string(thumb.size()));
    EXPECT_EQ(tail.body, thumb.substr(thumb.size() - 100));
}

// Once the header is out, a store that fails can only end the connection: the client gets
// fewer bytes than the Content-Length announced, never a body that looks whole. Provoked on
// the file store by truncating the photo's file under a reader that has stopped reading.
TEST(PhotoReads, AFailureAfterTheHeaderClosesTheConnectionShortOfItsLength) {
    if (photos_on_s3()) GTEST_SKIP() << "the file store's file is what is truncated";
    Daemon d;
    TicketCity c(d);
    const auto photo = submit_photo(d, c.r1.token, make_noisy_jpeg(kLargePhotoBytes, 3));
    SlowReader reader(d.port(), get_request(photo.url, c.r1.token));
    ASSERT_TRUE(reader.read_into_body());
    ASSERT_EQ(reader.content_length(), photo.bytes);
    const auto file = fs::path(d.data_dir()) / "photos" / photo.sha256.substr(0, 2) / photo.sha256.substr(2, 2) /
                      (photo.sha256 + ".jpg");
    fs::resize_file(file, 0);
    reader.read_to_end();
    EXPECT_LT(reader.body().size(), photo.bytes) << "the connection closed short of the Content-Length";
    const auto log = d.log();
    EXPECT_NE(log.find("shorter"), std::string::npos) << "the cause is logged";
    EXPECT_NE(log.find("failed after"), std::string::npos) << "and that the connection was cut";
    // The daemon goes on serving.
    EXPECT_EQ(d.get("/api/v1/categories").status, 200);
}

// N clients reading a large photo at once, each stopped mid-body (so every read is in flight
// together): the daemon's peak RSS grows by chunks, not by N photos. A daemon that held each
// photo whole would grow by N × the photo (≈ 96 MB here); the bound is a quarter of that.
TEST(PhotoReads, ConcurrentReadersOfALargePhotoCostAChunkEachNotAPhoto) {
    constexpr int kReaders = 12;  // within the S3 client's 16 connections
    ScratchDir dir;
    Daemon::Options on_dir;
    on_dir.data_dir = dir.path;
    StoredPhoto photo;
    std::string token;
    {
        Daemon first(on_dir);
        TicketCity c(first);
        photo = submit_photo(first, c.r1.token, make_noisy_jpeg(kLargePhotoBytes, 4));
        token = c.r1.token;
    }
    // A fresh process, so that the upload's decode does not set the high-water mark.
    Daemon d(on_dir);
    ASSERT_EQ(crypto::sha256_hex(d.get(photo.url, token).body), photo.sha256);
    const auto before = proc_status_bytes(d.pid(), "VmHWM");
    ASSERT_GT(before, 0);

    std::vector<std::unique_ptr<SlowReader>> readers;
    for (int i = 0; i < kReaders; ++i)
        readers.push_back(std::make_unique<SlowReader>(d.port(), get_request(photo.url, token)));
    for (auto& r : readers) ASSERT_TRUE(r->read_into_body());
    const auto during = proc_status_bytes(d.pid(), "VmHWM");
    for (auto& r : readers) {
        r->read_to_end();
        EXPECT_EQ(r->content_length(), photo.bytes);
        EXPECT_EQ(crypto::sha256_hex(r->body()), photo.sha256);
    }
    const auto growth = during - before;
    std::printf("peak RSS %lld MB before, %lld MB with %d reads of a %.1f MB photo in flight (+%lld KB)\n",
                static_cast<long long>(before >> 20), static_cast<long long>(during >> 20), kReaders,
                static_cast<double>(photo.bytes) / 1e6, static_cast<long long>(growth >> 10));
    if (kUnderAsan) return;  // AddressSanitizer's quarantine and shadow make RSS meaningless
    EXPECT_LT(growth, static_cast<std::int64_t>(photo.bytes) * kReaders / 4);
}

// Phones that stop reading hold their reads open for as long as they like. On S3 each such read
// holds a store connection; intake's PUTs must never wait behind them (streamed reads have a
// client of their own, docs/photos.md §7). With one shared client, these readers took every
// connection and the report below waited for one until the store's attempt timed out.
TEST(PhotoReads, ReadersThatStopReadingNeverHoldUpIntake) {
    constexpr int kReaders = 16;  // every connection of the client intake uses (objstore::Limits)
    Daemon d;
    TicketCity c(d);
    const auto photo = submit_photo(d, c.r1.token, make_noisy_jpeg(kLargePhotoBytes, 5));
    std::vector<std::unique_ptr<SlowReader>> readers;
    for (int i = 0; i < kReaders; ++i)
        readers.push_back(std::make_unique<SlowReader>(d.port(), get_request(photo.url, c.r1.token)));
    for (auto& r : readers) ASSERT_TRUE(r->read_into_body());

    // Every reader is mid-body: a report with a photo goes through, and its photo reads back.
    const auto fresh = submit_photo(d, c.r2.token, make_noisy_jpeg(300'000, 6));
    EXPECT_EQ(crypto::sha256_hex(d.get(fresh.url, c.r2.token).body), fresh.sha256);

    for (auto& r : readers) {
        r->read_to_end();
        EXPECT_EQ(crypto::sha256_hex(r->body()), photo.sha256);
    }
}

}  // namespace
}  // namespace civic::test
