// API.md §4: submitting reports, driving tickets through their lifecycle, reading them and
// their photos.
#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "common/time.hpp"
#include "server/api/auth.hpp"
#include "server/api/idempotency.hpp"
#include "server/api/input.hpp"
#include "server/api/list_page.hpp"
#include "server/api/photo_intake.hpp"
#include "server/api/photo_read.hpp"
#include "server/api/rate_limit.hpp"
#include "server/api/report_feed.hpp"
#include "server/api/report_view.hpp"
#include "server/api/routes.hpp"
#include "server/domain/reports.hpp"
#include "server/http/limits.hpp"
#include "server/http/response.hpp"
#include "server/store/cluster_repo.hpp"
#include "server/store/offload.hpp"
#include "server/store/photo_files.hpp"
#include "server/store/photo_store.hpp"

#include <filesystem>

namespace civic::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

domain::NewReport new_report_from(const json& meta, std::int64_t reporter_id) {
    domain::NewReport r;
    r.reporter_id = reporter_id;
    r.category = require_string(meta, "category");
    r.description = require_string(meta, "description");
    r.lat = require_number(meta, "lat", -90, 90);
    r.lon = require_number(meta, "lon", -180, 180);
    r.address = optional_string(meta, "address");
    return r;
}

domain::ActionRequest action_from(const json& body) {
    domain::ActionRequest q;
    q.action = require_string(body, "action");
    q.reason = optional_string(body, "reason");
    q.note = optional_string(body, "note");
    q.of = optional_int(body, "of", 1, INT64_MAX);
    q.worker_id = optional_int(body, "worker_id", 1, INT64_MAX);
    q.hours = optional_int(body, "hours", 1, domain::kMaxExtensionHours);
    q.grid_id = optional_int(body, "grid_id", 1, INT64_MAX);
    q.category = optional_string(body, "category");
    if (auto until = optional_string(body, "until")) {
        q.until = timefmt::parse_rfc3339(*until);
        if (!q.until) throw ApiError::invalid_field("until", "until is an RFC 3339 time");
    }
    return q;
}

// A 200 whose JSON body is already rendered (what http::json_response gives for a tree).
Response rendered_json(std::string body) {
    Response response;
    response.status = 200;
    response.body = std::move(body);
    return response;
}

// The report as the caller sees it, read in one go.
asio::awaitable<Response> view_for(AppContext& ctx, const Caller& who, const store::ReportRow& row) {
    const auto now = ctx.clock.now();
    const bool staff = who.is_staff();
    const auto duplicates = duplicates_lookup(ctx.duplicates);
    co_return rendered_json(co_await ctx.db.read([&](store::Conn& conn) {
        return render_report_view(row, domain::load_extras(conn, row, false, duplicates, staff), now, staff);
    }));
}

// What a submission asked for, for Idempotency-Key: the meta and each photo's bytes (hashed on
// the worker pool: up to 64 MiB).
asio::awaitable<std::string> upload_fingerprint(AppContext& ctx, const Upload& upload) {
    co_return co_await offload(ctx.blocking_pool, [&] {
        std::string digests = upload.meta.dump();
        for (const auto& photo : upload.photos) {
            auto bytes = photo.bytes();  // one photo in memory at a time
            if (!bytes) throw to_api_error(bytes.error());
            digests += '\n';
            digests += crypto::sha256_hex(bytes.value());
        }
        for (const auto& photo : upload.after_photos) {
            auto bytes = photo.bytes();
            if (!bytes) throw to_api_error(bytes.error());
            digests += "\nafter ";
            digests += crypto::sha256_hex(bytes.value());
        }
        return crypto::sha256_hex(digests);
    });
}

asio::awaitable<Response> submit_report(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::resident, Role::worker});
    const auto key = idempotency_key(req, false);
    if (!is_multipart(req)) throw ApiError::bad_request("a report is sent as multipart/form-data");
    const auto upload = read_upload(req);
    // Residents report; workers only what they fixed themselves (自行处置).
    const bool self_handled = optional_bool(upload.meta, "self_handled", false);
    if (self_handled != who.is(Role::worker))
        throw ApiError::forbidden(self_handled ? "only a grid worker files a self-handled report"
                                               : "a worker files only self-handled reports");
    Idempotency idem{"user:" + std::to_string(who.user_id), key.value_or(""), ""};
    if (key) {  // a retry of a stored submission skips the photo work entirely
        idem.fingerprint = co_await upload_fingerprint(ctx, upload);
        const auto now = ctx.clock.now();
        auto stored = co_await ctx.db.read([&](store::Conn& conn) { return replay(conn, idem, now); });
        if (stored) co_return *stored;
    }
    // After the replay check: a retried submission is not a new report and costs no token.
    if (ctx.rate_limits)
        if (const auto wait = co_await ctx.rate_limits->reports->take(std::to_string(who.user_id), ctx.clock.now()))
            throw ApiError::rate_limited(*wait, "too many reports from this account; retry later");
    auto report = new_report_from(upload.meta, who.user_id);
    report.self_handled = self_handled;
    co_await ctx.db.read([&](store::Conn& conn) {
        domain::check_new_report(conn, report, upload.photos.size());
        if (self_handled) domain::check_self_handled(conn, report, upload.after_photos.size());
    });
    if (!self_handled && !upload.after_photos.empty())
        throw ApiError::invalid_field("after", "only a self-handled report has after photos");
    report.photos = co_await store_photos(ctx, upload.photos);
    report.after_photos = co_await store_photos(ctx, upload.after_photos);

    const auto now = ctx.clock.now();
    std::optional<store::ReportRow> created;
    auto response = co_await ctx.db.write([&](store::Conn& conn) {
        return run_idempotent(conn, idem, now, [&](store::Conn& c) {
            created = domain::submit_report(c, report, now);
            store::notify_report_change(c, "report.created", *created, now);  // to the other nodes' push
            return http::json_response(
                201, report_view(*created, domain::load_extras(c, *created, false, {}, false), now, false));
        });
    });
    if (created) publish_report(ctx, "report.created", *created, now);
    co_return response;
}

asio::awaitable<Response> act_on_report(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    const auto id = req.param_int("id");
    domain::ActionRequest action;
    std::vector<MultipartPart> photo_parts;
    if (is_multipart(req)) {
        auto upload = read_upload(req);
        if (!upload.after_photos.empty())
            throw ApiError::bad_request("unexpected part: an action takes meta and photo parts only");
        action = action_from(upload.meta);
        photo_parts = std::move(upload.photos);
    } else {
        action = action_from(json_body(req));
    }
    if (!photo_parts.empty()) {
        // Refuse what would be refused anyway before decoding and storing photos.
        action.photos.resize(photo_parts.size());
        domain::check_action_fields(action);
        co_await ctx.db.read([&](store::Conn& conn) { domain::check_action_allowed(conn, who, id, action); });
        action.photos = co_await store_photos(ctx, photo_parts);
    }
    const auto now = ctx.clock.now();
    const auto cap = ctx.config.daily_points_cap;
    auto row = co_await ctx.db.write([&](store::Conn& conn) {
        auto changed = domain::apply_action(conn, who, id, action, now, cap);
        store::notify_report_change(conn, "report.updated", changed, now);
        return changed;
    });
    publish_report(ctx, "report.updated", row, now);
    co_return co_await view_for(ctx, who, row);
}

asio::awaitable<Response> rate_report(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    const auto id = req.param_int("id");
    const auto body = json_body(req);
    const auto rating = require_int(body, "rating", 1, 5);
    const auto comment = optional_string(body, "comment");
    const auto now = ctx.clock.now();
    auto row = co_await ctx.db.write([&](store::Conn& conn) {
        auto rated = domain::rate_report(conn, who, id, rating, comment, now);
        store::notify_report_change(conn, "report.updated", rated, now);
        return rated;
    });
    publish_report(ctx, "report.updated", row, now);
    co_return co_await view_for(ctx, who, row);
}

asio::awaitable<Response> get_report(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    const auto id = req.param_int("id");
    const auto now = ctx.clock.now();
    const bool staff = who.is_staff();
    const auto duplicates = duplicates_lookup(ctx.duplicates);
    co_return rendered_json(co_await ctx.db.read([&](store::Conn& conn) {
        const auto row = domain::readable_report(conn, who, id);
        return render_report_view(row, domain::load_extras(conn, row, true, duplicates, staff), now, staff);
    }));
}

store::ReportFilter filter_for(const Caller& who, const Request& req, std::int64_t now) {
    store::ReportFilter f;
    if (who.is(Role::resident)) f.reporter_id = who.user_id;
    if (who.is(Role::worker)) f.assignee_id = who.user_id;
    if (who.is(Role::manager)) f.manager_id = who.user_id;
    if (auto status = req.query_param("status")) {
        if (!domain::parse_status(*status)) throw ApiError::invalid_field("status", "unknown status");
        f.status = std::string(*status);
    }
    f.grid_id = query_int(req, "grid_id", 1, INT64_MAX);
    if (auto category = req.query_param("category")) f.category = std::string(*category);
    if (auto overdue = req.query_param("overdue")) {
        if (*overdue == "true")
            f.overdue_at = now;
        else if (*overdue != "false")
            throw ApiError::invalid_field("overdue", "overdue is true or false");
    }
    if (auto key = cursor_key(req, 1)) f.before_id = key->front();
    f.limit = static_cast<int>(page_limit(req));
    return f;
}

asio::awaitable<Response> list_reports(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    const auto now = ctx.clock.now();
    auto filter = filter_for(who, req, now);
    const auto page = filter.limit;
    filter.limit = page + 1;  // one more tells whether there is a next page
    const bool staff = who.is_staff();
    const auto duplicates = duplicates_lookup(ctx.duplicates);
    co_return rendered_json(co_await ctx.db.read([&](store::Conn& conn) {
        auto rows = store::list_reports(conn, filter);
        const bool more = rows.size() > static_cast<std::size_t>(page);
        if (more) rows.pop_back();
        std::string body;
        jsonutil::JsonWriter out(body);
        out.begin_object().key("items").begin_array();
        for (const auto& row : rows)
            write_report_view(out, row, domain::load_extras(conn, row, false, duplicates, staff), now, staff);
        out.end_array().key("next_cursor");
        if (more)
            out.string(encode_cursor({rows.back().id}));
        else
            out.null();
        out.end_object();
        return body;
    }));
}

asio::awaitable<Response> get_photo(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    const auto photo_id = req.param_int("id");
    const auto variant = req.query_param("variant").value_or("original");
    if (variant != "original" && variant != "thumb")
        throw ApiError::invalid_field("variant", "variant is original or thumb");
    const bool thumb = variant == "thumb";
    auto photo = co_await ctx.db.read([&](store::Conn& conn) {
        auto p = store::find_photo(conn, photo_id);
        if (!p) throw ApiError::not_found("no such photo");
        domain::readable_report(conn, who, p->report_id);  // 404 unless the caller may read the ticket
        return *p;
    });
    PhotoToServe serve;
    serve.name = thumb ? store::thumbnail_file_name(photo.blob.sha256)
                       : store::original_file_name(photo.blob.sha256, photo.blob.format);
    serve.known_size = thumb ? 0 : static_cast<std::uint64_t>(photo.blob.bytes);
    serve.content_type = thumb || photo.blob.format == "jpeg" ? "image/jpeg" : "image/png";
    serve.etag = "\"" + photo.blob.sha256 + (thumb ? "-thumb" : "") + "\"";
    // The bytes behind a photo id never change; private because reading them needs a token.
    serve.cache_control = "private, max-age=86400";
    const http::ErrorRenderer native = [](const ApiError& e, const Request&) { return http::error_response(e); };
    co_return co_await serve_photo(ctx, req, std::move(serve), native);
}

asio::awaitable<Response> stream_without_upgrade(AppContext&, Request&) {
    throw ApiError::bad_request("GET /api/v1/stream is a WebSocket: send an Upgrade request");
}

// Browsers cannot set headers on a WebSocket, so the token may come as ?access_token=.
asio::awaitable<std::shared_ptr<void>> subscribe_stream(AppContext& ctx, Request& req,
                                                        std::shared_ptr<http::PushChannel> channel) {
    if (!req.header("authorization"))
        if (auto token = req.query_param("access_token"))
            req.headers.emplace_back("authorization", "Bearer " + std::string(*token));
    const auto who = co_await authenticate(ctx, req);
    if (!ctx.feed) throw ApiError::unavailable(5, "push is not available");
    co_return ctx.feed->subscribe({who, channel});
}

}  // namespace

void add_report_routes(http::Router& router, AppContext& ctx) {
    router.add({"POST", "/api/v1/reports", http::limits::kMaxUploadBodyBytes, bind(ctx, submit_report),
                "Submit a report: multipart meta + 1..6 photos (resident)", &MultipartLimits::report_intake()});
    router.add({"GET", "/api/v1/reports", 0, bind(ctx, list_reports), "List reports visible to the caller"});
    router.add({"GET", "/api/v1/reports/{id:int}", 0, bind(ctx, get_report), "A report with its events"});
    router.add({"POST", "/api/v1/reports/{id:int}/actions", http::limits::kMaxUploadBodyBytes, bind(ctx, act_on_report),
                "Take a lifecycle action on a ticket (staff, assignee)", &MultipartLimits::report_intake()});
    router.add({"POST", "/api/v1/reports/{id:int}/rating", http::limits::kMaxJsonBodyBytes, bind(ctx, rate_report),
                "Rate a report (reporter)"});
    router.add({"GET", "/api/v1/photos/{id:int}", 0, bind(ctx, get_photo), "A photo's bytes or thumbnail"});
    router.add({"GET", "/api/v1/stream", 0, bind(ctx, stream_without_upgrade), "WebSocket of live ticket updates",
                nullptr, [&ctx](Request& req, std::shared_ptr<http::PushChannel> channel) {
                    return subscribe_stream(ctx, req, std::move(channel));
                }});
}

}  // namespace civic::api
