#pragma once
// Kiosk lookup by key id, and the replay cache of accepted request signatures.
#include "server/store/conn.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace civic::store {

struct KioskRow {
    std::int64_t id = 0;
    std::string name;
    std::string store;
    std::string key_id;
    std::string secret_enc;
};

std::optional<KioskRow> find_kiosk_by_key(Conn& conn, std::string_view key_id);
// The kiosk registered first (the demo city prints its key).
std::optional<KioskRow> first_kiosk(Conn& conn);
// Records (kiosk, signature), deferred (Query::run_deferred): if it was recorded already — a
// replay — `replayed()` is called, and must throw, when the verdict arrives (on PostgreSQL with
// the connection's next statement). Inside a transaction.
void remember_signature(Conn& conn, std::int64_t kiosk_id, std::string_view signature_raw, std::int64_t timestamp,
                        std::function<void()> replayed);
// Deletes the signatures older than `timestamp`; on PostgreSQL skips those another transaction is
// deleting (they go with its commit).
void forget_signatures_before(Conn& conn, std::int64_t timestamp);

}  // namespace civic::store
