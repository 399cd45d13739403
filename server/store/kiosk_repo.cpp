#include "server/store/kiosk_repo.hpp"
#include "server/store/row_lock.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

std::optional<KioskRow> find_kiosk_by_key(Conn& conn, std::string_view key_id) {
    auto q = conn.query("SELECT id, name, store, key_id, secret_enc FROM kiosks WHERE key_id = ?");
    q.args(key_id);
    if (!q.next()) return std::nullopt;
    return KioskRow{q.int64(0), q.text(1), q.text(2), q.text(3), q.blob(4)};
}

std::optional<KioskRow> first_kiosk(Conn& conn) {
    auto q = conn.query("SELECT id, name, store, key_id, secret_enc FROM kiosks ORDER BY id LIMIT 1");
    if (!q.next()) return std::nullopt;
    return KioskRow{q.int64(0), q.text(1), q.text(2), q.text(3), q.blob(4)};
}

void remember_signature(Conn& conn, std::int64_t kiosk_id, std::string_view signature_raw, std::int64_t timestamp,
                        std::function<void()> replayed) {
    auto q = conn.query(
        "INSERT INTO kiosk_signatures_seen (kiosk_id, signature, timestamp) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING");
    q.bind(1, kiosk_id).bind_blob(2, signature_raw).bind(3, timestamp);
    q.run_deferred([replayed = std::move(replayed)](int changes) {
        if (changes != 1) replayed();
    });
}

void forget_signatures_before(Conn& conn, std::int64_t timestamp) {
    purge_rows_below(conn, "kiosk_signatures_seen", "timestamp", timestamp);
}

}  // namespace civic::store
