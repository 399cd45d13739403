#pragma once
// Kiosk lookup by key id, and the replay cache of accepted request signatures.
#include "server/store/conn.hpp"

#include <cstdint>
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
// False when (kiosk, signature) was already recorded: a replay.
bool remember_signature(Conn& conn, std::int64_t kiosk_id, std::string_view signature_raw, std::int64_t timestamp);
// Deletes the signatures older than `timestamp`; on PostgreSQL skips those another transaction is
// deleting (they go with its commit).
void forget_signatures_before(Conn& conn, std::int64_t timestamp);

}  // namespace civic::store
