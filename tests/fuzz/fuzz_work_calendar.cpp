// Fuzzes the working calendar (common/work_calendar.*): WorkCalendar::from_json as
// PUT /api/v1/admin/work-calendar will use it, and the working-time arithmetic against the slow
// minute-by-minute reference of the unit tests (tests/unit/common/work_calendar_reference.hpp).
// Input: 12 bytes of parameters (start, working seconds, working days, span), then the calendar's
// JSON text.
//
// Properties beyond "no crash, no UB":
//  - from_json either accepts or throws ApiError 400: bad_request exactly when the value is not
//    an object, else invalid_field whose field is one of the calendar's keys or a key of the input;
//    nothing else escapes;
//  - accepted → the canonical form parses back to an equal calendar and is a fixed point;
//  - deadline_after_work_seconds, deadline_after_work_days and work_seconds_between equal the
//    reference's wherever its walk (40 days) reaches, and lie beyond it where it does not;
//  - a deadline d for s > 0 seconds is minimal: work_seconds_between(start, d) == s and
//    work_seconds_between(start, d - 1) == s - 1; elapsed time is additive over a split point.
#include "common/errors.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "common/work_calendar.hpp"
#include "fuzz_support.hpp"
#include "tests/unit/common/work_calendar_reference.hpp"

using namespace civic;

namespace {

constexpr std::int64_t kWalkDays = 40;

// n bytes, big-endian.
std::int64_t number(fuzz::Cursor& in, int n) {
    std::int64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | in.byte();
    return v;
}

bool known_key(const std::string& k) {
    return k == "timezone" || k == "work_periods" || k == "weekend" || k == "holidays" || k == "extra_workdays";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Cursor in(data, size);
    const std::int64_t start_offset = number(in, 4);  // seconds after 2025-12-01T00:00:00Z, up to ~136 years
    const std::int64_t seconds_raw = number(in, 4);
    const std::int64_t days_raw = number(in, 1);
    const std::int64_t span_raw = number(in, 3);
    const auto json = jsonutil::parse(in.rest());
    if (!json) return 0;

    std::optional<WorkCalendar> parsed;
    try {
        parsed = WorkCalendar::from_json(*json);
    } catch (const ApiError& e) {
        FUZZ_CHECK(e.status() == 400);
        if (e.code() == "bad_request") {
            FUZZ_CHECK(!json->is_object());
        } else {
            FUZZ_CHECK(e.code() == "invalid_field");
            FUZZ_CHECK(json->is_object());
            FUZZ_CHECK(known_key(e.field()) || json->contains(e.field()));
            FUZZ_CHECK(std::string_view(e.what()).size() > 0);
        }
        return 0;
    }
    const WorkCalendar& cal = *parsed;
    const auto canonical = cal.to_json();
    FUZZ_CHECK(WorkCalendar::from_json(canonical) == cal);
    FUZZ_CHECK(WorkCalendar::from_json(canonical).to_json() == canonical);
    FUZZ_CHECK(WorkCalendar::from_json(nlohmann::json::parse(jsonutil::dump(canonical))) == cal);

    const reference::SlowCalendar ref(cal);
    const std::int64_t per_day = cal.work_seconds_per_day();
    FUZZ_CHECK(per_day >= 60 && per_day <= 86400);
    const std::int64_t start = 1'764'547'200 + start_offset;  // 2025-12-01T00:00:00Z + up to 2^32 s
    const std::int64_t seconds = seconds_raw % (3 * per_day + 1);
    const std::int64_t days = 1 + days_raw % 5;

    const auto fast = cal.deadline_after_work_seconds(start, seconds);
    const auto slow = ref.deadline_after_work_seconds(start, seconds, kWalkDays * 1440);
    if (slow) {
        FUZZ_CHECK(fast == slow);
    } else {
        FUZZ_CHECK(!fast || *fast > start + (kWalkDays * 1440 - 1) * 60);
    }
    if (fast) {
        FUZZ_CHECK(*fast >= start);
        FUZZ_CHECK(cal.work_seconds_between(start, *fast) == seconds);
        if (seconds > 0) FUZZ_CHECK(cal.work_seconds_between(start, *fast - 1) == seconds - 1);
    }

    const auto fast_days = cal.deadline_after_work_days(start, days);
    const auto slow_days = ref.deadline_after_work_days(start, days, kWalkDays);
    if (slow_days) {
        FUZZ_CHECK(fast_days == slow_days);
    } else {
        FUZZ_CHECK(!fast_days || *fast_days > start + (kWalkDays - 1) * 86400);
    }
    if (fast_days) FUZZ_CHECK(cal.is_workday(cal.local_day(*fast_days - 1)));

    const std::int64_t b = start + span_raw % (20 * 86400) - 86400;  // a day before start .. 19 days after
    const std::int64_t between = cal.work_seconds_between(start, b);
    FUZZ_CHECK(between == ref.work_seconds_between(start, b));
    FUZZ_CHECK(between >= 0 && between <= std::max<std::int64_t>(0, b - start));
    if (b > start) {
        const std::int64_t mid = start + (b - start) / 3;
        FUZZ_CHECK(cal.work_seconds_between(start, mid) + cal.work_seconds_between(mid, b) == between);
    }
    return 0;
}
