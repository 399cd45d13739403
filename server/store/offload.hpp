#pragma once
// Moves blocking work (SQLite, fsync, password hashing, image decoding) off the I/O threads.
// The coroutine suspends, `fn` runs elsewhere, and the coroutine resumes on its own executor
// (its connection's strand) with the result or the exception.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace civic {

namespace detail {
template <class R>
using Slot = std::conditional_t<std::is_void_v<R>, std::monostate, std::optional<R>>;

// The completion signature of an awaited job returning R (void jobs report only the error).
template <class R>
struct Completion {
    using type = void(std::exception_ptr, R);
};
template <>
struct Completion<void> {
    using type = void(std::exception_ptr);
};

// Calls `fn`, catching what it throws; returns the result slot and the exception.
template <class F, class R = std::invoke_result_t<F&>>
std::pair<Slot<R>, std::exception_ptr> capture(F& fn) {
    Slot<R> slot{};
    std::exception_ptr error;
    try {
        if constexpr (std::is_void_v<R>) {
            fn();
        } else {
            slot.emplace(fn());
        }
    } catch (...) {
        error = std::current_exception();
    }
    return {std::move(slot), error};
}
}  // namespace detail

// Runs `fn` on another thread and resumes the awaiting coroutine on its own executor with the
// result (or the exception). `submit(task)` hands the task to that thread (a pool, the writer).
template <class Submit, class F, class R = std::invoke_result_t<F&>>
boost::asio::awaitable<R> await_elsewhere(Submit submit, F fn) {
    using Signature = typename detail::Completion<R>::type;
    co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, Signature>(
        [&submit, &fn](auto handler) {
            auto guard = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
            submit([fn = std::move(fn), handler = std::move(handler), guard = std::move(guard)]() mutable {
                auto [slot, error] = detail::capture(fn);
                auto executor = guard.get_executor();
                boost::asio::dispatch(executor,
                                      [handler = std::move(handler), slot = std::move(slot), error]() mutable {
                                          if constexpr (std::is_void_v<R>) {
                                              handler(error);
                                          } else if (error) {
                                              handler(error, R{});
                                          } else {
                                              handler(error, std::move(*slot));
                                          }
                                      });
            });
        },
        boost::asio::use_awaitable);
}

// GCC 12 destroys a lambda temporary twice when it sits in a co_await expression and its
// captures have destructors (a double free, seen under ASan). Jobs handed to offload() and
// Database::read/write are therefore required to capture by reference only — safe anyway,
// because the awaiting coroutine's locals outlive the job.
template <class F>
inline constexpr bool kCapturesByReference = std::is_trivially_destructible_v<F>;

// Runs `fn` on `pool` (an asio execution context such as thread_pool).
template <class Pool, class F>
auto offload(Pool& pool, F fn) {
    static_assert(kCapturesByReference<F>, "capture by reference in jobs passed to co_await (GCC 12 bug)");
    return await_elsewhere([&pool](auto task) { boost::asio::post(pool, std::move(task)); }, std::move(fn));
}

}  // namespace civic
