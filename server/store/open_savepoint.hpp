#pragma once
// A savepoint whose success is left for the enclosing transaction's COMMIT (or the SQLite writer
// job's RELEASE) to release with everything around it. Savepoint::release() costs a statement —
// on PostgreSQL a round trip, made while the rows locked inside the savepoint are still held; a
// step that locks rows other calls wait for and then commits saves that round trip here.
#include "server/store/conn.hpp"

namespace civic::store {

class OpenSavepoint {
public:
    explicit OpenSavepoint(Conn& conn);
    OpenSavepoint(const OpenSavepoint&) = delete;
    OpenSavepoint& operator=(const OpenSavepoint&) = delete;
    ~OpenSavepoint();  // rolls back unless kept or rolled back (an exception passing through)
    void keep() { conn_ = nullptr; }
    void rollback();

private:
    Conn* conn_;  // null once kept or rolled back
};

}  // namespace civic::store
