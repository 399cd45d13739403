#pragma once
// A session-level advisory lock held for a scope: what makes N nodes starting at once against one
// database do start-up work once (the migrator; the first admin and the demo city). The others
// wait for the holder (lock_timeout lifted while waiting, restored after) and then find the work
// done. A connection that broke has lost the (session) lock with it.
#include "server/store/pg/pg_conn.hpp"

#include <cstdint>
#include <string>

namespace civic::store::pg {

class SessionAdvisoryLock {
public:
    // Waits for the lock on `conn`, which must not be in a transaction.
    SessionAdvisoryLock(Conn& conn, std::int64_t key) : conn_(conn), key_(key) {
        auto q = conn_.query("SELECT current_setting('lock_timeout')");
        q.next();
        saved_timeout_ = q.text(0);
        conn_.exec("SET lock_timeout = 0");
        conn_.exec("SELECT pg_advisory_lock(" + std::to_string(key_) + ")");
    }
    SessionAdvisoryLock(const SessionAdvisoryLock&) = delete;
    SessionAdvisoryLock& operator=(const SessionAdvisoryLock&) = delete;
    ~SessionAdvisoryLock() {
        if (!conn_.ok()) return;
        try {
            if (conn_.in_transaction()) conn_.rollback();
            conn_.exec("SELECT pg_advisory_unlock(" + std::to_string(key_) + ")");
            conn_.query("SELECT set_config('lock_timeout', ?, false)").args(saved_timeout_).run();
        } catch (const PgError&) {
        }
    }

private:
    Conn& conn_;
    std::int64_t key_;
    std::string saved_timeout_;
};

}  // namespace civic::store::pg
