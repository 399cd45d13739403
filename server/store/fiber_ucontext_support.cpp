// The sanitizer builds switch fibers with Boost.Context's ucontext variant, which tells ASan and
// TSan about every switch (BOOST_USE_UCONTEXT, top-level CMakeLists.txt). Debian's libboost_context
// is built for the default fcontext variant, so it lacks the one function the ucontext variant
// leaves to the library: the calling thread's current activation record. Defined here: the
// thread's own stack is its first record, made on first use, living as long as the thread.
#if defined(BOOST_USE_UCONTEXT)
#include <boost/context/fiber.hpp>

namespace boost::context::detail {

fiber_activation_record*& fiber_activation_record::current() noexcept {
    thread_local fiber_activation_record thread_stack;
    thread_local fiber_activation_record* current = &thread_stack;
    return current;
}

}  // namespace boost::context::detail
#endif
