// civicsnap-load: the load client and disk-ceiling probe behind scripts/bench (issue 8).
//
//   civicsnap-load intake  --port P --tokens-file F --ids-out F [--photo-ids-out F] [--photos N] [--photo-bytes B]
//                          [--photo-width W --photo-height H] [--mode-name NAME]
//   civicsnap-load accept  --port P --token T --ids-file F
//   civicsnap-load redeem  --port P --tokens-file F --kiosks-file F --sku SKU [--prefetch N] [--codes-file F]
//                          (kiosks: one `key_id secret` a line; connection i is till i mod their number;
//                          the codes from --codes-file if given, else fetched first)
//   civicsnap-load redeem-codes --port P --tokens-file F --codes-out F [--prefetch N]
//                          (fetches the one-time codes only, one a line, so that a run can be timed alone)
//   civicsnap-load idle    --port P --connections N [--hold-ms MS]
//   civicsnap-load fsync   --dir D [--bytes B]
//   civicsnap-load sqlite  --db FILE
//   civicsnap-load intake-work --dir D [--photos N] [--photo-bytes B]
//                          (case 3's ceiling: the server's per-photo work and file writes, no HTTP/db)
//   civicsnap-load s3-put  --port P --bucket B [--bytes B]        (the object store's bare PUT rate)
//   civicsnap-load s3-get  --port P --bucket B --objects N         (GETs of what s3-put wrote)
//   civicsnap-load soak    --port P --pid PID --data-dir D [--minutes M | --seconds S] [--csv F]
//                          [--intake-loops N --read-loops N --action-loops N --redeem-loops N
//                           --subscribers N --residents N --photos N --photo-bytes B]
//                          (the mixed-load soak of scripts/soak against a --demo daemon; soak.hpp)
//                          (credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; region us-east-1)
// common: --host H --port P[,P2,...] (load spread over several daemons) --connections N (writers for fsync/sqlite)
// --duration-ms MS
//
// Each mode prints one line `mode=... concurrency=... ok=... errors=... seconds=... rps=...
// p50_ms=... p99_ms=...` on stdout; progress and errors go to stderr.
#include "bench/load/disk_ceilings.hpp"
#include "bench/load/http_driver.hpp"
#include "bench/load/intake_ceiling.hpp"
#include "bench/load/jpeg_pool.hpp"
#include "bench/load/soak.hpp"
#include "common/crypto.hpp"
#include "common/sigv4.hpp"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <thread>

namespace {

using namespace civic::load;
using nlohmann::json;

struct Args {
    std::string mode;
    std::map<std::string, std::string> values;

    std::string get(const std::string& name, const std::string& fallback = "") const {
        const auto it = values.find(name);
        if (it != values.end()) return it->second;
        if (fallback.empty()) throw std::invalid_argument("missing --" + name);
        return fallback;
    }
    std::size_t number(const std::string& name, std::size_t fallback) const {
        return static_cast<std::size_t>(std::stoull(get(name, std::to_string(fallback))));
    }
};

Args parse(int argc, char** argv) {
    if (argc < 2) throw std::invalid_argument("usage: civicsnap-load MODE [--name value]...");
    Args a;
    a.mode = argv[1];
    for (int i = 2; i < argc; i += 2) {
        const std::string name = argv[i];
        if (name.rfind("--", 0) != 0 || i + 1 >= argc) throw std::invalid_argument("bad argument " + name);
        a.values[name.substr(2)] = argv[i + 1];
    }
    return a;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    if (lines.empty()) throw std::runtime_error(path + " is empty");
    return lines;
}

// --port P or --port P1,P2,...: the load modes spread their connections over the ports in turn.
Target target_of(const Args& a) { return parse_target(a.get("host", "127.0.0.1"), a.get("port", "8080")); }

DriveOptions drive_options(const Args& a) {
    DriveOptions o;
    o.connections = a.number("connections", 16);
    o.duration = std::chrono::milliseconds(a.number("duration-ms", 10'000));
    return o;
}

void print(const std::string& mode, std::size_t concurrency, const Summary& s) {
    std::cout << format_summary(mode, concurrency, s) << std::endl;
}

json parse_json(const std::string& body) { return json::parse(body, nullptr, false); }

// Report intake: a multipart body with the meta part and one distinct ~100 KB JPEG, as the
// mobile app sends it; the point lies inside grid MZ-01 of the demo city (auto-assigning), the
// category is drawn from the live list. Created report ids are written for the later cases.
int intake(const Args& a) {
    const auto target = target_of(a);
    const auto tokens = read_lines(a.get("tokens-file"));
    const auto categories_reply = fetch(target, {"GET", "/api/v1/categories", "", {}});
    std::vector<std::string> categories;
    const auto cat_json = parse_json(categories_reply.body);
    const auto& cat_items = cat_json["items"];
    for (const auto& c : cat_items) categories.push_back(c["code"]);
    if (categories.empty()) throw std::runtime_error("no categories");

    const auto photo_count = a.number("photos", 2000);
    std::cerr << "civicsnap-load: encoding " << photo_count << " distinct JPEGs\n";
    const auto photos = make_jpeg_pool(photo_count, a.number("photo-bytes", 100 * 1024),
                                       static_cast<int>(a.number("photo-width", 1024)),
                                       static_cast<int>(a.number("photo-height", 768)));
    std::size_t photo_bytes = 0;
    for (const auto& p : photos) photo_bytes += p.size();
    std::cerr << "civicsnap-load: mean JPEG " << photo_bytes / photos.size() << " bytes\n";

    const std::string boundary = "civicsnap-load-b0undary-5kq2";
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> lon(103.341, 103.361), lat(23.3725, 23.3815);
    std::size_t next_photo = 0;
    std::size_t reused = 0;
    auto make = [&](std::size_t index) -> std::optional<Call> {
        if (next_photo >= photos.size()) ++reused;
        const auto& photo = photos[next_photo++ % photos.size()];
        const json meta = {{"category", categories[rng() % categories.size()]},
                           {"description", "Bench report: broken cover at the corner, please check"},
                           {"lat", lat(rng)},
                           {"lon", lon(rng)}};
        Call c;
        c.method = "POST";
        c.target = "/api/v1/reports";
        c.headers = {{"Authorization", "Bearer " + tokens[index % tokens.size()]},
                     {"Content-Type", "multipart/form-data; boundary=" + boundary}};
        c.body.reserve(photo.size() + 512);
        c.body.append("--").append(boundary).append(
            "\r\nContent-Disposition: form-data; name=\"meta\"\r\n"
            "Content-Type: application/json\r\n\r\n");
        c.body.append(meta.dump()).append("\r\n--").append(boundary);
        c.body.append(
            "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"snap.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n");
        c.body.append(photo).append("\r\n--").append(boundary).append("--\r\n");
        return c;
    };
    std::ofstream ids(a.get("ids-out"));
    std::ofstream photo_ids;  // for the photo-read cases
    if (a.values.count("photo-ids-out")) photo_ids.open(a.get("photo-ids-out"));
    auto check = [&](std::size_t, const Reply& r) {
        if (r.status != 201) return false;
        const auto j = parse_json(r.body);
        if (!j.is_object() || !j.contains("id")) return false;
        ids << j["id"].get<std::int64_t>() << "\n";
        if (photo_ids.is_open())
            for (const auto& photo : j.value("photos", json::array())) photo_ids << photo.value("id", 0) << "\n";
        return true;
    };
    const auto options = drive_options(a);
    const auto result = drive(target, options, make, check);
    if (reused) std::cerr << "civicsnap-load: " << reused << " photos were reused (raise --photos)\n";
    print(a.get("mode-name", "intake"), options.connections, result.latencies.summarize(result.seconds));
    return 0;
}

// accept with auto-assign: each request takes the next submitted report.
int accept(const Args& a) {
    const auto ids = read_lines(a.get("ids-file"));
    const auto token = a.get("token");
    std::size_t next = 0;
    auto make = [&](std::size_t) -> std::optional<Call> {
        if (next >= ids.size()) return std::nullopt;
        Call c;
        c.method = "POST";
        c.target = "/api/v1/reports/" + ids[next++] + "/actions";
        c.body = R"({"action":"accept"})";
        c.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
        return c;
    };
    std::size_t assigned = 0;
    auto check = [&](std::size_t, const Reply& r) {
        if (r.status != 200) return false;
        const auto j = parse_json(r.body);
        if (j.is_object() && j.value("status", "") == "assigned") ++assigned;
        return true;
    };
    const auto options = drive_options(a);
    const auto result = drive(target_of(a), options, make, check);
    if (next >= ids.size()) std::cerr << "civicsnap-load: accept ran out of submitted reports (" << ids.size() << ")\n";
    std::cerr << "civicsnap-load: " << assigned << " accepted tickets were auto-assigned\n";
    print("accept", options.connections, result.latencies.summarize(result.seconds));
    return 0;
}

// Kiosk redemption. One-time codes are fetched first (as residents' phones would, ahead of the
// till), then every redemption is signed afresh (API.md §7) with its own Idempotency-Key and code.
// Each connection is one till (a kiosk serves one customer at a time), so with as many kiosks as
// connections no two redemptions of one kiosk overlap, as in the shops.
std::vector<std::string> fetch_codes(const Args& a) {
    const auto target = target_of(a);
    const auto residents = read_lines(a.get("tokens-file"));
    std::vector<std::string> codes;
    DriveOptions prefetch = drive_options(a);
    prefetch.max_requests = a.number("prefetch", 10'000);
    prefetch.duration = std::chrono::milliseconds(60'000);
    auto make_code = [&](std::size_t index) -> std::optional<Call> {
        return Call{
            "POST",
            "/api/v1/me/redeem-token",
            "{}",
            {{"Authorization", "Bearer " + residents[index % residents.size()]}, {"Content-Type", "application/json"}}};
    };
    auto keep_code = [&](std::size_t, const Reply& r) {
        if (r.status != 201) return false;
        const auto j = parse_json(r.body);
        if (!j.is_object() || !j.contains("token")) return false;
        codes.push_back(j["token"]);
        return true;
    };
    const auto fetched = drive(target, prefetch, make_code, keep_code);
    std::cerr << "civicsnap-load: "
              << format_summary("redeem-token", prefetch.connections, fetched.latencies.summarize(fetched.seconds))
              << "\n";
    return codes;
}

int redeem_codes(const Args& a) {
    const auto codes = fetch_codes(a);
    std::ofstream out(a.get("codes-out"));
    for (const auto& c : codes) out << c << "\n";
    out.close();
    if (!out) throw std::runtime_error("cannot write " + a.get("codes-out"));
    return codes.empty() ? 1 : 0;
}

int redeem(const Args& a) {
    const auto target = target_of(a);
    struct Till {
        std::string key_id, secret;
    };
    std::vector<Till> tills;
    for (const auto& line : read_lines(a.get("kiosks-file"))) {
        const auto space = line.find(' ');
        if (space == std::string::npos) throw std::runtime_error("kiosks file: want `key_id secret` lines");
        tills.push_back({line.substr(0, space), line.substr(space + 1)});
    }
    if (tills.empty()) throw std::runtime_error("kiosks file: no kiosk");
    const auto sku = a.get("sku");
    const auto options = drive_options(a);
    const auto codes = a.values.count("codes-file") ? read_lines(a.get("codes-file")) : fetch_codes(a);

    std::size_t next = 0;
    std::uint64_t serial = 0;
    const std::string run_id = civic::crypto::random_token(6);
    auto make = [&](std::size_t index) -> std::optional<Call> {
        if (next >= codes.size()) return std::nullopt;
        const auto& till = tills[index % tills.size()];
        Call c;
        c.method = "POST";
        c.target = "/api/v1/kiosk/redemptions";
        c.body = json({{"token", codes[next++]}, {"items", json::array({{{"sku", sku}, {"qty", 1}}})}}).dump();
        const auto ts = std::to_string(std::time(nullptr));
        const auto text = c.method + "\n" + c.target + "\n" + ts + "\n" + civic::crypto::sha256_hex(c.body);
        c.headers = {{"Content-Type", "application/json"},
                     {"X-Kiosk-Key", till.key_id},
                     {"X-Kiosk-Timestamp", ts},
                     {"X-Kiosk-Signature", civic::crypto::hex_encode(civic::crypto::hmac_sha256(till.secret, text))},
                     {"Idempotency-Key", "bench-" + run_id + "-" + std::to_string(serial++)}};
        return c;
    };
    auto check = [](std::size_t, const Reply& r) { return r.status == 201; };
    const auto result = drive(target, options, make, check);
    if (next >= codes.size())
        std::cerr << "civicsnap-load: redemptions used every prefetched code (raise --prefetch)\n";
    print("redeem", options.connections, result.latencies.summarize(result.seconds));
    return 0;
}

// Idle keep-alive connections: prints `ready open=N` once they are all open, then holds them.
int idle(const Args& a) {
    const auto n = a.number("connections", 10'000);
    const auto hold = std::chrono::milliseconds(a.number("hold-ms", 3'000));
    const auto open = hold_idle(target_of(a), n, "/healthz", [&](std::size_t opened) {
        std::cout << "ready open=" << opened << std::endl;
        std::this_thread::sleep_for(hold);
    });
    std::cout << "mode=idle concurrency=" << n << " open=" << open << std::endl;
    return open == n ? 0 : 1;
}

int disk(const Args& a) {
    DiskOptions o;
    o.writers = a.number("connections", 16);
    o.duration = std::chrono::milliseconds(a.number("duration-ms", 10'000));
    if (a.mode == "fsync")
        print("fsync", o.writers, durable_file_writes(a.get("dir"), a.number("bytes", 100 * 1024), o));
    else
        print("sqlite", o.writers, durable_sqlite_transactions(a.get("db"), o));
    return 0;
}

// Case 3's ceiling (intake_ceiling.hpp): the same photos as `intake` sends, made the same way
// before the clock starts, through the server's own cleaning and file-store functions.
int intake_work(const Args& a) {
    DiskOptions o;
    o.writers = a.number("connections", 16);
    o.duration = std::chrono::milliseconds(a.number("duration-ms", 10'000));
    const auto photo_count = a.number("photos", 2000);
    std::cerr << "civicsnap-load: encoding " << photo_count << " distinct JPEGs\n";
    const auto photos = make_jpeg_pool(photo_count, a.number("photo-bytes", 100 * 1024),
                                       static_cast<int>(a.number("photo-width", 1024)),
                                       static_cast<int>(a.number("photo-height", 768)));
    // The process's CPU (user + system, every thread) per photo, to set beside the daemon's.
    const auto cpu_us = [] {
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        const auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + t.tv_usec; };
        return us(u.ru_utime) + us(u.ru_stime);
    };
    const double cpu_before = cpu_us();
    const auto summary = photo_intake_work(a.get("dir"), photos, o);
    const double per_photo = summary.ok ? (cpu_us() - cpu_before) / static_cast<double>(summary.ok) : 0;
    std::cout << format_summary("intake-work", o.writers, summary) << " cpu_us_per_op=" << static_cast<long>(per_photo)
              << std::endl;
    return 0;
}

// The ceiling of the photo store's cases: signed PUTs of distinct objects ("bench/obj-<n>", the
// same bytes under each key, as the daemon's content-addressed PUTs would be all distinct), then
// GETs spread over them — through the same driver as the daemon's cases, so that the two compare.
int s3(const Args& a) {
    const auto target = target_of(a);
    const auto bucket = a.get("bucket");
    const char* key_id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    if (!key_id || !secret) throw std::invalid_argument("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are needed");
    const civic::sigv4::Credentials credentials{key_id, secret, ""};
    const bool put = a.mode == "s3-put";
    std::string body;
    if (put) {
        std::mt19937 rng(11);
        body.resize(a.number("bytes", 100 * 1024));
        for (auto& c : body) c = static_cast<char>(rng());
    }
    const auto body_sha = put ? civic::crypto::sha256_hex(body) : std::string(civic::sigv4::kEmptySha256);
    const auto objects = put ? 0 : a.number("objects", 0);
    if (!put && objects == 0) throw std::invalid_argument("--objects must be at least 1");
    std::size_t next = 0;
    std::mt19937_64 rng(5);
    auto make = [&](std::size_t) -> std::optional<Call> {
        const auto n = put ? next++ : rng() % objects;
        civic::sigv4::Request r;
        r.method = put ? "PUT" : "GET";
        r.host = target.host + ":" + std::to_string(target.port);
        r.path = "/" + bucket + "/bench/obj-" + std::to_string(n);
        r.payload_sha256 = body_sha;
        const auto signed_request = civic::sigv4::sign(r, credentials, {}, std::chrono::system_clock::now());
        Call c;
        c.method = r.method;
        c.target = signed_request.target;
        c.headers = signed_request.headers;
        if (put) c.body = body;
        return c;
    };
    auto check = [&](std::size_t, const Reply& r) { return r.status == 200 && (put || !r.body.empty()); };
    const auto options = drive_options(a);
    const auto result = drive(target, options, make, check);
    print(a.mode, options.connections, result.latencies.summarize(result.seconds));
    return 0;
}

// The mixed-load soak (soak.hpp): the summary on stdout, exit 1 when it is not clean.
int soak(const Args& a) {
    SoakOptions o;
    o.target = target_of(a);
    o.daemon_pid = static_cast<pid_t>(a.number("pid", 0));
    if (o.daemon_pid <= 0) throw std::invalid_argument("--pid of the daemon is needed");
    o.data_dir = a.get("data-dir");
    o.duration = a.values.count("seconds") ? std::chrono::seconds(a.number("seconds", 60))
                                           : std::chrono::seconds(60 * a.number("minutes", 30));
    o.csv_path = a.get("csv", "soak.csv");
    o.intake_loops = a.number("intake-loops", o.intake_loops);
    o.read_loops = a.number("read-loops", o.read_loops);
    o.action_loops = a.number("action-loops", o.action_loops);
    o.redeem_loops = a.number("redeem-loops", o.redeem_loops);
    o.subscribers = a.number("subscribers", o.subscribers);
    o.residents = std::max<std::size_t>(1, a.number("residents", o.residents));
    o.photos = std::max<std::size_t>(1, a.number("photos", o.photos));
    o.photo_bytes = a.number("photo-bytes", o.photo_bytes);
    return run_soak(o);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const auto a = parse(argc, argv);
        if (a.mode == "intake") return intake(a);
        if (a.mode == "accept") return accept(a);
        if (a.mode == "redeem") return redeem(a);
        if (a.mode == "redeem-codes") return redeem_codes(a);
        if (a.mode == "idle") return idle(a);
        if (a.mode == "fsync" || a.mode == "sqlite") return disk(a);
        if (a.mode == "intake-work") return intake_work(a);
        if (a.mode == "s3-put" || a.mode == "s3-get") return s3(a);
        if (a.mode == "soak") return soak(a);
        throw std::invalid_argument("unknown mode " + a.mode);
    } catch (const std::exception& e) {
        std::cerr << "civicsnap-load: " << e.what() << "\n";
        return 2;
    }
}
