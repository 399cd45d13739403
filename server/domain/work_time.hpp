#pragma once
// Working-time deadlines (API.md §4 "Working-time deadlines", docs/workflow.md): the city's one
// calendar as stored, and a category's time limit turned into a ticket's deadline. The
// arithmetic itself is common/work_calendar's.
#include "common/work_calendar.hpp"
#include "server/store/city_repo.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace civic::domain {

// A category's time limit: exactly one of the three keys of the API. Bounds: calendar and
// working hours 1..8760, working days 1..365 (a year's limit; 10 years of horizon is plenty).
inline constexpr std::int64_t kMaxSlaWorkHours = 24 * 365;
inline constexpr std::int64_t kMaxSlaWorkDays = 365;
inline constexpr std::string_view kSlaUnitHours = "hours";
inline constexpr std::string_view kSlaUnitWorkHours = "work_hours";
inline constexpr std::string_view kSlaUnitWorkDays = "work_days";
// The API's key for a unit ("sla_hours", "sla_work_hours", "sla_work_days").
std::string sla_key(std::string_view unit);
bool is_work_time(const store::CategoryRow& category);

// The stored calendar, or the default one (API.md: the example with no holidays).
WorkCalendar load_work_calendar(store::Conn& conn);
// Validates (400 invalid_field naming the key; WorkCalendar::from_json) and stores it whole.
WorkCalendar save_work_calendar(store::Conn& conn, const nlohmann::json& value, std::int64_t now);

// A ticket's deadline: accepted_at + the category's limit + extension_hours (calendar hours, or
// working hours for a working-time category, added after the limit). nullopt: no deadline found
// within the calendar's horizon (WorkCalendar::kHorizonDays).
std::optional<std::int64_t> deadline_of(store::Conn& conn, const store::CategoryRow& category, std::int64_t accepted_at,
                                        std::int64_t extension_hours);
// The deadline `hours` later: calendar hours, or working hours for a working-time category.
std::optional<std::int64_t> extended_deadline(store::Conn& conn, const store::CategoryRow& category,
                                              std::int64_t deadline, std::int64_t hours);

// The time a ticket spent parked (挂账), in both measures a deadline may count in: calendar
// seconds, and the working time of the calendar inside the same interval (0 when the clock was
// set back). The deadline clock stops while parked, so `unpark` moves the deadline later by the
// one its category counts in (API.md §4; docs/workflow.md "挂账 and working time").
struct ParkedTime {
    std::int64_t seconds = 0;
    std::int64_t work_seconds = 0;
};
ParkedTime parked_time(const WorkCalendar& calendar, std::int64_t parked_at, std::int64_t unparked_at);
// `deadline` moved later by `parked`: by its calendar seconds, or, given the calendar of a
// working-time category, by its working seconds counted from the deadline on (a ticket parked only
// outside working time keeps its deadline). nullopt: past the calendar's horizon.
std::optional<std::int64_t> shift_deadline_for_parking(std::int64_t deadline, const ParkedTime& parked,
                                                       const WorkCalendar* work_calendar);

}  // namespace civic::domain
