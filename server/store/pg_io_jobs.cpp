#include "server/store/pg_io_jobs.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <cxxabi.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

namespace civic::store {

namespace {

namespace asio = boost::asio;
namespace fibers = boost::context;

#if defined(BOOST_USE_ASAN)
// The sanitizer's frames are larger, and a reused stack could keep a dead fiber's poisoning.
constexpr std::size_t kStackBytes = 2u << 20;
constexpr std::size_t kStacksKept = 0;
#else
// A job is repository and domain code (no recursion of its own); the page below the stack is a
// guard, so an overflow faults instead of writing over a neighbour.
constexpr std::size_t kStackBytes = 512u << 10;
constexpr std::size_t kStacksKept = 32;  // per thread, so that a steady load maps none
#endif

// The stacks of this thread's finished fibers, reused by its next ones.
class StackCache {
public:
    StackCache() = default;
    StackCache(const StackCache&) = delete;
    StackCache& operator=(const StackCache&) = delete;
    ~StackCache() {
        for (auto& s : kept_) fresh().deallocate(s);
    }
    fibers::stack_context allocate() {
        if (kept_.empty()) return fresh().allocate();
        auto s = kept_.back();
        kept_.pop_back();
        return s;
    }
    void deallocate(fibers::stack_context& s) noexcept {
        if (kept_.size() < kStacksKept) {
            kept_.push_back(s);
        } else {
            fresh().deallocate(s);
        }
    }

private:
    static fibers::protected_fixedsize_stack fresh() { return fibers::protected_fixedsize_stack(kStackBytes); }
    std::vector<fibers::stack_context> kept_;
};

thread_local StackCache stack_cache;

// The allocator a fiber is made with: this thread's cache. A fiber is freed on the thread it
// ran on (its I/O thread, or the one destroying that thread's io_context).
struct CachedStack {
    fibers::stack_context allocate() { return stack_cache.allocate(); }
    void deallocate(fibers::stack_context& s) noexcept { stack_cache.deallocate(s); }
};

// The C++ runtime keeps the exceptions being handled (and the count of those thrown and not yet
// caught) per thread, as a stack (Itanium C++ ABI, __cxa_eh_globals: libstdc++ and libc++ alike).
// Fibers sharing a thread would interleave that stack: a job waiting inside a catch handler (a
// ROLLBACK TO SAVEPOINT after a refusal) while another job on the thread enters and leaves one
// of its own makes the second's __cxa_end_catch pop the first's exception, and the first then
// reads a destroyed object. Each fiber therefore keeps its own, swapped in and out with it.
struct ExceptionStack {
    void* caught = nullptr;
    unsigned int uncaught = 0;
};
static_assert(sizeof(ExceptionStack) == sizeof(void*) + sizeof(void*), "the ABI's two fields, padded");

ExceptionStack swap_exception_stack(const ExceptionStack& next) noexcept {
    void* globals = abi::__cxa_get_globals();
    ExceptionStack previous;
    std::memcpy(&previous, globals, sizeof previous);
    std::memcpy(globals, &next, sizeof next);
    return previous;
}

class SocketWatch;

// The SocketWatches of one io_context. A pooled connection outlives the io_context its socket
// was last registered with (the pool ends with the database, after the I/O threads), so the
// registrations are released when the io_context shuts down — this service is added after the
// reactor, so it shuts down before it — and a watch orphaned so touches nothing of it.
struct Watches {
    std::mutex mutex;
    bool open = true;
    std::unordered_set<SocketWatch*> live;
};

class WatchRegistry final : public asio::execution_context::service {
public:
    using key_type = WatchRegistry;
    static inline asio::execution_context::id id;
    explicit WatchRegistry(asio::execution_context& context)
        : service(context), watches_(std::make_shared<Watches>()) {}
    std::shared_ptr<Watches> watches() const { return watches_; }

private:
    void shutdown() override;
    std::shared_ptr<Watches> watches_;
};

// A connection's socket registered with one io_context's reactor, for as long as it is used
// from there. Released, not closed, at the end: the socket is libpq's.
class SocketWatch final : public pg::Conn::Attachment {
public:
    SocketWatch(asio::io_context& io, int fd) : io_(&io), fd_(fd) {
        descriptor_.emplace(io, fd);  // the reactor exists before the registry (see Watches)
        watches_ = asio::use_service<WatchRegistry>(io).watches();
        std::lock_guard lock(watches_->mutex);
        watches_->live.insert(this);
    }
    ~SocketWatch() override {
        std::lock_guard lock(watches_->mutex);
        if (!watches_->open) return;  // orphaned at the io_context's shutdown
        watches_->live.erase(this);
        orphan();
    }
    const void* home() const override { return io_; }
    // (An orphaned watch watches nothing, even for a later io_context at the same address.)
    bool watches(const asio::io_context& io, int fd) const { return descriptor_ && io_ == &io && fd_ == fd; }
    asio::posix::stream_descriptor& descriptor() { return *descriptor_; }
    // Deregisters the socket and drops the descriptor (under the registry's mutex).
    void orphan() {
        descriptor_->release();
        descriptor_.reset();
    }

private:
    asio::io_context* io_;
    int fd_;
    std::optional<asio::posix::stream_descriptor> descriptor_;
    std::shared_ptr<Watches> watches_;
};

void WatchRegistry::shutdown() {
    std::lock_guard lock(watches_->mutex);
    watches_->open = false;
    for (auto* watch : watches_->live) watch->orphan();  // a waiting job's wait ends, aborted
    watches_->live.clear();
}

// Not a lost connection (which the pool would run again, on a thread, after the I/O thread is
// gone): query_canceled, which it gives up on; the connection, left in its transaction, is dropped.
pg::PgError abandoned() { return pg::PgError("57014", "the I/O thread running this job stopped"); }

class FiberJob final : public pg::Suspender {
public:
    FiberJob(asio::io_context& io, std::function<void(pg::Suspender&)> body) : io_(io), body_(std::move(body)) {}

    void start() {
        self_ = fibers::fiber(std::allocator_arg, CachedStack{}, [this](fibers::fiber&& caller) {
            caller_ = std::move(caller);
            body_(*this);
            return std::move(caller_);
        });
        resume();
    }

    void readable(pg::Conn& conn) override {
        if (abandoned_) throw abandoned();
        watch(conn).descriptor().async_wait(asio::posix::stream_descriptor::wait_read, Resumer(this));
        suspend();
    }

    void sleep(std::chrono::microseconds duration) override {
        if (abandoned_) throw abandoned();
        asio::steady_timer timer(io_, duration);
        timer.async_wait(Resumer(this));
        suspend();
    }

    const void* home() const override { return &io_; }

private:
    // The completion handler of a wait: resumes the job once — when the wait completes, or, if
    // it is destroyed unrun (the io_context shut down with the job waiting), with the job
    // abandoned, so that it unwinds instead of leaking its stack and connection.
    class Resumer {
    public:
        explicit Resumer(FiberJob* job) : job_(job) {}
        Resumer(Resumer&& other) noexcept : job_(std::exchange(other.job_, nullptr)) {}
        Resumer(const Resumer&) = delete;
        Resumer& operator=(const Resumer&) = delete;
        Resumer& operator=(Resumer&&) = delete;
        ~Resumer() {
            if (job_) {
                job_->abandoned_ = true;
                std::exchange(job_, nullptr)->resume();
            }
        }
        void operator()(const boost::system::error_code& error) {
            auto* job = std::exchange(job_, nullptr);
            if (error) job->abandoned_ = true;  // cancelled: never, but not a reason to hang
            job->resume();
        }

    private:
        FiberJob* job_;
    };

    SocketWatch& watch(pg::Conn& conn) {
        const int fd = conn.socket();
        if (fd < 0) throw pg::PgError("08006", "the connection has no socket", /*connection_lost=*/true);
        auto* current = dynamic_cast<SocketWatch*>(conn.attachment());
        if (current && current->watches(io_, fd)) return *current;
        conn.attach(nullptr);  // a socket is registered with one reactor at a time
        auto fresh = std::make_unique<SocketWatch>(io_, fd);
        auto& watch = *fresh;
        conn.attach(std::move(fresh));
        return watch;
    }

    // In the fiber: back to whoever resumed it, until resumed again.
    void suspend() {
        caller_ = std::move(caller_).resume();
        if (abandoned_) throw abandoned();
    }

    // Outside the fiber: runs it to its next wait, with its own exception stack; the job is
    // freed once its body has ended.
    void resume() {
        const auto outside = swap_exception_stack(exceptions_);
        self_ = std::move(self_).resume();
        exceptions_ = swap_exception_stack(outside);
        if (!self_) delete this;
    }

    asio::io_context& io_;
    std::function<void(pg::Suspender&)> body_;
    fibers::fiber self_;    // the job, while it waits
    fibers::fiber caller_;  // in the job: where a wait returns to
    bool abandoned_ = false;
    ExceptionStack exceptions_;  // the fiber's, while it waits
};

}  // namespace

void run_as_fiber(boost::asio::io_context& io, std::function<void(pg::Suspender&)> body) {
    (new FiberJob(io, std::move(body)))->start();
}

}  // namespace civic::store
