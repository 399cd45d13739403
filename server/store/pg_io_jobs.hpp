#pragma once
// PostgreSQL jobs run on the I/O thread that asked for them, each as a fiber (Boost.Context).
// The job's code stays plain code that waits for each answer; where libpq would block, the fiber
// yields (pg::Conn::Waiter) and the thread's reactor resumes it once the socket has the answer.
// So a write costs no hand-off to a job thread and back, and no thread asleep in poll() for each
// round trip; the thread serves its other connections meanwhile (docs/postgresql.md, "Jobs on
// the I/O thread").
#include "server/store/pg/pg_pool.hpp"

#include <functional>

namespace boost::asio {
class io_context;
}

namespace civic::store {

// Runs `body(suspender)` as a fiber on `io`, whose one thread must be the caller's: it starts at
// once and this returns at its first wait (or its end). `body` must not throw. Every wait of the
// body is through `suspender` (the pool's run() with it, or a pg::Conn with it as its waiter).
// If `io` is shut down while the body waits, the wait throws PgError (57014, not retried) and
// every later one at once, so the body unwinds and ends; nothing leaks.
void run_as_fiber(boost::asio::io_context& io, std::function<void(pg::Suspender&)> body);

}  // namespace civic::store
