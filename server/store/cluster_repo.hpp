#pragma once
// What one node tells the others through PostgreSQL (docs/postgresql.md "Coherence across
// nodes"), written inside the writing transaction so that it is sent at COMMIT and dropped with a
// rollback; each node's listener (cluster_events.hpp) receives it. On SQLite (one node) the
// notifications do nothing and the test clock stays in the process.
#include "server/store/conn.hpp"
#include "server/store/reports_repo.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace civic::store {

// Channels the listener LISTENs on (payloads below).
inline constexpr std::string_view kEpochChannel = "civic_epoch";    // an epoch's name (012's trigger)
inline constexpr std::string_view kReportChannel = "civic_report";  // a ReportEvent as JSON
inline constexpr std::string_view kClockChannel = "civic_clock";    // the test clock row's version

// This process's random id: a node ignores its own report events (it published them locally).
const std::string& this_node_id();

// A ticket change for live push (API.md §4): what ReportFeed needs to pick the subscribers.
struct ReportEvent {
    std::string type;  // report.created | report.updated
    std::int64_t report_id = 0;
    std::string status;
    std::optional<std::int64_t> grid_id, assignee_id;
    std::int64_t reporter_id = 0;
    std::int64_t at = 0;  // unix seconds
    std::string node;     // this_node_id() of the writer
};
std::string encode_report_event(const ReportEvent& event);
// nullopt for a payload that is not a well-formed event (never trusted blindly: any client with
// database access may NOTIFY).
std::optional<ReportEvent> decode_report_event(std::string_view payload);
// The fields of `event` a ReportFeed looks at, as a row.
ReportRow report_row_of(const ReportEvent& event);

// Inside a write job that changed `report`: PostgreSQL sends the event at COMMIT to every node
// (this one included, which ignores it). SQLite: nothing.
void notify_report_change(Conn& conn, const std::string& type, const ReportRow& report, std::int64_t at);

// The shared test clock (schema/012_cluster_events.sql), PostgreSQL only.
struct SharedClock {
    std::optional<std::int64_t> pinned_to;  // unix seconds; nullopt: the real clock
    std::int64_t version = 0;               // only grows
};
// Stores the setting, notifies kClockChannel, and returns it with its new version.
SharedClock save_shared_clock(Conn& conn, std::optional<std::int64_t> pinned_to);
SharedClock load_shared_clock(Conn& conn);

}  // namespace civic::store
