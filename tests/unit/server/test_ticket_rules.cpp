// Every cell of the ticket lifecycle: (status, action, caller) → allowed with the resulting status,
// 403, or 409 invalid_transition. The expectations are API.md §4 "Lifecycle" and "The rest of the
// standard's workflow" transcribed by hand
// below (kSpec), independently of domain/ticket_rules.cpp's table, so that a wrong row there
// fails here.
#include "common/time.hpp"
#include "server/domain/reports.hpp"
#include "server/domain/ticket_rules.hpp"
#include "server/domain/work_time.hpp"
#include "server/store/reports_repo.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace civic::domain;
using civic::WorkCalendar;
namespace timefmt = civic::timefmt;

// API.md §4: "who" as written there. "staff" = "manager of the grid, dispatcher" (API.md: a
// manager counts only for tickets of a grid they manage; tickets with grid_id null are the
// dispatcher's alone); "assignee" = "the assignee"; "dispatcher" = the dispatcher alone;
// "check worker" = "that worker" of request_check, who is the ticket's assignee while it is
// checking; "dispatcher, admin" as written.
struct SpecRow {
    const char* action;
    const char* who;  // "staff" | "assignee" | "dispatcher" | "check worker" | "dispatcher, admin"
    std::vector<std::string> from;
    std::optional<std::string> to;  // nullopt: the status does not change
};

// unpark's `to`: "the status it was parked from", which the effect sets (tested over HTTP).
const std::string kParkedFrom = "(the status it was parked from)";

const std::vector<SpecRow> kSpec = {
    {"accept", "staff", {"submitted"}, "accepted"},  // (→ assigned by auto_assign: an effect, tested over HTTP)
    {"reject", "staff", {"submitted"}, "rejected"},
    {"mark_duplicate", "staff", {"submitted"}, "duplicate"},
    {"assign", "staff", {"accepted", "assigned"}, "assigned"},
    {"start", "assignee", {"assigned"}, "in_progress"},
    {"return", "assignee", {"assigned", "in_progress"}, "accepted"},
    {"resolve", "assignee", {"in_progress"}, "resolved"},
    {"verify", "staff", {"resolved"}, "closed"},
    {"rework", "staff", {"resolved"}, "in_progress"},
    {"extend", "staff", {"accepted", "assigned", "in_progress"}, std::nullopt},
    {"set_grid", "dispatcher", {"submitted", "accepted"}, std::nullopt},
    {"set_category", "staff", {"submitted", "accepted", "assigned"}, std::nullopt},
    {"request_check", "staff", {"submitted"}, "checking"},
    {"confirm_check", "check worker", {"checking"}, "submitted"},
    {"refute_check", "check worker", {"checking"}, "rejected"},
    {"park", "staff", {"accepted", "assigned", "in_progress"}, "parked"},
    {"unpark", "staff", {"parked"}, kParkedFrom},
    // "any status but closed"; voided itself is left out too: voiding twice would take points twice.
    {"void",
     "dispatcher, admin",
     {"submitted", "accepted", "assigned", "in_progress", "resolved", "rejected", "duplicate", "checking", "parked"},
     "voided"},
};

const std::vector<std::string> kStatuses = {"submitted", "accepted",  "assigned", "in_progress", "resolved", "closed",
                                            "rejected",  "duplicate", "checking", "parked",      "voided"};

constexpr std::int64_t kGrid = 7;
constexpr std::int64_t kOtherGrid = 8;
constexpr std::int64_t kReporter = 10;
constexpr std::int64_t kAssignee = 20;

// The callers API.md tells apart, as they relate to a ticket of grid kGrid assigned to kAssignee.
struct Who {
    const char* name;
    Caller caller;
    bool manager_of_grid;  // a manager whose grid_ids contain the ticket's grid
    bool dispatcher;
    bool assignee;
    bool admin;
};

Caller caller(std::int64_t id, Role role, std::vector<std::int64_t> grids = {}) {
    Caller c;
    c.user_id = id;
    c.role = role;
    c.grid_ids = std::move(grids);
    return c;
}

std::vector<Who> callers() {
    return {
        {"the reporter (resident)", caller(kReporter, Role::resident), false, false, false, false},
        {"the assignee (worker)", caller(kAssignee, Role::worker, {kGrid}), false, false, true, false},
        {"another worker of the grid", caller(21, Role::worker, {kGrid}), false, false, false, false},
        {"the grid's manager", caller(30, Role::manager, {kGrid, kOtherGrid}), true, false, false, false},
        {"the manager of another grid", caller(31, Role::manager, {kOtherGrid}), false, false, false, false},
        {"a dispatcher", caller(40, Role::dispatcher), false, true, false, false},
        {"an admin", caller(50, Role::admin), false, false, false, true},
    };
}

bool may(const SpecRow& row, const Who& w, bool ticket_has_grid) {
    const std::string who = row.who;
    if (who == "assignee" || who == "check worker") return w.assignee;
    if (who == "dispatcher") return w.dispatcher;
    if (who == "dispatcher, admin") return w.dispatcher || w.admin;
    return w.dispatcher || (w.manager_of_grid && ticket_has_grid);  // "staff"
}

std::string verdict_name(Verdict v) {
    switch (v) {
        case Verdict::allowed:
            return "allowed";
        case Verdict::forbidden:
            return "403";
        case Verdict::invalid_transition:
            return "409 invalid_transition";
    }
    return "?";
}

// One pass over every (status, action, caller) cell for a ticket in kGrid, or without a grid.
int check_every_cell(bool ticket_has_grid) {
    const std::optional<std::int64_t> grid = ticket_has_grid ? std::optional<std::int64_t>(kGrid) : std::nullopt;
    int cells = 0;
    for (const auto& row : kSpec) {
        const auto* t = find_transition(row.action);
        if (!t) {
            ADD_FAILURE() << "no transition for " << row.action;
            continue;
        }
        for (const auto& w : callers()) {
            for (const auto& status : kStatuses) {
                ++cells;
                const bool right_status = std::ranges::find(row.from, status) != row.from.end();
                const auto expected = !may(row, w, ticket_has_grid) ? Verdict::forbidden
                                      : !right_status               ? Verdict::invalid_transition
                                                                    : Verdict::allowed;
                const auto from = parse_status(status);
                if (!from) {
                    ADD_FAILURE() << "unknown status " << status;
                    continue;
                }
                const auto got = judge(*t, actors_for(w.caller, grid, kAssignee), *from);
                EXPECT_EQ(verdict_name(got), verdict_name(expected))
                    << row.action << " by " << w.name << " on a " << status << " ticket"
                    << (ticket_has_grid ? "" : " without a grid");
                if (got != Verdict::allowed || expected != Verdict::allowed) continue;
                if (row.to == kParkedFrom) {
                    EXPECT_FALSE(t->to) << row.action << ": its effect picks the status";
                    continue;
                }
                const std::string after = t->to ? std::string(to_string(*t->to)) : status;
                EXPECT_EQ(after, row.to.value_or(status)) << row.action << " by " << w.name << " from " << status;
            }
        }
    }
    return cells;
}

constexpr int kCells = 18 * 7 * 11;  // actions × callers × statuses

TEST(TicketRules, EveryCellOfATicketInAGrid) { EXPECT_EQ(check_every_cell(true), kCells); }

TEST(TicketRules, EveryCellOfATicketWithoutAGrid) { EXPECT_EQ(check_every_cell(false), kCells); }

TEST(TicketRules, StatusNamesRoundTripAndOpenness) {
    for (const auto& name : kStatuses) {
        const auto s = parse_status(name);
        ASSERT_TRUE(s) << name;
        EXPECT_EQ(to_string(*s), name);
    }
    EXPECT_FALSE(parse_status("Parked"));
    EXPECT_TRUE(is_open(Status::checking));
    EXPECT_TRUE(is_open(Status::parked));
    EXPECT_FALSE(is_open(Status::voided));
    EXPECT_FALSE(is_open(Status::closed));
    // The store's SQL list of statuses that are not open (open311_repo, check's open points).
    const std::string not_open(civic::store::kNotOpenStatusesSql);
    for (const auto& name : kStatuses)
        EXPECT_EQ(not_open.find("'" + std::string(name) + "'") == std::string::npos, is_open(*parse_status(name)))
            << name;
}

TEST(TicketRules, TheTableHoldsExactlyTheActionsOfTheApi) {
    std::set<std::string> in_table;
    for (const auto& t : all_transitions()) in_table.insert(std::string(t.action));
    std::set<std::string> in_spec;
    for (const auto& row : kSpec) in_spec.insert(row.action);
    EXPECT_EQ(in_table, in_spec);
    EXPECT_EQ(find_transition("rate"), nullptr);  // a rating is not a lifecycle action
    EXPECT_EQ(find_transition("ACCEPT"), nullptr);
    for (const auto& t : all_transitions()) EXPECT_NE(t.effect, nullptr) << t.action;
}

// API.md §4 names the fields each action takes; the table says which are required.
TEST(TicketRules, RequiredFields) {
    const auto fields_of = [](const char* action) { return find_transition(action)->needs; };
    EXPECT_EQ(fields_of("accept"), field::none);
    EXPECT_EQ(fields_of("reject"), field::reason);
    EXPECT_EQ(fields_of("mark_duplicate"), field::of);
    EXPECT_EQ(fields_of("assign"), field::worker_id);
    EXPECT_EQ(fields_of("start"), field::none);
    EXPECT_EQ(fields_of("return"), field::reason);
    EXPECT_EQ(fields_of("resolve"), field::photo);
    EXPECT_EQ(fields_of("verify"), field::none);
    EXPECT_EQ(fields_of("rework"), field::reason);
    EXPECT_EQ(fields_of("extend"), field::reason | field::hours);
    EXPECT_EQ(fields_of("set_grid"), field::grid_id);
    EXPECT_EQ(fields_of("set_category"), field::category);
    EXPECT_EQ(fields_of("request_check"), field::worker_id);
    EXPECT_EQ(fields_of("confirm_check"), field::photo);
    EXPECT_EQ(fields_of("refute_check"), field::reason);
    EXPECT_EQ(fields_of("park"), field::reason | field::until);
    EXPECT_EQ(fields_of("unpark"), field::none);
    EXPECT_EQ(fields_of("void"), field::reason);
}

// 挂账: the deadline moves later by exactly the time parked — calendar time for calendar-hour
// categories, working time for working-time ones.
TEST(TicketRules, UnparkShiftsTheDeadlineByTheTimeParked) {
    const auto cal = WorkCalendar::default_calendar();
    auto parked = [&](std::int64_t from, std::int64_t to) { return parked_time(cal, from, to); };
    EXPECT_EQ(shift_deadline_for_parking(1'000'000, parked(500'000, 600'000), nullptr), 1'100'000);
    EXPECT_EQ(shift_deadline_for_parking(1'000'000, parked(500'000, 500'000), nullptr), 1'000'000);  // at once
    // Parked after the deadline had passed: still moved by the time parked, from where it was.
    EXPECT_EQ(shift_deadline_for_parking(400'000, parked(500'000, 503'600), nullptr), 403'600);
    EXPECT_EQ(shift_deadline_for_parking(1'000'000, parked(600'000, 500'000), nullptr), 1'000'000);  // clock set back

    // Working time (Asia/Shanghai, 08:30–12:00 and 14:30–18:00, Monday to Friday; UTC below).
    auto at = [](const char* text) { return timefmt::parse_rfc3339(text).value(); };
    const auto deadline = at("2026-11-24T03:00:00Z");  // Tuesday 11:00
    // Friday 17:00 → Monday 09:00: 1 h on Friday, 0.5 h on Monday; the weekend does not count.
    const auto weekend = parked(at("2026-11-20T09:00:00Z"), at("2026-11-23T01:00:00Z"));
    EXPECT_EQ(weekend.seconds, 64 * 3600);
    EXPECT_EQ(weekend.work_seconds, 5400);
    // Tuesday 11:00 + 1.5 working hours: 12:00, then 14:30–15:00.
    EXPECT_EQ(shift_deadline_for_parking(deadline, weekend, &cal), at("2026-11-24T07:00:00Z"));
    // Inside a lunch break or a weekend only: no working time lost, the deadline stays.
    EXPECT_EQ(
        shift_deadline_for_parking(deadline, parked(at("2026-11-23T04:00:00Z"), at("2026-11-23T06:30:00Z")), &cal),
        deadline);
    EXPECT_EQ(
        shift_deadline_for_parking(deadline, parked(at("2026-11-21T01:00:00Z"), at("2026-11-22T10:00:00Z")), &cal),
        deadline);
}

TEST(Roles, NamesRoundTrip) {
    for (auto role : {Role::resident, Role::worker, Role::manager, Role::dispatcher, Role::admin})
        EXPECT_EQ(parse_role(to_string(role)), role);
    EXPECT_EQ(to_string(Role::dispatcher), "dispatcher");
    EXPECT_FALSE(parse_role("Admin"));
    EXPECT_FALSE(parse_role(""));
    EXPECT_THROW(stored_role("kiosk"), std::logic_error);
    EXPECT_TRUE(has_grids(Role::worker));
    EXPECT_TRUE(has_grids(Role::manager));
    EXPECT_FALSE(has_grids(Role::dispatcher));
}

}  // namespace
