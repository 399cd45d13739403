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

json photo_view(const store::PhotoRow& p) {
    return {{"id", p.id},
            {"stage", p.stage},
            {"sha256", p.blob.sha256},
            {"width", p.blob.width},
            {"height", p.blob.height},
            {"bytes", p.blob.bytes},
            {"url", "/api/v1/photos/" + std::to_string(p.id)}};
}

json report_view(const store::ReportRow& r, const domain::ReportExtras& x, std::int64_t now, bool staff) {
    json photos = json::array();
    for (const auto& p : x.photos) photos.push_back(photo_view(p));
    json view = {
        {"id", r.id},
        {"status", r.status},
        {"category", r.category},
        {"description", r.description},
        {"lat", r.lat},
        {"lon", r.lon},
        {"address", or_null(r.address)},
        {"grid_id", or_null(r.grid_id)},
        {"assignee_id", or_null(r.assignee_id)},
        {"reporter_id", r.reporter_id},
        {"created_at", timefmt::format_rfc3339(r.created_at)},
        {"accepted_at", time_or_null(r.accepted_at)},
        {"deadline_at", time_or_null(r.deadline_at)},
        {"resolved_at", time_or_null(r.resolved_at)},
        {"closed_at", time_or_null(r.closed_at)},
        {"overdue", domain::is_overdue(r, now)},
        {"deadline_light", or_null(domain::deadline_light(r, now))},
        {"rework_count", r.rework_count},
        {"duplicate_of", or_null(r.duplicate_of)},
        {"rating", or_null(r.rating)},
        {"points_awarded", r.points_awarded},
        {"possible_duplicates", x.possible_duplicates},
        {"photos", std::move(photos)},
    };
    if (staff) view["photo_reused_from"] = x.photo_reused_from;
    if (x.events) {
        json events = json::array();
        for (const auto& e : *x.events)
            events.push_back({{"at", timefmt::format_rfc3339(e.at)},
                              {"actor_id", e.actor_id},
                              {"action", e.action},
                              {"from", or_null(e.from_status)},
                              {"to", e.to_status},
                              {"note", or_null(e.note)}});
        view["events"] = std::move(events);
    }
    return view;
}

}  // namespace civic::api
