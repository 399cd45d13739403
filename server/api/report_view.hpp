#pragma once
// The report object of API.md §4 (and its staff-only and detail additions).
#include "server/domain/reports.hpp"

#include <nlohmann/json.hpp>

namespace civic::api {

// `staff` adds "photo_reused_from"; `extras.events` (when loaded) adds "events".
nlohmann::json report_view(const store::ReportRow& report, const domain::ReportExtras& extras, std::int64_t now,
                           bool staff);
nlohmann::json photo_view(const store::PhotoRow& photo);

}  // namespace civic::api
