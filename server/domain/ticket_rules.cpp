#include "server/domain/ticket_rules.hpp"

#include "server/domain/reports.hpp"

#include <algorithm>
#include <array>

namespace civic::domain {

namespace {

using enum Status;
namespace fx = effects;
constexpr Actors kStaff = Actor::grid_manager | Actor::dispatcher;
constexpr Actors kDispatcher = static_cast<Actors>(Actor::dispatcher);
constexpr Actors kAssignee = static_cast<Actors>(Actor::assignee);
constexpr Actors kCheckWorker = kAssignee;  // "that worker": the assignee while checking
constexpr Actors kDispatcherOrAdmin = Actor::dispatcher | Actor::admin;

constexpr std::array kFromSubmitted{submitted};
constexpr std::array kFromAcceptedOrAssigned{accepted, assigned};
constexpr std::array kFromAssigned{assigned};
constexpr std::array kFromAssignedOrInProgress{assigned, in_progress};
constexpr std::array kFromInProgress{in_progress};
constexpr std::array kFromResolved{resolved};
constexpr std::array kFromWorkable{accepted, assigned, in_progress};
constexpr std::array kFromSubmittedOrAccepted{submitted, accepted};
constexpr std::array kFromBeforeWork{submitted, accepted, assigned};
constexpr std::array kFromChecking{checking};
constexpr std::array kFromParked{parked};
// 作废: "any status but closed"; a voided ticket is not voided again (its points are back already).
constexpr std::array kFromAnyButClosed{submitted, accepted,  assigned, in_progress, resolved,
                                       rejected,  duplicate, checking, parked};

// action            from                       who          to            needs                         effect
constexpr std::array<Transition, 18> kTransitions{{
    {"accept", kFromSubmitted, kStaff, accepted, field::none, fx::accept},
    {"reject", kFromSubmitted, kStaff, rejected, field::reason, fx::close_for_good},
    {"mark_duplicate", kFromSubmitted, kStaff, duplicate, field::of, fx::mark_duplicate},
    {"assign", kFromAcceptedOrAssigned, kStaff, assigned, field::worker_id, fx::assign},
    {"start", kFromAssigned, kAssignee, in_progress, field::none, fx::nothing},
    {"return", kFromAssignedOrInProgress, kAssignee, accepted, field::reason, fx::unassign},
    {"resolve", kFromInProgress, kAssignee, resolved, field::photo, fx::resolve},
    {"verify", kFromResolved, kStaff, closed, field::none, fx::verify},
    {"rework", kFromResolved, kStaff, in_progress, field::reason, fx::rework},
    {"extend", kFromWorkable, kStaff, std::nullopt, field::reason | field::hours, fx::extend},
    {"set_grid", kFromSubmittedOrAccepted, kDispatcher, std::nullopt, field::grid_id, fx::set_grid},
    {"set_category", kFromBeforeWork, kStaff, std::nullopt, field::category, fx::set_category},
    {"request_check", kFromSubmitted, kStaff, checking, field::worker_id, fx::request_check},
    {"confirm_check", kFromChecking, kCheckWorker, submitted, field::photo, fx::confirm_check},
    {"refute_check", kFromChecking, kCheckWorker, rejected, field::reason, fx::refute_check},
    {"park", kFromWorkable, kStaff, parked, field::reason | field::until, fx::park},
    {"unpark", kFromParked, kStaff, std::nullopt, field::none, fx::unpark},
    {"void", kFromAnyButClosed, kDispatcherOrAdmin, voided, field::reason, fx::void_ticket},
}};

constexpr std::array<std::string_view, 11> kStatusNames{"submitted", "accepted", "assigned", "in_progress",
                                                        "resolved",  "closed",   "rejected", "duplicate",
                                                        "checking",  "parked",   "voided"};

}  // namespace

std::string_view to_string(Status s) { return kStatusNames[static_cast<std::size_t>(s)]; }

std::optional<Status> parse_status(std::string_view text) {
    for (std::size_t i = 0; i < kStatusNames.size(); ++i)
        if (kStatusNames[i] == text) return static_cast<Status>(i);
    return std::nullopt;
}

bool is_open(Status s) { return s != closed && s != rejected && s != duplicate && s != voided; }

const Transition* find_transition(std::string_view action) {
    auto it = std::ranges::find(kTransitions, action, &Transition::action);
    return it == kTransitions.end() ? nullptr : &*it;
}

std::span<const Transition> all_transitions() { return kTransitions; }

bool needs(const Transition& t, Fields f) { return (t.needs & f) != 0; }

bool allowed_from(const Transition& t, Status s) { return std::ranges::find(t.from, s) != t.from.end(); }

Actors actors_for(const Caller& who, std::optional<std::int64_t> grid_id, std::optional<std::int64_t> assignee_id) {
    Actors a = 0;
    if (who.is(Role::manager) && who.in_grid(grid_id)) a |= static_cast<Actors>(Actor::grid_manager);
    if (who.is(Role::dispatcher)) a |= static_cast<Actors>(Actor::dispatcher);
    if (who.is(Role::admin)) a |= static_cast<Actors>(Actor::admin);
    if (who.is(Role::worker) && assignee_id == who.user_id) a |= static_cast<Actors>(Actor::assignee);
    return a;
}

Verdict judge(const Transition& t, Actors actors, Status from) {
    if ((actors & t.who) == 0) return Verdict::forbidden;
    if (!allowed_from(t, from)) return Verdict::invalid_transition;
    return Verdict::allowed;
}

}  // namespace civic::domain
