#include "server/store/startup.hpp"

#include "server/store/pg_database.hpp"

namespace civic::store {

void at_startup_exclusive(StorageEngine& engine, const std::function<void(Conn&)>& fn) {
    if (auto* pg = dynamic_cast<PgEngine*>(&engine)) {
        pg->at_startup_exclusive(fn);
        return;
    }
    engine.at_startup(fn);
}

}  // namespace civic::store
