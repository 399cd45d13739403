#pragma once
// The ticket lifecycle (API.md §4 "Lifecycle") as one table: for each action, the statuses it may
// start from, who may take it, and the status it leads to. Handlers, tests and docs/api.md all
// follow this table; nothing else decides whether a transition is allowed.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace civic::domain {

enum class Status { submitted, accepted, assigned, in_progress, resolved, closed, rejected, duplicate };

// Who may take an action on a given ticket. A manager counts only for tickets of a grid they
// manage; tickets without a grid belong to the dispatchers alone.
enum class Actor : std::uint8_t {
    grid_manager = 1 << 0,
    dispatcher = 1 << 1,
    assignee = 1 << 2,
};
using Actors = std::uint8_t;
constexpr Actors operator|(Actor a, Actor b) { return static_cast<Actors>(static_cast<Actors>(a) | static_cast<Actors>(b)); }
constexpr bool includes(Actors set, Actor a) { return (set & static_cast<Actors>(a)) != 0; }

struct Transition {
    std::string_view action;
    std::span<const Status> from;
    Actors who;
    std::optional<Status> to;  // nullopt: the status does not change (extend, set_grid, …)
};

std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view text);

// Open: still somebody's work (not closed, rejected or a duplicate).
bool is_open(Status s);

const Transition* find_transition(std::string_view action);
std::span<const Transition> all_transitions();
bool allowed_from(const Transition& t, Status s);

}  // namespace civic::domain
