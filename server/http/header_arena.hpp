#pragma once
// Where Beast's parser keeps a request's header: a block the connection owns, handed out front to
// back and taken back whole when the next request starts. Beast's basic_fields makes one heap
// allocation per field and one for the target; through ArenaAllocator a warm connection's header
// costs none. A header larger than the block (up to limits::kMaxHeaderBytes) spills into heap
// chunks, freed at the next reset.
//
// Lifetime rule: everything allocated from the arena belongs to the one parser of the current
// request (and what Beast moves out of it: the body parser, a WebSocket upgrade's request); reset()
// is called only once that parser is gone, at the start of the next request. Nothing else may keep
// a pointer into it — fill_request_head copies what the Request needs.
#include <cassert>
#include <cstddef>
#include <new>
#include <type_traits>

namespace civic::http {

class HeaderArena {
public:
    // A browser's request with cookies fits; curl's or a phone app's uses a fraction.
    static constexpr std::size_t kBlockBytes = 2048;

    HeaderArena() = default;
    HeaderArena(const HeaderArena&) = delete;
    HeaderArena& operator=(const HeaderArena&) = delete;
    ~HeaderArena() { reset(); }

    void* allocate(std::size_t bytes, std::size_t align) {
        assert(align <= alignof(std::max_align_t));
        const std::size_t at = (used_ + align - 1) & ~(align - 1);
        if (at + bytes <= kBlockBytes) {
            used_ = at + bytes;
            return block_ + at;
        }
        // Spilled: a chunk with a link to the previous one in front of the caller's bytes.
        auto* chunk = static_cast<Spill*>(::operator new(sizeof(Spill) + bytes));
        chunk->next = spilled_;
        spilled_ = chunk;
        return chunk + 1;
    }

    // Everything handed out since the last reset is dead.
    void reset() {
        used_ = 0;
        while (spilled_) {
            Spill* next = spilled_->next;
            ::operator delete(spilled_);
            spilled_ = next;
        }
    }

    std::size_t spilled_chunks() const {
        std::size_t n = 0;
        for (const Spill* s = spilled_; s; s = s->next) ++n;
        return n;
    }

private:
    struct alignas(std::max_align_t) Spill {
        Spill* next;
    };
    alignas(std::max_align_t) std::byte block_[kBlockBytes];
    std::size_t used_ = 0;
    Spill* spilled_ = nullptr;
};

// A standard allocator over a HeaderArena (deallocation is the arena's reset). Default-constructed
// (no arena), it is plain new/delete, for Beast's code paths that make a fields object of their own.
template <class T>
class ArenaAllocator {
public:
    using value_type = T;
    using propagate_on_container_copy_assignment = std::true_type;
    using propagate_on_container_move_assignment = std::true_type;
    using propagate_on_container_swap = std::true_type;
    using is_always_equal = std::false_type;

    ArenaAllocator() noexcept = default;
    explicit ArenaAllocator(HeaderArena& arena) noexcept : arena_(&arena) {}
    template <class U>
    ArenaAllocator(const ArenaAllocator<U>& other) noexcept : arena_(other.arena()) {}

    T* allocate(std::size_t n) {
        if (!arena_) return static_cast<T*>(::operator new(n * sizeof(T)));
        return static_cast<T*>(arena_->allocate(n * sizeof(T), alignof(T)));
    }
    void deallocate(T* p, std::size_t) noexcept {
        if (!arena_) ::operator delete(p);
    }
    HeaderArena* arena() const noexcept { return arena_; }

    template <class U>
    friend bool operator==(const ArenaAllocator& a, const ArenaAllocator<U>& b) noexcept {
        return a.arena() == b.arena();
    }

private:
    HeaderArena* arena_ = nullptr;
};

}  // namespace civic::http
