#include "server/domain/work_time.hpp"

#include "common/json.hpp"

namespace civic::domain {

namespace {
constexpr std::int64_t kHour = 3600;
}

std::string sla_key(std::string_view unit) { return "sla_" + std::string(unit); }

bool is_work_time(const store::CategoryRow& category) { return category.sla_unit != kSlaUnitHours; }

WorkCalendar load_work_calendar(store::Conn& conn) {
    const auto stored = store::load_work_calendar_json(conn);
    if (!stored) return WorkCalendar::default_calendar();
    return WorkCalendar::from_json(nlohmann::json::parse(*stored));
}

WorkCalendar save_work_calendar(store::Conn& conn, const nlohmann::json& value, std::int64_t now) {
    auto calendar = WorkCalendar::from_json(value);
    store::save_work_calendar_json(conn, jsonutil::dump(calendar.to_json()), now);
    return calendar;
}

std::optional<std::int64_t> deadline_of(store::Conn& conn, const store::CategoryRow& category, std::int64_t accepted_at,
                                        std::int64_t extension_hours) {
    if (!is_work_time(category)) return accepted_at + (category.sla_hours + extension_hours) * kHour;
    const auto calendar = load_work_calendar(conn);
    if (category.sla_unit == kSlaUnitWorkHours)
        return calendar.deadline_after_work_seconds(accepted_at, (category.sla_hours + extension_hours) * kHour);
    auto deadline = calendar.deadline_after_work_days(accepted_at, category.sla_hours);
    if (deadline && extension_hours > 0)
        deadline = calendar.deadline_after_work_seconds(*deadline, extension_hours * kHour);
    return deadline;
}

std::optional<std::int64_t> extended_deadline(store::Conn& conn, const store::CategoryRow& category,
                                              std::int64_t deadline, std::int64_t hours) {
    if (!is_work_time(category)) return deadline + hours * kHour;
    return load_work_calendar(conn).deadline_after_work_seconds(deadline, hours * kHour);
}

ParkedTime parked_time(const WorkCalendar& calendar, std::int64_t parked_at, std::int64_t unparked_at) {
    if (unparked_at <= parked_at) return {};
    return {unparked_at - parked_at, calendar.work_seconds_between(parked_at, unparked_at)};
}

std::optional<std::int64_t> shift_deadline_for_parking(std::int64_t deadline, const ParkedTime& parked,
                                                       const WorkCalendar* work_calendar) {
    if (!work_calendar) return deadline + parked.seconds;
    return work_calendar->deadline_after_work_seconds(deadline, parked.work_seconds);
}

}  // namespace civic::domain
