// API.md §4 "Submit", "Reading" and photos over real HTTP: intake validation and its error
// codes, routing, idempotent retries, visibility per role, the cursor walk, photo serving.
#include "common/crypto.hpp"
#include "ticket_city.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <filesystem>

using namespace civic::test;
using nlohmann::json;

namespace {

struct Reports : ::testing::Test {
    Daemon d;
    TicketCity c{d};

    json meta(double lon = 103.375, double lat = 23.375) {
        return {{"category", "t-garbage"},
                {"description", "井盖缺失，夜间危险"},
                {"lat", lat},
                {"lon", lon},
                {"address", "文澜路 12 号"}};
    }
    HttpResponse submit(const Multipart& m, const std::string& token, Headers h = {}) {
        return post_multipart(d, "/api/v1/reports", m, token, std::move(h));
    }
    int count_reports(const Person& who) {
        return static_cast<int>(d.get("/api/v1/reports?limit=200", who.token).json()["items"].size());
    }
};

TEST_F(Reports, SubmitReturnsTheReportObject) {
    auto r = submit(multipart(meta(), {make_jpeg(64, 48, 1), make_jpeg(40, 30, 2)}), c.r1.token);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto report = r.json();
    for (const char* field : {"id",
                              "status",
                              "category",
                              "description",
                              "lat",
                              "lon",
                              "address",
                              "grid_id",
                              "assignee_id",
                              "reporter_id",
                              "created_at",
                              "accepted_at",
                              "deadline_at",
                              "resolved_at",
                              "closed_at",
                              "overdue",
                              "deadline_light",
                              "rework_count",
                              "duplicate_of",
                              "rating",
                              "points_awarded",
                              "possible_duplicates",
                              "photos"})
        EXPECT_TRUE(report.contains(field)) << field;
    EXPECT_FALSE(report.contains("photo_reused_from")) << "staff only";
    EXPECT_EQ(report["status"], "submitted");
    EXPECT_EQ(report["reporter_id"], c.r1.id);
    EXPECT_EQ(report["created_at"], kStart);
    EXPECT_EQ(report["address"], "文澜路 12 号");
    EXPECT_EQ(report["description"], "井盖缺失，夜间危险");
    EXPECT_EQ(report["grid_id"], c.g1);
    EXPECT_EQ(report["overdue"], false);
    EXPECT_EQ(report["rework_count"], 0);
    ASSERT_EQ(report["photos"].size(), 2u);
    const auto& p = report["photos"][0];
    EXPECT_EQ(p["stage"], "report");
    EXPECT_EQ(p["width"], 64);
    EXPECT_EQ(p["height"], 48);
    EXPECT_EQ(p["sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(p["url"], "/api/v1/photos/" + std::to_string(p["id"].get<std::int64_t>()));

    // Durability order: the photo's file is in the content-addressed store once acknowledged.
    const auto sha = p["sha256"].get<std::string>();
    if (photos_on_s3()) {  // in the bucket, not on disk; read back through the daemon
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(d.data_dir()) / "photos" / sha.substr(0, 2)));
        auto back = d.get(p["url"].get<std::string>(), c.r1.token);
        ASSERT_EQ(back.status, 200) << back.body;
        EXPECT_EQ(civic::crypto::sha256_hex(back.body), sha);
        EXPECT_EQ(back.body.size(), p["bytes"].get<std::size_t>());
        return;
    }
    const auto file =
        std::filesystem::path(d.data_dir()) / "photos" / sha.substr(0, 2) / sha.substr(2, 2) / (sha + ".jpg");
    EXPECT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_EQ(std::filesystem::file_size(file), p["bytes"].get<std::uintmax_t>());
}

TEST_F(Reports, IntakeErrorsNameTheFieldAndStoreNothing) {
    const auto photo = make_jpeg(32, 32, 9);
    auto field_of = [&](const json& m) {
        auto r = submit(multipart(m, {photo}), c.r1.token);
        EXPECT_EQ(r.status, 400) << m.dump() << r.body;
        return r.json()["error"].value("field", std::string("-"));
    };
    auto without = [&](const char* key) {
        auto m = meta();
        m.erase(key);
        return m;
    };
    auto with = [&](const char* key, json value) {
        auto m = meta();
        m[key] = std::move(value);
        return m;
    };
    EXPECT_EQ(field_of(without("category")), "category");
    EXPECT_EQ(field_of(with("category", "no-such")), "category");
    EXPECT_EQ(field_of(without("description")), "description");
    EXPECT_EQ(field_of(with("description", "")), "description");
    EXPECT_EQ(field_of(with("description", std::string(2001, 'x'))), "description");
    EXPECT_EQ(field_of(with("description", 42)), "description");
    EXPECT_EQ(field_of(with("lat", 90.5)), "lat");
    EXPECT_EQ(field_of(with("lon", -181)), "lon");
    EXPECT_EQ(field_of(with("lat", "23.3")), "lat");
    EXPECT_EQ(field_of(without("lon")), "lon");
    EXPECT_EQ(field_of(with("address", std::string(201, 'a'))), "address");
    EXPECT_EQ(field_of(with("address", "a\x01b")), "address");

    auto no_photo = submit(multipart(meta(), {}), c.r1.token);
    EXPECT_EQ(no_photo.json()["error"]["field"], "photo");
    auto seven = submit(multipart(meta(), std::vector<std::string>(7, photo)), c.r1.token);
    EXPECT_EQ(seven.json()["error"]["field"], "photo");

    auto bad_json = submit(multipart_raw("{\"category\":", {photo}), c.r1.token);
    EXPECT_EQ(bad_json.error_code(), "bad_request");
    auto not_multipart = d.post("/api/v1/reports", meta(), c.r1.token);
    EXPECT_EQ(not_multipart.error_code(), "bad_request");
    auto broken =
        d.request("POST", "/api/v1/reports", "--x\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{}",
                  {{"Content-Type", "multipart/form-data; boundary=x"}, {"Authorization", "Bearer " + c.r1.token}});
    EXPECT_EQ(broken.error_code(), "bad_request") << "missing final boundary";

    auto text_as_photo = submit(multipart(meta(), {"this is not a picture"}), c.r1.token);
    EXPECT_EQ(text_as_photo.status, 415);
    EXPECT_EQ(text_as_photo.error_code(), "unsupported_media_type");
    auto truncated = submit(multipart(meta(), {photo.substr(0, photo.size() / 2)}), c.r1.token);
    EXPECT_EQ(truncated.status, 415);

    EXPECT_EQ(count_reports(c.r1), 0);
    // Refused uploads leave nothing behind in the photo store (the file store; on S3, where there
    // is no such folder, the orphan sweep's tests list the bucket).
    const auto photos = std::filesystem::path(d.data_dir()) / "photos";
    std::size_t stored_files = 0;
    if (std::filesystem::exists(photos))
        for (const auto& entry : std::filesystem::recursive_directory_iterator(photos))
            stored_files += entry.is_regular_file() ? 1 : 0;
    EXPECT_EQ(stored_files, 0u);
}

TEST_F(Reports, OnlyResidentsSubmit) {
    const auto m = multipart(meta(), {make_jpeg(32, 32, 3)});
    EXPECT_EQ(submit(m, "").status, 401);
    EXPECT_EQ(submit(m, "not-a-token").status, 401);
    EXPECT_EQ(submit(m, c.m1.token).status, 403);
    EXPECT_EQ(submit(m, c.w1.token).status, 403);
}

TEST_F(Reports, OversizedBodiesAndPhotosAre413) {
    // A Content-Length over 64 MiB is refused before the body is sent.
    const std::string head = "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + c.r1.token +
                             "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 70000000\r\n\r\n";
    const auto raw = raw_exchange(d.port(), head);
    EXPECT_EQ(raw.rfind("HTTP/1.1 413", 0), 0u) << raw.substr(0, 200);

    // One photo part over 10 MiB, in a body under 64 MiB.
    auto big = submit(multipart(meta(), {std::string((10u << 20) + 1, 'x')}), c.r1.token);
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(big.error_code(), "payload_too_large");
    EXPECT_EQ(count_reports(c.r1), 0);
}

// The multipart body is checked while it arrives: a photo part crossing 10 MiB is refused
// before the client has sent the rest of a (declared) 30 MiB body.
TEST_F(Reports, OversizedPartIsRefusedWhileTheBodyIsStillArriving) {
    const std::string boundary = "b0undary";
    std::string start = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n" + meta().dump() +
                        "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\n";
    start += std::string((10u << 20) + 4096, 'x');
    const std::string head = "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + c.r1.token +
                             "\r\nContent-Type: multipart/form-data; boundary=" + boundary +
                             "\r\nContent-Length: " + std::to_string(30u << 20) + "\r\n\r\n";
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(d.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const std::string sent = head + start;
    std::size_t off = 0;
    while (off < sent.size()) {
        const auto n = ::send(fd, sent.data() + off, sent.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may close as soon as it has answered
        off += static_cast<std::size_t>(n);
    }
    char buf[512];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
    ASSERT_GT(n, 0) << "no answer while the body was incomplete";
    const std::string answer(buf, static_cast<std::size_t>(n));
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
    EXPECT_EQ(count_reports(c.r1), 0);
}

TEST_F(Reports, IdempotentRetryReturnsTheFirstAnswer) {
    const auto m = multipart(meta(), {make_jpeg(32, 32, 4)});
    const Headers key{{"Idempotency-Key", "submit-0001-abcdef"}};
    auto first = submit(m, c.r1.token, key);
    ASSERT_EQ(first.status, 201);
    auto again = submit(m, c.r1.token, key);
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(again.header("idempotent-replayed"), "true");
    EXPECT_EQ(count_reports(c.r1), 1);

    auto different = submit(multipart(meta(), {make_jpeg(32, 32, 5)}), c.r1.token, key);
    EXPECT_EQ(different.status, 409);
    EXPECT_EQ(different.error_code(), "conflict");
    auto bad_key = submit(m, c.r1.token, {{"Idempotency-Key", "short"}});
    EXPECT_EQ(bad_key.status, 400);
    // Keys are per caller: another resident's same key is a new submission.
    EXPECT_EQ(submit(m, c.r2.token, key).status, 201);
    EXPECT_EQ(count_reports(c.r1), 1);
}

TEST_F(Reports, VisibilityFollowsTheRole) {
    using Ids = std::vector<std::int64_t>;
    const auto a = c.submit(c.r1)["id"].get<std::int64_t>();                     // g1
    const auto b = c.submit(c.r2)["id"].get<std::int64_t>();                     // g1
    const auto g2 = c.submit(c.r1, 103.405, 23.405)["id"].get<std::int64_t>();   // g2
    const auto nowhere = c.submit(c.r2, 100.0, 20.0)["id"].get<std::int64_t>();  // no grid
    c.ok(c.m1, a, {{"action", "accept"}});                                       // → w1

    auto ids = [&](const Person& who, const std::string& query = "") {
        Ids out;
        auto r = d.get("/api/v1/reports" + query, who.token);
        EXPECT_EQ(r.status, 200) << r.body;
        const auto page = r.json();  // not r.json()["items"] in the loop: the temporary would die
        for (const auto& item : page["items"]) out.push_back(item["id"].get<std::int64_t>());
        return out;
    };
    EXPECT_EQ(ids(c.r1), (Ids{g2, a}));
    EXPECT_EQ(ids(c.r2), (Ids{nowhere, b}));
    EXPECT_EQ(ids(c.w1), (Ids{a}));
    EXPECT_EQ(ids(c.w2), (Ids{}));
    EXPECT_EQ(ids(c.m1), (Ids{b, a}));
    EXPECT_EQ(ids(c.m2), (Ids{g2}));
    EXPECT_EQ(ids(c.dispatcher), (Ids{nowhere, g2, b, a}));
    EXPECT_EQ(ids(c.dispatcher, "?status=assigned"), (Ids{a}));
    EXPECT_EQ(ids(c.dispatcher, "?grid_id=" + std::to_string(c.g2)), (Ids{g2}));
    EXPECT_EQ(ids(c.dispatcher, "?category=t-manhole"), (Ids{}));

    // Reading one: strangers get 404, staff of another grid too (they may not know it).
    const auto path_a = "/api/v1/reports/" + std::to_string(a);
    EXPECT_EQ(d.get(path_a, c.r2.token).status, 404);
    EXPECT_EQ(d.get(path_a, c.m2.token).status, 404);
    EXPECT_EQ(d.get(path_a, c.w1.token).status, 200);
    EXPECT_EQ(d.get(path_a).status, 401);
    EXPECT_EQ(d.get(path_a, c.admin).status, 200);
    EXPECT_EQ(d.get("/api/v1/reports/0", c.admin).error_code(), "bad_request");
}

TEST_F(Reports, CursorWalkVisitsEveryReportOnceNewestFirst) {
    std::vector<std::int64_t> created;
    for (int i = 0; i < 7; ++i) created.push_back(c.submit(c.r1)["id"].get<std::int64_t>());
    std::vector<std::int64_t> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
        auto r = d.get("/api/v1/reports?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), c.r1.token);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto body = r.json();
        for (const auto& item : body["items"]) seen.push_back(item["id"].get<std::int64_t>());
        if (page == 0) c.submit(c.r1);  // a concurrent insert does not disturb the walk
        if (r.json()["next_cursor"].is_null()) break;
        cursor = r.json()["next_cursor"].get<std::string>();
    }
    std::reverse(created.begin(), created.end());
    EXPECT_EQ(seen, created);

    for (const char* bad : {"?limit=0", "?limit=201", "?limit=x", "?cursor=%%%", "?cursor=bm9wZQ", "?status=open",
                            "?overdue=maybe", "?grid_id=-1"}) {
        auto r = d.get(std::string("/api/v1/reports") + bad, c.r1.token);
        EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    }
}

TEST_F(Reports, PhotosAreServedWithEtagsToThoseWhoMayReadTheTicket) {
    const auto report = c.submit(c.r1);
    const auto url = report["photos"][0]["url"].get<std::string>();
    auto r = d.get(url, c.r1.token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "image/jpeg");
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
    EXPECT_FALSE(r.header("cache-control").empty());
    const auto etag = r.header("etag");
    const auto sha = report["photos"][0]["sha256"].get<std::string>();
    EXPECT_EQ(etag, '"' + sha + '"');
    EXPECT_EQ(jpeg_size(r.body), (std::pair{64, 48}));

    auto again = d.request("GET", url, "", {{"Authorization", "Bearer " + c.r1.token}, {"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());

    auto thumb = d.get(url + "?variant=thumb", c.m1.token);
    ASSERT_EQ(thumb.status, 200);
    EXPECT_EQ(thumb.header("content-type"), "image/jpeg");
    EXPECT_NE(thumb.header("etag"), etag);
    const auto [tw, th] = jpeg_size(thumb.body);
    EXPECT_GT(tw, 0);
    EXPECT_LE(std::max(tw, th), 320);

    EXPECT_EQ(d.get(url, c.r2.token).status, 404);
    EXPECT_EQ(d.get(url, c.m2.token).status, 404);
    EXPECT_EQ(d.get(url).status, 401);
    EXPECT_EQ(d.get(url + "?variant=huge", c.r1.token).json()["error"]["field"], "variant");
    EXPECT_EQ(d.get("/api/v1/photos/999999", c.r1.token).status, 404);
}

TEST_F(Reports, ThumbnailsOfLargePhotosFitIn320Pixels) {
    auto r = submit(multipart(meta(), {make_jpeg(1200, 900, 77)}), c.r1.token);
    ASSERT_EQ(r.status, 201) << r.body;
    auto thumb = d.get(r.json()["photos"][0]["url"].get<std::string>() + "?variant=thumb", c.r1.token);
    EXPECT_EQ(jpeg_size(thumb.body), (std::pair{320, 240}));
}

TEST_F(Reports, ExifIsStrippedAndOrientationApplied) {
    const auto fixture = read_fixture("photos/gps_orient6.jpg");
    ASSERT_NE(fixture.find("Exif"), std::string::npos) << "the fixture carries EXIF";
    auto r = submit(multipart(meta(), {fixture}), c.r1.token);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto p = r.json()["photos"][0];
    const auto [w, h] = jpeg_size(read_fixture("photos/gps_orient6.jpg"));
    EXPECT_EQ(p["width"], h) << "orientation 6 turns the picture a quarter";
    EXPECT_EQ(p["height"], w);
    auto served = d.get(p["url"].get<std::string>(), c.r1.token);
    ASSERT_EQ(served.status, 200);
    EXPECT_EQ(jpeg_size(served.body), (std::pair{h, w}));
    for (const char* marker : {"Exif", "GPS", "http://ns.adobe.com/xap", "exiftool"})
        EXPECT_EQ(served.body.find(marker), std::string::npos) << marker;
}

// possible_duplicates is remembered between reads (PossibleDuplicatesCache) and must still follow
// every report that opens or closes nearby, at once: read, change, read again.
TEST_F(Reports, PossibleDuplicatesFollowEveryChangeAtOnce) {
    const double lon = 103.3611, lat = 23.3611;  // a corner no other test uses
    auto first = submit(multipart(meta(lon, lat), {make_jpeg(64, 48, 5101)}), c.r1.token).json();
    const auto first_id = first["id"].get<std::int64_t>();
    EXPECT_EQ(c.get(c.dispatcher, first_id)["possible_duplicates"], json::array());
    EXPECT_EQ(c.get(c.dispatcher, first_id)["possible_duplicates"], json::array());  // now remembered

    auto second = submit(multipart(meta(lon + 0.0001, lat), {make_jpeg(64, 48, 5102)}), c.r2.token).json();
    const auto second_id = second["id"].get<std::int64_t>();
    EXPECT_EQ(c.get(c.dispatcher, first_id)["possible_duplicates"], json::array({second_id}));
    const auto list = d.get("/api/v1/reports?limit=200", c.dispatcher.token).json()["items"];
    for (const auto& item : list) {
        if (item["id"] == first_id) {
            EXPECT_EQ(item["possible_duplicates"], json::array({second_id}));
        }
    }

    // Re-classified, the second is no longer of the first's category; classified back, it is.
    c.ok(c.dispatcher, second_id, {{"action", "set_category"}, {"category", "t-manhole"}});
    EXPECT_EQ(c.get(c.dispatcher, first_id)["possible_duplicates"], json::array());
    c.ok(c.dispatcher, second_id, {{"action", "set_category"}, {"category", "t-garbage"}});
    EXPECT_EQ(c.get(c.dispatcher, first_id)["possible_duplicates"], json::array({second_id}));

    c.ok(c.dispatcher, second_id, {{"action", "reject"}, {"reason", "not a problem"}});
    EXPECT_EQ(c.get(c.dispatcher, first_id)["possible_duplicates"], json::array());
    EXPECT_EQ(c.get(c.r1, first_id)["possible_duplicates"], json::array());
}

// The same scene photographed day after day links each report to the 20 most recent earlier
// ones only (kMaxPhotoReuseLinks): the work and the list stay bounded.
TEST_F(Reports, PhotoReuseLinksAreBoundedToTheMostRecent) {
    const auto photo = make_jpeg(64, 48, 31337);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 22; ++i) {
        auto r = submit(multipart(meta(103.39, 23.39), {photo}), c.r1.token);
        ASSERT_EQ(r.status, 201) << r.body;
        ids.push_back(r.json()["id"].get<std::int64_t>());
    }
    const json expected(std::vector<std::int64_t>(ids.end() - 21, ids.end() - 1));
    EXPECT_EQ(c.get(c.dispatcher, ids.back())["photo_reused_from"], expected);
    EXPECT_EQ(c.get(c.dispatcher, ids[5])["photo_reused_from"],
              json(std::vector<std::int64_t>(ids.begin(), ids.begin() + 5)));
}

TEST_F(Reports, PngIsAcceptedAndCleaned) {
    auto r = submit(multipart(meta(), {read_fixture("photos/with_text.png")}), c.r1.token);
    ASSERT_EQ(r.status, 201) << r.body;
    auto served = d.get(r.json()["photos"][0]["url"].get<std::string>(), c.r1.token);
    EXPECT_EQ(served.header("content-type"), "image/png");
    for (const char* chunk : {"tEXt", "iTXt", "zTXt", "eXIf", "tIME"})
        EXPECT_EQ(served.body.find(chunk), std::string::npos) << chunk;
}

TEST_F(Reports, ReusedPhotosAndNearbyReportsAreFlaggedForStaff) {
    const auto photo = make_jpeg(64, 48, 4242);
    auto first = submit(multipart(meta(), {photo}), c.r1.token).json();
    // The same picture again, recompressed (other bytes, same scene), a few metres away.
    auto second = submit(multipart(meta(103.3751, 23.3751), {make_jpeg(64, 48, 4242, 60)}), c.r2.token);
    ASSERT_EQ(second.status, 201);
    const auto id = second.json()["id"];
    EXPECT_EQ(second.json()["possible_duplicates"], json::array({first["id"]}));

    const auto staff_view = c.get(c.m1, id.get<std::int64_t>());
    EXPECT_EQ(staff_view["photo_reused_from"], json::array({first["id"]}));
    EXPECT_FALSE(c.get(c.r2, id.get<std::int64_t>()).contains("photo_reused_from"));
    // Exactly the same bytes are stored once.
    auto third = submit(multipart(meta(103.39, 23.39), {photo}), c.r2.token).json();
    EXPECT_EQ(third["photos"][0]["sha256"], first["photos"][0]["sha256"]);
    EXPECT_EQ(c.get(c.dispatcher, third["id"].get<std::int64_t>())["photo_reused_from"],
              json::array({first["id"], id}));
    EXPECT_EQ(third["possible_duplicates"], json::array()) << "1.5 km away";

    // A different scene is not flagged; closed reports are not possible duplicates.
    auto other = submit(multipart(meta(), {make_jpeg(64, 48, 99)}), c.r1.token).json();
    EXPECT_EQ(c.get(c.m1, other["id"].get<std::int64_t>())["photo_reused_from"], json::array());
    c.ok(c.m1, first["id"].get<std::int64_t>(), {{"action", "reject"}, {"reason", "dup"}});
    EXPECT_EQ(c.get(c.m1, other["id"].get<std::int64_t>())["possible_duplicates"], json::array({id}));
}

}  // namespace
