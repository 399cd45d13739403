#include "server/api/report_view.hpp"

#include "common/time.hpp"

namespace civic::api {

using nlohmann::json;

namespace {
json time_or_null(const std::optional<std::int64_t>& t) {
    return t ? json(timefmt::format_rfc3339(*t)) : json(nullptr);
}
template <class T>
json or_null(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}
}  // namespace

// Objects are filled key by key: nlohmann's initializer-list form first builds a two-element
// array for every pair and then converts, which made report views a fifth of a ticket read.
json photo_view(const store::PhotoRow& p) {
    json view = json::object();
    view["id"] = p.id;
    view["stage"] = p.stage;
    view["sha256"] = p.blob.sha256;
    view["width"] = p.blob.width;
    view["height"] = p.blob.height;
    view["bytes"] = p.blob.bytes;
    view["url"] = "/api/v1/photos/" + std::to_string(p.id);
    return view;
}

json report_view(const store::ReportRow& r, const domain::ReportExtras& x, std::int64_t now, bool staff) {
    json view = json::object();
    view["id"] = r.id;
    view["status"] = r.status;
    view["category"] = r.category;
    view["description"] = r.description;
    // A report placed by address only (Open311) has no position: null, not its 0 placeholders.
    view["lat"] = r.located ? json(r.lat) : json(nullptr);
    view["lon"] = r.located ? json(r.lon) : json(nullptr);
    view["address"] = or_null(r.address);
    view["grid_id"] = or_null(r.grid_id);
    view["assignee_id"] = or_null(r.assignee_id);
    view["reporter_id"] = r.reporter_id;
    view["created_at"] = timefmt::format_rfc3339(r.created_at);
    view["accepted_at"] = time_or_null(r.accepted_at);
    view["deadline_at"] = time_or_null(r.deadline_at);
    view["resolved_at"] = time_or_null(r.resolved_at);
    view["closed_at"] = time_or_null(r.closed_at);
    view["overdue"] = domain::is_overdue(r, now);
    view["deadline_light"] = or_null(domain::deadline_light(r, now, x.work_calendar.get()));
    view["rework_count"] = r.rework_count;
    view["duplicate_of"] = or_null(r.duplicate_of);
    view["rating"] = or_null(r.rating);
    view["points_awarded"] = r.points_awarded;
    view["verified"] = r.verified;
    view["self_handled"] = r.self_handled;
    view["parked_until"] = time_or_null(r.parked_until);
    view["check_deadline_at"] = time_or_null(r.check_deadline_at);
    view["possible_duplicates"] = x.possible_duplicates;
    json& photos = view["photos"] = json::array();
    for (const auto& p : x.photos) photos.push_back(photo_view(p));
    if (staff) {
        view["photo_reused_from"] = x.photo_reused_from;
        view["media_urls"] = x.media_urls;  // links an Open311 partner sent; never fetched
    }
    if (x.events) {
        json& events = view["events"] = json::array();
        for (const auto& e : *x.events) {
            json event = json::object();
            event["at"] = timefmt::format_rfc3339(e.at);
            event["actor_id"] = e.actor_id;
            event["action"] = e.action;
            event["from"] = or_null(e.from_status);
            event["to"] = e.to_status;
            event["note"] = or_null(e.note);
            events.push_back(std::move(event));
        }
    }
    return view;
}

}  // namespace civic::api
