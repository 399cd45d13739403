#pragma once
// The ticket lifecycle (API.md §4 "Lifecycle" and "The rest of the standard's workflow") as one table, one row per
// action: the statuses it may start from, who may take it, the fields it requires, the status it leads to and the
// function that applies the rest of its effect. check_action_fields, check_action_allowed and
// apply_action (domain/reports.hpp) decide and act from this table alone; adding an action is
// adding a row and its effect function. Who may *read* a ticket is can_read's business, and a
// rating (rate_report) is not an action of this table.
#include "server/domain/caller.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace civic::domain {

// The main line, then the standard's branches: 核实中 (checking), 挂账 (parked), 作废 (voided).
enum class Status {
    submitted,
    accepted,
    assigned,
    in_progress,
    resolved,
    closed,
    rejected,
    duplicate,
    checking,
    parked,
    voided
};

// Who may take an action on a given ticket. A manager counts only for tickets of a grid they
// manage; tickets without a grid belong to the dispatchers alone. The 核实 worker ("that worker"
// of request_check) is the ticket's assignee while it is `checking`: request_check sets
// assignee_id, confirm_check and refute_check clear it.
enum class Actor : std::uint8_t {
    grid_manager = 1 << 0,
    dispatcher = 1 << 1,
    assignee = 1 << 2,
    admin = 1 << 3,
};
using Actors = std::uint8_t;
constexpr Actors operator|(Actor a, Actor b) {
    return static_cast<Actors>(static_cast<Actors>(a) | static_cast<Actors>(b));
}
constexpr bool includes(Actors set, Actor a) { return (set & static_cast<Actors>(a)) != 0; }

// The request fields an action requires (400 invalid_field when missing), as a set of bits.
// `photo`: at least one photo part; an action without it takes none.
using Fields = std::uint8_t;
namespace field {
inline constexpr Fields none = 0;
inline constexpr Fields reason = 1 << 0;
inline constexpr Fields of = 1 << 1;
inline constexpr Fields worker_id = 1 << 2;
inline constexpr Fields hours = 1 << 3;
inline constexpr Fields grid_id = 1 << 4;
inline constexpr Fields category = 1 << 5;
inline constexpr Fields photo = 1 << 6;
inline constexpr Fields until = 1 << 7;
}  // namespace field

// What an effect works on: the ticket being changed (its status already set to `to`), the
// request, and the note of the event it will append. Defined in domain/reports.hpp.
struct ActionContext;
using Effect = void (*)(ActionContext&);

struct Transition {
    std::string_view action;       // as in the request and in the event
    std::span<const Status> from;  // the statuses it may be taken from (else 409 invalid_transition)
    Actors who;                    // who may take it (else 403)
    std::optional<Status> to;      // nullopt: not a fixed status: unchanged (extend, set_grid, …) or
                                   // chosen by the effect (unpark: the status it was parked from)
    Fields needs;                  // field::… bits
    Effect effect;                 // everything else: deadline, assignment, points, photos, …
};

std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view text);

// Open: still somebody's work (not closed, rejected, a duplicate or voided).
bool is_open(Status s);

const Transition* find_transition(std::string_view action);
std::span<const Transition> all_transitions();
bool allowed_from(const Transition& t, Status s);

// What the caller is to a ticket of this grid with this assignee, in the table's terms.
Actors actors_for(const Caller& who, std::optional<std::int64_t> grid_id, std::optional<std::int64_t> assignee_id);

// The decision for one (action, caller, status) cell: not theirs to take (403) is decided before
// the wrong status (409).
enum class Verdict { allowed, forbidden, invalid_transition };
Verdict judge(const Transition& t, Actors actors, Status from);
bool needs(const Transition& t, Fields f);

}  // namespace civic::domain
