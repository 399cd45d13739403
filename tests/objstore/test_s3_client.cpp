// The S3 client against a real S3 server (single-node OpenStack Swift with s3api, started once
// per ctest run by the s3_server fixture: tests/support/s3_server.sh). Each test uses its own
// key prefix, so reruns against the same server do not see each other's objects. The tests hold
// the s3_server resource lock: the outage test stops and restarts the endpoint.
#include "server/objstore/s3_client.hpp"
#include "support/s3_server.hpp"

#include "common/crypto.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace asio = boost::asio;
using namespace civic::objstore;
using civic::test::S3Server;

namespace {

std::string random_bytes(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
}

class S3ClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = S3Server::shared();
        if (!server_) GTEST_SKIP() << S3Server::unavailable_reason();
        prefix_ = "t/" + civic::crypto::hex_encode(civic::crypto::random_bytes(6)) + "/";
        char tmpl[] = "/tmp/civicsnap-objstore-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        tmp_ = tmpl;
    }
    void TearDown() override {
        if (!tmp_.empty()) std::filesystem::remove_all(tmp_);
    }

    S3Config config() const {
        const auto& ep = server_->endpoint();
        S3Config c;
        c.endpoint = ep.endpoint;
        c.bucket = ep.bucket;
        c.region = ep.region;
        c.credentials = {ep.access_key, ep.secret_key, ""};
        return c;
    }

    // Runs one coroutine to completion on the test's io_context.
    template <class T>
    T run(asio::awaitable<T> work) {
        std::optional<T> out;
        std::exception_ptr error;
        asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e, T value) {
            error = e;
            out = std::move(value);
        });
        io_.restart();
        io_.run();
        if (error) std::rethrow_exception(error);
        return std::move(*out);
    }

    std::string write_file(const std::string& name, const std::string& bytes) const {
        const auto path = tmp_ + "/" + name;
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    }

    // GET into a string; records the largest chunk the sink saw.
    Result<GetInfo> get_all(S3Client& client, const std::string& key, std::string& body,
                            std::optional<ByteRange> range = {}, std::size_t* max_chunk = nullptr) {
        body.clear();
        Sink sink = [&body, max_chunk](std::string_view chunk) -> asio::awaitable<bool> {
            body.append(chunk);
            if (max_chunk) *max_chunk = std::max(*max_chunk, chunk.size());
            co_return true;
        };
        return run(client.get(key, sink, range));
    }

    asio::io_context io_;
    S3Server* server_ = nullptr;
    std::string prefix_;
    std::string tmp_;
};

}  // namespace

TEST_F(S3ClientTest, PutGetHeadDeleteRoundTrip) {
    S3Client client(io_.get_executor(), config());
    const std::string key = prefix_ + "photo.jpg";
    const std::string bytes = random_bytes(100 * 1024, 1);
    const auto path = write_file("photo.jpg", bytes);
    const auto sha = sha256_file_hex(path);
    ASSERT_TRUE(sha);
    EXPECT_EQ(*sha, civic::crypto::sha256_hex(bytes));

    const auto put = run(client.put_file(key, path, *sha, "image/jpeg"));
    ASSERT_TRUE(put.ok()) << put.error.message;
    EXPECT_EQ(put.error.attempts, 1);
    EXPECT_FALSE(put.value.etag.empty());

    const auto head = run(client.head(key));
    ASSERT_TRUE(head.ok()) << head.error.message;
    EXPECT_EQ(head.value.size, bytes.size());
    EXPECT_EQ(head.value.etag, put.value.etag);
    EXPECT_EQ(head.value.content_type, "image/jpeg");

    std::string body;
    const auto get = get_all(client, key, body);
    ASSERT_TRUE(get.ok()) << get.error.message;
    EXPECT_EQ(get.value.status, 200);
    EXPECT_EQ(get.value.object.size, bytes.size());
    EXPECT_EQ(get.value.object.etag, put.value.etag);
    EXPECT_TRUE(body == bytes);

    const auto del = run(client.remove(key));
    ASSERT_TRUE(del.ok()) << del.error.message;
    const auto gone = run(client.head(key));
    EXPECT_EQ(gone.error.code, Errc::not_found);
    EXPECT_EQ(gone.error.status, 404);
    EXPECT_EQ(gone.error.attempts, 1);  // a 404 is an answer, not retried
    const auto get_gone = get_all(client, key, body);
    EXPECT_EQ(get_gone.error.code, Errc::not_found);
    EXPECT_EQ(get_gone.error.s3_code, "NoSuchKey");
    EXPECT_TRUE(body.empty());
    EXPECT_TRUE(run(client.remove(key)).ok());  // deleting a missing key is fine
}

TEST_F(S3ClientTest, KeysWithSpacesAndUnicodeSignAndRoundTrip) {
    S3Client client(io_.get_executor(), config());
    const std::string key = prefix_ + "a b+c/图片 $&=.jpg";
    const auto put = run(client.put_bytes(key, "hello", "text/plain"));
    ASSERT_TRUE(put.ok()) << put.error.s3_code << " " << put.error.message;
    std::string body;
    ASSERT_TRUE(get_all(client, key, body).ok());
    EXPECT_EQ(body, "hello");
    const auto page = run(client.list(prefix_));
    ASSERT_TRUE(page.ok()) << page.error.message;
    ASSERT_EQ(page.value.entries.size(), 1u);
    EXPECT_EQ(page.value.entries[0].key, key);
    EXPECT_EQ(page.value.entries[0].size, 5u);
}

TEST_F(S3ClientTest, RangeReads) {
    S3Client client(io_.get_executor(), config());
    const std::string key = prefix_ + "range.bin";
    const std::string bytes = random_bytes(1000, 2);
    ASSERT_TRUE(run(client.put_bytes(key, bytes)).ok());

    std::string body;
    auto r = get_all(client, key, body, ByteRange{10, 19});
    ASSERT_TRUE(r.ok()) << r.error.message;
    EXPECT_EQ(r.value.status, 206);
    EXPECT_EQ(r.value.content_length, 10u);
    EXPECT_EQ(r.value.object.size, 1000u);
    EXPECT_EQ(r.value.content_range, "bytes 10-19/1000");
    EXPECT_TRUE(body == bytes.substr(10, 10));

    r = get_all(client, key, body, ByteRange{990, std::nullopt});
    ASSERT_TRUE(r.ok()) << r.error.message;
    EXPECT_EQ(r.value.status, 206);
    EXPECT_TRUE(body == bytes.substr(990));

    r = get_all(client, key, body, ByteRange{5000, std::nullopt});
    EXPECT_EQ(r.error.code, Errc::rejected);
    EXPECT_EQ(r.error.status, 416);
    EXPECT_EQ(r.error.attempts, 1);
}

TEST_F(S3ClientTest, LargeObjectIsStreamedBothWays) {
    S3Client client(io_.get_executor(), config());
    const std::string key = prefix_ + "large.bin";
    const std::string bytes = random_bytes(8 * 1024 * 1024 + 123, 3);
    const auto path = write_file("large.bin", bytes);
    const auto sha = sha256_file_hex(path);
    ASSERT_TRUE(sha);
    const auto put = run(client.put_file(key, path, *sha));
    ASSERT_TRUE(put.ok()) << put.error.message;

    // The sink hashes as it goes and never sees more than one chunk at a time.
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    ASSERT_EQ(EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr), 1);
    std::uint64_t total = 0;
    std::size_t max_chunk = 0;
    std::size_t chunks = 0;
    Sink sink = [&](std::string_view chunk) -> asio::awaitable<bool> {
        EVP_DigestUpdate(md.get(), chunk.data(), chunk.size());
        total += chunk.size();
        max_chunk = std::max(max_chunk, chunk.size());
        ++chunks;
        co_return true;
    };
    const auto get = run(client.get(key, sink));
    ASSERT_TRUE(get.ok()) << get.error.message;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    ASSERT_EQ(EVP_DigestFinal_ex(md.get(), digest, &len), 1);
    EXPECT_EQ(total, bytes.size());
    EXPECT_EQ(civic::crypto::hex_encode(std::string_view(reinterpret_cast<char*>(digest), len)), *sha);
    EXPECT_LE(max_chunk, client.config().limits.chunk_bytes);
    EXPECT_GE(chunks, bytes.size() / client.config().limits.chunk_bytes);
}

// With a blocking submitter (the daemon's blocking pool), the PUT's open and chunk reads run
// there and the coroutine comes back to its own executor.
TEST_F(S3ClientTest, FileReadsCanRunOnABlockingPool) {
    asio::thread_pool pool(1);
    std::atomic<int> tasks{0};
    std::atomic<bool> off_thread{true};
    const auto test_thread = std::this_thread::get_id();
    auto cfg = config();
    cfg.blocking = [&](std::function<void()> task) {
        ++tasks;
        asio::post(pool, [&, task = std::move(task)] {
            if (std::this_thread::get_id() == test_thread) off_thread = false;
            task();
        });
    };
    S3Client client(io_.get_executor(), cfg);
    const std::string bytes = random_bytes(300 * 1024, 8);
    const auto path = write_file("pooled.bin", bytes);
    const std::string key = prefix_ + "pooled.bin";
    const auto put = run(client.put_file(key, path, civic::crypto::sha256_hex(bytes)));
    ASSERT_TRUE(put.ok()) << put.error.message;
    EXPECT_EQ(tasks.load(), 1 + 5);  // the open, then five 64 KiB reads
    EXPECT_TRUE(off_thread.load());
    std::string body;
    ASSERT_TRUE(get_all(client, key, body).ok());
    EXPECT_TRUE(body == bytes);
    pool.join();
}

// A slow consumer (8 chunks, 60 ms each) outlasts a 250 ms attempt deadline: time in the sink is
// not the store's, so the GET completes.
TEST_F(S3ClientTest, SlowSinkIsNotCutOffByTheAttemptDeadline) {
    S3Client writer(io_.get_executor(), config());
    const std::string key = prefix_ + "slow.bin";
    const std::string bytes = random_bytes(8 * 64 * 1024, 9);
    ASSERT_TRUE(run(writer.put_bytes(key, bytes)).ok());
    auto cfg = config();
    cfg.limits.attempt_timeout = std::chrono::milliseconds(250);
    S3Client client(io_.get_executor(), cfg);
    std::string body;
    Sink sink = [&](std::string_view chunk) -> asio::awaitable<bool> {
        body.append(chunk);
        asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(60));
        co_await pause.async_wait(asio::use_awaitable);
        co_return true;
    };
    const auto get = run(client.get(key, sink));
    ASSERT_TRUE(get.ok()) << get.error.message;
    EXPECT_EQ(get.error.attempts, 1);
    EXPECT_TRUE(body == bytes);
}

TEST_F(S3ClientTest, SinkCanStopAGet) {
    S3Client client(io_.get_executor(), config());
    const std::string key = prefix_ + "stop.bin";
    ASSERT_TRUE(run(client.put_bytes(key, random_bytes(512 * 1024, 4))).ok());
    std::size_t seen = 0;
    Sink sink = [&](std::string_view chunk) -> asio::awaitable<bool> {
        seen += chunk.size();
        co_return false;
    };
    const auto get = run(client.get(key, sink));
    EXPECT_EQ(get.error.code, Errc::aborted);
    EXPECT_EQ(get.error.attempts, 1);
    EXPECT_GT(seen, 0u);
    EXPECT_EQ(client.idle_connections(), 0u);  // the unread rest of the body: that connection is dropped
    EXPECT_TRUE(run(client.head(key)).ok());   // and the next operation opens a new one
}

TEST_F(S3ClientTest, ListWithPrefixAndContinuation) {
    S3Client client(io_.get_executor(), config());
    std::vector<std::string> keys;
    for (int i = 0; i < 5; ++i) keys.push_back(prefix_ + "list/" + std::to_string(i) + ".jpg");
    for (const auto& k : keys) ASSERT_TRUE(run(client.put_bytes(k, k)).ok());
    ASSERT_TRUE(run(client.put_bytes(prefix_ + "other/x.jpg", "x")).ok());

    std::vector<std::string> seen;
    std::string token;
    int pages = 0;
    do {
        const auto page = run(client.list(prefix_ + "list/", token, 2));
        ASSERT_TRUE(page.ok()) << page.error.message;
        EXPECT_LE(page.value.entries.size(), 2u);
        for (const auto& e : page.value.entries) {
            seen.push_back(e.key);
            EXPECT_EQ(e.size, e.key.size());
            EXPECT_FALSE(e.etag.empty());
            EXPECT_FALSE(e.last_modified.empty());
        }
        token = page.value.next_continuation_token;
        ++pages;
        ASSERT_LT(pages, 10);
    } while (!token.empty());
    EXPECT_EQ(seen, keys);  // byte order, nothing from other/, nothing twice
    EXPECT_EQ(pages, 3);

    const auto none = run(client.list(prefix_ + "nothing-here/"));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none.value.entries.empty());
    EXPECT_FALSE(none.value.truncated);
}

TEST_F(S3ClientTest, WrongSecretIsRefusedAtOnceAndStoresNothing) {
    auto bad = config();
    bad.credentials.secret_access_key = "not-the-secret";
    S3Client refused(io_.get_executor(), bad);
    const std::string key = prefix_ + "refused.jpg";
    const auto path = write_file("refused.jpg", random_bytes(300 * 1024, 5));
    const auto put = run(refused.put_file(key, path, *sha256_file_hex(path)));
    EXPECT_EQ(put.error.code, Errc::refused);
    EXPECT_EQ(put.error.status, 403);
    EXPECT_EQ(put.error.s3_code, "SignatureDoesNotMatch");
    EXPECT_EQ(put.error.attempts, 1);  // 4xx: never retried
    EXPECT_EQ(run(refused.head(key)).error.code, Errc::refused);
    EXPECT_EQ(run(refused.list(prefix_)).error.code, Errc::refused);

    S3Client good(io_.get_executor(), config());
    EXPECT_EQ(run(good.head(key)).error.code, Errc::not_found);

    // The wrong region is a configuration error too (400 AuthorizationHeaderMalformed), and so is
    // an unknown access key (Swift answers SignatureDoesNotMatch).
    auto wrong_region = config();
    wrong_region.region = "eu-west-1";
    S3Client region_client(io_.get_executor(), wrong_region);
    const auto r = run(region_client.put_bytes(key, "x"));
    EXPECT_EQ(r.error.code, Errc::refused) << r.error.status << " " << r.error.s3_code;
    EXPECT_EQ(r.error.attempts, 1);
    auto unknown = config();
    unknown.credentials.access_key_id = "nobody:nobody";
    S3Client unknown_client(io_.get_executor(), unknown);
    EXPECT_EQ(run(unknown_client.put_bytes(key, "x")).error.code, Errc::refused);
    EXPECT_EQ(run(good.head(key)).error.code, Errc::not_found);
}

TEST_F(S3ClientTest, PayloadHashIsCheckedByTheServer) {
    S3Client client(io_.get_executor(), config());
    const std::string key = prefix_ + "baddigest.jpg";
    const auto path = write_file("baddigest.jpg", "the real bytes");
    const auto put = run(client.put_file(key, path, civic::crypto::sha256_hex("other bytes")));
    EXPECT_EQ(put.error.code, Errc::rejected);
    EXPECT_EQ(put.error.status, 400);
    EXPECT_EQ(put.error.s3_code, "BadDigest");
    EXPECT_EQ(run(client.head(key)).error.code, Errc::not_found);

    const auto missing = run(client.put_file(key, tmp_ + "/no-such-file", std::string(64, '0')));
    EXPECT_EQ(missing.error.code, Errc::local_io);

    // Refused before sending: a header value with a line break, a malformed hash, a bad key.
    const auto injected = run(client.put_bytes(key, "x", "image/jpeg\r\nx-amz-acl: public-read"));
    EXPECT_EQ(injected.error.code, Errc::rejected);
    EXPECT_EQ(run(client.put_file(key, path, "not-a-hash")).error.code, Errc::rejected);
    EXPECT_EQ(run(client.head(prefix_ + "../x")).error.code, Errc::rejected);
    EXPECT_EQ(run(client.head(key)).error.code, Errc::not_found);
    EXPECT_EQ(client.open_connections(), 1u);  // nothing leaked: one pooled connection
    EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(S3ClientTest, ContentAddressedOverwriteOfTheSameBytesIsHarmless) {
    S3Client client(io_.get_executor(), config());
    const std::string bytes = random_bytes(64 * 1024, 6);
    const std::string sha = civic::crypto::sha256_hex(bytes);
    const std::string key = prefix_ + sha.substr(0, 2) + "/" + sha + ".jpg";
    const auto path = write_file("ca.jpg", bytes);
    const auto first = run(client.put_file(key, path, sha));
    const auto second = run(client.put_file(key, path, sha));
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first.value.etag, second.value.etag);
    std::string body;
    ASSERT_TRUE(get_all(client, key, body).ok());
    EXPECT_TRUE(body == bytes);
    const auto page = run(client.list(prefix_));
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page.value.entries.size(), 1u);
}

TEST_F(S3ClientTest, ConnectionsAreReused) {
    S3Client client(io_.get_executor(), config());
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(run(client.put_bytes(prefix_ + "k" + std::to_string(i), "v")).ok());
        ASSERT_TRUE(run(client.head(prefix_ + "k" + std::to_string(i))).ok());
    }
    EXPECT_EQ(client.open_connections(), 1u);  // ten sequential requests, one connection
    EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(S3ClientTest, ConcurrentOperationsStayWithinThePool) {
    auto cfg = config();
    cfg.limits.max_connections = 3;
    cfg.limits.max_idle_connections = 2;
    S3Client client(io_.get_executor(), cfg);
    int done = 0;
    int failed = 0;
    std::size_t max_open = 0;
    for (int i = 0; i < 12; ++i) {
        asio::co_spawn(
            io_,
            [&, i]() -> asio::awaitable<void> {
                const auto r = co_await client.put_bytes(prefix_ + "c" + std::to_string(i), random_bytes(20000, i));
                max_open = std::max(max_open, client.open_connections());
                ++done;
                if (!r.ok()) ++failed;
            },
            asio::detached);
    }
    io_.restart();
    io_.run();
    EXPECT_EQ(done, 12);
    EXPECT_EQ(failed, 0);
    EXPECT_LE(max_open, 3u);
    EXPECT_LE(client.idle_connections(), 2u);
    const auto page = run(client.list(prefix_));
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page.value.entries.size(), 12u);
}

// A server that accepts and never answers: every attempt times out, the operation ends after
// max_attempts with `unavailable`, in bounded time.
TEST_F(S3ClientTest, SilentServerTimesOut) {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> held;
    std::function<void()> accept_next = [&] {
        auto sock = std::make_unique<asio::ip::tcp::socket>(io_);
        auto* raw = sock.get();
        held.push_back(std::move(sock));
        acceptor.async_accept(*raw, [&](boost::system::error_code ec) {
            if (!ec) accept_next();
        });
    };
    accept_next();
    auto cfg = config();
    cfg.endpoint = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
    cfg.limits.io_timeout = std::chrono::milliseconds(300);
    cfg.limits.max_attempts = 2;
    cfg.limits.backoff_base = std::chrono::milliseconds(10);
    S3Client client(io_.get_executor(), cfg);
    const auto started = std::chrono::steady_clock::now();
    std::optional<Result<ObjectInfo>> result;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            result = co_await client.head(prefix_ + "x");
            acceptor.close();
        },
        asio::detached);
    io_.restart();
    io_.run();
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(result);
    EXPECT_EQ(result->error.code, Errc::unavailable);
    EXPECT_EQ(result->error.attempts, 2);
    EXPECT_LT(elapsed, std::chrono::seconds(10));
}

// The S3 endpoint goes away: operations fail as `unavailable` after the bounded retries, and the
// same client works again once it is back, with no help.
TEST_F(S3ClientTest, OutageIsUnavailableThenRecovers) {
    S3Client client(io_.get_executor(), config());
    const std::string key = prefix_ + "outage.jpg";
    ASSERT_TRUE(run(client.put_bytes(key, "before")).ok());
    EXPECT_EQ(client.idle_connections(), 1u);

    server_->stop_endpoint();
    const auto started = std::chrono::steady_clock::now();
    const auto head = run(client.head(key));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(head.error.code, Errc::unavailable);
    // max_attempts, plus at most one free retry for the pooled connection the restart killed.
    EXPECT_GE(head.error.attempts, client.config().limits.max_attempts);
    EXPECT_LE(head.error.attempts, client.config().limits.max_attempts + 1);
    EXPECT_LT(elapsed, std::chrono::seconds(10));
    const auto put = run(client.put_bytes(prefix_ + "during.jpg", "during"));
    EXPECT_EQ(put.error.code, Errc::unavailable);
    EXPECT_EQ(put.error.attempts, client.config().limits.max_attempts);

    server_->start();
    // Recovery: the first request after the restart already succeeds (the script waited for a
    // working write); poll with a deadline anyway, the proxy may still be warming up.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    Result<ObjectInfo> again;
    do {
        again = run(client.head(key));
    } while (!again.ok() && std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(again.ok()) << again.error.message;
    EXPECT_EQ(again.value.size, 6u);
    EXPECT_TRUE(run(client.put_bytes(prefix_ + "after.jpg", "after")).ok());
}

// Figures for docs/objstore.md: sequential 100 KB PUT and GET latency on the test server.
TEST_F(S3ClientTest, LatencyOf100KbPutAndGet) {
    S3Client client(io_.get_executor(), config());
    const std::string bytes = random_bytes(100 * 1024, 7);
    std::vector<double> put_ms, get_ms;
    std::string body;
    for (int i = 0; i < 20; ++i) {
        const std::string key = prefix_ + "lat/" + std::to_string(i);
        auto t0 = std::chrono::steady_clock::now();
        ASSERT_TRUE(run(client.put_bytes(key, bytes)).ok());
        auto t1 = std::chrono::steady_clock::now();
        ASSERT_TRUE(get_all(client, key, body).ok());
        auto t2 = std::chrono::steady_clock::now();
        put_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        get_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    std::sort(put_ms.begin(), put_ms.end());
    std::sort(get_ms.begin(), get_ms.end());
    std::printf(
        "100 KB over 20 runs: PUT median %.1f ms (min %.1f, max %.1f); GET median %.1f ms (min %.1f, max %.1f)\n",
        put_ms[10], put_ms.front(), put_ms.back(), get_ms[10], get_ms.front(), get_ms.back());
    RecordProperty("put_100kb_median_ms", std::to_string(put_ms[10]));
    RecordProperty("get_100kb_median_ms", std::to_string(get_ms[10]));
}

// https: the same client through a TLS front (a relay in this test, with a throwaway certificate
// for "localhost") to the Swift endpoint: the handshake, SNI and host-name verification against
// `ca_file`, then signed requests over TLS. Without the certificate as a trust anchor the
// handshake fails and nothing is sent.
namespace {

struct TlsFront {
    std::string dir;
    bool ok = false;
    TlsFront() {
        char tmpl[] = "/tmp/civicsnap-s3tls-XXXXXX";
        if (!::mkdtemp(tmpl)) return;
        dir = tmpl;
        const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + dir +
                                "/key.pem -out " + dir + "/cert.pem -days 2 -subj /CN=localhost -addext " +
                                "subjectAltName=DNS:localhost >/dev/null 2>&1";
        ok = std::system(cmd.c_str()) == 0;
    }
    ~TlsFront() {
        std::error_code ec;
        if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
};

// Copies bytes one way until either side closes.
template <class From, class To>
asio::awaitable<void> pump(From& from, To& to) {
    std::array<char, 16384> buf;
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        if (ec || n == 0) break;
        auto [wec, m] =
            co_await asio::async_write(to, asio::buffer(buf.data(), n), asio::as_tuple(asio::use_awaitable));
        if (wec) break;
    }
    boost::system::error_code ignored;
    boost::beast::get_lowest_layer(from).close(ignored);
    boost::beast::get_lowest_layer(to).close(ignored);
}

}  // namespace

TEST_F(S3ClientTest, HttpsWithVerifiedCertificate) {
    TlsFront cert;
    ASSERT_TRUE(cert.ok) << "openssl could not make a test certificate";
    asio::ssl::context server_ctx(asio::ssl::context::tls_server);
    server_ctx.use_certificate_chain_file(cert.dir + "/cert.pem");
    server_ctx.use_private_key_file(cert.dir + "/key.pem", asio::ssl::context::pem);
    const auto swift = parse_endpoint(server_->endpoint().endpoint);
    ASSERT_TRUE(swift);

    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    int handshakes_ok = 0;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            for (;;) {
                auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
                if (ec) co_return;
                asio::co_spawn(
                    io_,
                    [&, s = std::make_shared<asio::ssl::stream<asio::ip::tcp::socket>>(
                            std::move(sock), server_ctx)]() -> asio::awaitable<void> {
                        auto [hec] = co_await s->async_handshake(asio::ssl::stream_base::server,
                                                                 asio::as_tuple(asio::use_awaitable));
                        if (hec) co_return;
                        ++handshakes_ok;
                        auto up = std::make_shared<asio::ip::tcp::socket>(io_);
                        auto [cec] = co_await up->async_connect(
                            {asio::ip::make_address(swift->host), static_cast<unsigned short>(std::stoi(swift->port))},
                            asio::as_tuple(asio::use_awaitable));
                        if (cec) co_return;
                        asio::co_spawn(io_, pump(*up, *s), [up, s](std::exception_ptr) {});
                        co_await pump(*s, *up);
                    },
                    asio::detached);
            }
        },
        asio::detached);

    auto cfg = config();
    cfg.endpoint = "https://localhost:" + std::to_string(port);
    cfg.ca_file = cert.dir + "/cert.pem";
    std::optional<S3Client> client;
    client.emplace(io_.get_executor(), cfg);
    std::optional<Result<ObjectInfo>> put, head;
    std::optional<Result<ListPage>> list;
    std::string body;
    std::optional<Result<GetInfo>> get;
    Sink sink = [&](std::string_view chunk) -> asio::awaitable<bool> {
        body.append(chunk);
        co_return true;
    };
    // Not trusted: the system store does not know this certificate.
    auto untrusted_cfg = cfg;
    untrusted_cfg.ca_file.clear();
    untrusted_cfg.limits.max_attempts = 1;
    S3Client untrusted(io_.get_executor(), untrusted_cfg);
    std::optional<Result<ObjectInfo>> refused_put;
    const std::string key = prefix_ + "tls.jpg";
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            refused_put = co_await untrusted.put_bytes(key + ".untrusted", "x");
            put = co_await client->put_bytes(key, "over tls");
            head = co_await client->head(key);
            get = co_await client->get(key, sink);
            list = co_await client->list(prefix_);
            client.reset();  // closes its pooled connection
            acceptor.close();
        },
        asio::detached);
    io_.restart();
    io_.run();
    ASSERT_TRUE(refused_put && put && head && get && list);
    EXPECT_EQ(refused_put->error.code, Errc::unavailable) << refused_put->error.message;
    ASSERT_TRUE(put->ok()) << put->error.message;
    ASSERT_TRUE(head->ok()) << head->error.message;
    EXPECT_EQ(head->value.size, 8u);
    ASSERT_TRUE(get->ok()) << get->error.message;
    EXPECT_EQ(body, "over tls");
    ASSERT_TRUE(list->ok()) << list->error.message;
    ASSERT_EQ(list->value.entries.size(), 1u);  // the untrusted PUT stored nothing
    EXPECT_EQ(list->value.entries[0].key, key);
    EXPECT_EQ(handshakes_ok, 1);  // four requests, one TLS connection
}

// The retry policy on 5xx, which the real server cannot be made to produce on demand: a
// scripted responder answers each request (one per connection) with the next canned response.
namespace {

struct ScriptedServer {
    asio::ip::tcp::acceptor acceptor;
    std::vector<std::string> responses;
    std::size_t served = 0;
    ScriptedServer(asio::io_context& io, std::vector<std::string> script)
        : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}), responses(std::move(script)) {}
    unsigned short port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> serve() {
        while (served < responses.size()) {
            auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            std::string request;
            std::array<char, 4096> buf;
            while (request.find("\r\n\r\n") == std::string::npos) {
                auto [rec, n] = co_await sock.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
                if (rec) break;
                request.append(buf.data(), n);
            }
            const auto& response = responses[served++];
            co_await asio::async_write(sock, asio::buffer(response), asio::as_tuple(asio::use_awaitable));
        }
        acceptor.close();
    }
};

std::string canned(int status, const std::string& body, bool close = true) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
           (close ? "\r\nConnection: close" : "") + "\r\nContent-Type: application/xml\r\n\r\n" + body;
}

}  // namespace

TEST_F(S3ClientTest, ServerErrorsAreRetriedWithBackoffThenSucceed) {
    const std::string slow_down = "<Error><Code>SlowDown</Code><Message>Reduce your request rate</Message></Error>";
    ScriptedServer fake(io_, {canned(503, slow_down), canned(500, "<Error><Code>InternalError</Code></Error>"),
                              canned(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")});
    asio::co_spawn(io_, fake.serve(), asio::detached);
    auto cfg = config();
    cfg.endpoint = "http://127.0.0.1:" + std::to_string(fake.port());
    S3Client client(io_.get_executor(), cfg);
    const auto started = std::chrono::steady_clock::now();
    const auto page = run(client.list("x/"));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(page.ok()) << page.error.message;
    EXPECT_EQ(page.error.attempts, 3);
    EXPECT_EQ(fake.served, 3u);
    // Back-off before retry n is at least half its cap: 50 ms, then 100 ms.
    EXPECT_GE(elapsed, std::chrono::milliseconds(150));
}

TEST_F(S3ClientTest, PersistentServerErrorsEndAsUnavailable) {
    const std::string slow_down = "<Error><Code>SlowDown</Code><Message>Reduce your request rate</Message></Error>";
    ScriptedServer fake(io_, std::vector<std::string>(4, canned(503, slow_down)));
    asio::co_spawn(io_, fake.serve(), asio::detached);
    auto cfg = config();
    cfg.endpoint = "http://127.0.0.1:" + std::to_string(fake.port());
    cfg.limits.backoff_base = std::chrono::milliseconds(5);
    S3Client client(io_.get_executor(), cfg);
    const auto head = run(client.put_bytes("k", "v"));
    EXPECT_EQ(head.error.code, Errc::unavailable);
    EXPECT_EQ(head.error.status, 503);
    EXPECT_EQ(head.error.s3_code, "SlowDown");
    EXPECT_EQ(head.error.attempts, 4);
    EXPECT_EQ(fake.served, 4u);
}

TEST_F(S3ClientTest, ClientErrorsAreNotRetried) {
    ScriptedServer fake(io_, {canned(409, "<Error><Code>OperationAborted</Code></Error>"), canned(200, "")});
    asio::co_spawn(io_, fake.serve(), asio::detached);
    auto cfg = config();
    cfg.endpoint = "http://127.0.0.1:" + std::to_string(fake.port());
    S3Client client(io_.get_executor(), cfg);
    std::string body;
    std::optional<Result<GetInfo>> get;
    Sink sink = [&](std::string_view chunk) -> asio::awaitable<bool> {
        body.append(chunk);
        co_return true;
    };
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            get = co_await client.get("k", sink);
            fake.acceptor.close();
        },
        asio::detached);
    io_.restart();
    io_.run();
    ASSERT_TRUE(get);
    EXPECT_EQ(get->error.code, Errc::rejected);
    EXPECT_EQ(get->error.s3_code, "OperationAborted");
    EXPECT_EQ(get->error.attempts, 1);
    EXPECT_EQ(fake.served, 1u);
    EXPECT_TRUE(body.empty());  // an error body never reaches the sink
}
