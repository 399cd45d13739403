#include "server/domain/ticket_rules.hpp"

#include <algorithm>

namespace civic::domain {

namespace {

using enum Status;
constexpr Actors kStaff = Actor::grid_manager | Actor::dispatcher;
constexpr Actors kDispatcher = static_cast<Actors>(Actor::dispatcher);
constexpr Actors kAssignee = static_cast<Actors>(Actor::assignee);

constexpr std::array kFromSubmitted{submitted};
constexpr std::array kFromAcceptedOrAssigned{accepted, assigned};
constexpr std::array kFromAssigned{assigned};
constexpr std::array kFromAssignedOrInProgress{assigned, in_progress};
constexpr std::array kFromInProgress{in_progress};
constexpr std::array kFromResolved{resolved};
constexpr std::array kFromWorkable{accepted, assigned, in_progress};
constexpr std::array kFromSubmittedOrAccepted{submitted, accepted};
constexpr std::array kFromBeforeWork{submitted, accepted, assigned};

constexpr std::array<Transition, 12> kTransitions{{
    {"accept", kFromSubmitted, kStaff, accepted},  // → assigned at once when auto-assigned
    {"reject", kFromSubmitted, kStaff, rejected},
    {"mark_duplicate", kFromSubmitted, kStaff, duplicate},
    {"assign", kFromAcceptedOrAssigned, kStaff, assigned},
    {"start", kFromAssigned, kAssignee, in_progress},
    {"return", kFromAssignedOrInProgress, kAssignee, accepted},
    {"resolve", kFromInProgress, kAssignee, resolved},
    {"verify", kFromResolved, kStaff, closed},
    {"rework", kFromResolved, kStaff, in_progress},
    {"extend", kFromWorkable, kStaff, std::nullopt},
    {"set_grid", kFromSubmittedOrAccepted, kDispatcher, std::nullopt},
    {"set_category", kFromBeforeWork, kStaff, std::nullopt},
}};

constexpr std::array<std::string_view, 8> kStatusNames{"submitted", "accepted", "assigned", "in_progress",
                                                       "resolved",  "closed",   "rejected", "duplicate"};

}  // namespace

std::string_view to_string(Status s) { return kStatusNames[static_cast<std::size_t>(s)]; }

std::optional<Status> parse_status(std::string_view text) {
    for (std::size_t i = 0; i < kStatusNames.size(); ++i)
        if (kStatusNames[i] == text) return static_cast<Status>(i);
    return std::nullopt;
}

bool is_open(Status s) { return s != closed && s != rejected && s != duplicate; }

const Transition* find_transition(std::string_view action) {
    auto it = std::ranges::find(kTransitions, action, &Transition::action);
    return it == kTransitions.end() ? nullptr : &*it;
}

std::span<const Transition> all_transitions() { return kTransitions; }

bool allowed_from(const Transition& t, Status s) { return std::ranges::find(t.from, s) != t.from.end(); }

}  // namespace civic::domain
