#pragma once
// A repository read sent ahead (store::Query::send): get() reads its result, sending what waits
// first if it still waits. On PostgreSQL a few reads sent, then one statement run, cost one round
// trip; on SQLite the read ran when it was sent. Its failure is thrown by whichever call sends
// it (Query::run_deferred's rules).
#include <functional>
#include <utility>

namespace civic::store {

template <class T>
class Pending {
public:
    explicit Pending(std::function<T()> read) : read_(std::move(read)) {}
    // Once.
    T get() { return std::exchange(read_, nullptr)(); }

private:
    std::function<T()> read_;
};

}  // namespace civic::store
