#include "server/store/open_savepoint.hpp"
#include "server/store/sqlite.hpp"

#include <utility>

namespace civic::store {

OpenSavepoint::OpenSavepoint(Conn& conn) : conn_(&conn) { conn.exec("SAVEPOINT kept"); }

OpenSavepoint::~OpenSavepoint() {
    if (!conn_) return;
    try {
        rollback();
    } catch (...) {
        // The enclosing transaction fails at its own COMMIT or ROLLBACK; nothing to add here.
    }
}

void OpenSavepoint::rollback() {
    auto* conn = std::exchange(conn_, nullptr);
    conn->exec("ROLLBACK TO kept; RELEASE kept");
}

}  // namespace civic::store
