#pragma once
// The report object of API.md §4 (and its staff-only and detail additions).
#include "common/json_writer.hpp"
#include "server/domain/reports.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace civic::api {

// `staff` adds "photo_reused_from"; `extras.events` (when loaded) adds "events".
nlohmann::json report_view(const store::ReportRow& report, const domain::ReportExtras& extras, std::int64_t now,
                           bool staff);
nlohmann::json photo_view(const store::PhotoRow& photo);

// The same object written straight to text: byte for byte jsonutil::dump(report_view(…)), with no
// tree of maps in between (a third of a ticket read's CPU went to building and dumping the tree).
// tests/unit/server/test_report_view.cpp holds the two renderings equal.
void write_report_view(jsonutil::JsonWriter& out, const store::ReportRow& report, const domain::ReportExtras& extras,
                       std::int64_t now, bool staff);
std::string render_report_view(const store::ReportRow& report, const domain::ReportExtras& extras, std::int64_t now,
                               bool staff);

// How views built in a read job find possible duplicates: through `cache` (null: computed
// afresh), at its epoch now. Take it before the read job, not inside it.
domain::DuplicatesLookup duplicates_lookup(domain::PossibleDuplicatesCache* cache);

}  // namespace civic::api
