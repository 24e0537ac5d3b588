// SPDX-License-Identifier: MIT
#include "keptext.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
// An empty block kept for reuse is poisoned, and each text unpoisoned as it is written: a text read after its block
// went is an AddressSanitizer report, as it was when every text had an allocation of its own.
#define EL_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define EL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define EL_POISON(p, n) ((void)(p), (void)(n))
#define EL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace el {

namespace {

constexpr std::size_t kHeaderSize = 64; ///< a block's header, then texts end to end
constexpr std::size_t kLargeText = std::size_t(256) << 10; ///< above this, a text gets a block of its own
constexpr std::size_t kCachedBlocks = 8; ///< empty blocks kept for reuse (16 MiB at most)
constexpr std::size_t kPage = 4096;

struct Block
{
    std::atomic<std::size_t> refs {1}; ///< one per text in it, and one while a thread fills it
    std::size_t mapped = 0; ///< bytes mapped: kBlockSize, or more for a large text's own block
};
static_assert(sizeof(Block) <= kHeaderSize);

Block* blockOf(const char* text)
{
    return reinterpret_cast<Block*>(reinterpret_cast<std::uintptr_t>(text) & ~(KeptText::kBlockSize - 1));
}

/** \a bytes of zeroed memory at a kBlockSize boundary; on Linux asked to be on huge pages when \a huge. */
void* mapAligned(std::size_t bytes, bool huge)
{
#if defined(__linux__)
    const std::size_t span = bytes + KeptText::kBlockSize;
    void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (start + KeptText::kBlockSize - 1) & ~(KeptText::kBlockSize - 1);
    if (aligned > start)
        munmap(p, aligned - start);
    if (start + span > aligned + bytes)
        munmap(reinterpret_cast<void*>(aligned + bytes), start + span - (aligned + bytes));
    if (huge)
        madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE); // a hint: 4 KiB pages if refused
    return reinterpret_cast<void*>(aligned);
#else
    (void)huge;
    return ::operator new(bytes, std::align_val_t(KeptText::kBlockSize));
#endif
}

void unmap(void* p, std::size_t bytes)
{
#if defined(__linux__)
    munmap(p, bytes);
#else
    (void)bytes;
    ::operator delete(p, std::align_val_t(KeptText::kBlockSize));
#endif
}

/** The empty blocks kept for reuse, and the counts stats() reports. Never destroyed: threads may end after main. */
struct Pool
{
    std::mutex mutex;
    std::vector<Block*> cached;
    std::atomic<std::size_t> blocks {0};
    std::atomic<std::size_t> bytes {0};
};

Pool& pool()
{
    static Pool* const p = new Pool;
    return *p;
}

Block* newBlock(std::size_t bytes, bool huge)
{
    Block* b = new (mapAligned(bytes, huge)) Block;
    b->mapped = bytes;
    Pool& p = pool();
    p.blocks.fetch_add(1, std::memory_order_relaxed);
    p.bytes.fetch_add(bytes, std::memory_order_relaxed);
    return b;
}

/** A shared block for the calling thread to fill: a cached one, else a new one. Its count is 1 (the filler's). */
Block* takeBlock()
{
    Pool& p = pool();
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        if (!p.cached.empty()) {
            Block* b = p.cached.back();
            p.cached.pop_back();
            b->refs.store(1, std::memory_order_relaxed);
            return b;
        }
    }
    return newBlock(KeptText::kBlockSize, true);
}

void releaseBlock(Block* b) noexcept
{
    if (b->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
        return;
    Pool& p = pool();
    if (b->mapped == KeptText::kBlockSize) {
        std::lock_guard<std::mutex> lock(p.mutex);
        if (p.cached.size() < kCachedBlocks) {
            EL_POISON(reinterpret_cast<char*>(b) + kHeaderSize, KeptText::kBlockSize - kHeaderSize);
            p.cached.push_back(b);
            return;
        }
    }
    const std::size_t bytes = b->mapped;
    b->~Block();
    unmap(b, bytes);
    p.blocks.fetch_sub(1, std::memory_order_relaxed);
    p.bytes.fetch_sub(bytes, std::memory_order_relaxed);
}

/** The block this thread fills, and how far (bytes from the block's start). */
struct Filler
{
    Block* block = nullptr;
    std::size_t used = 0;
    ~Filler()
    {
        if (block)
            releaseBlock(block);
    }
};

thread_local Filler t_filler;

} // namespace

KeptText::KeptText(const KeptText& other) noexcept
    : m_data(other.m_data)
    , m_size(other.m_size)
{
    if (m_data)
        blockOf(m_data)->refs.fetch_add(1, std::memory_order_relaxed);
}

void KeptText::assign(std::string_view text)
{
    // Copied before the old text goes: \a text may be a view of it.
    KeptText made;
    if (!text.empty()) {
        char* dst = nullptr;
        if (text.size() > kLargeText) {
            const std::size_t bytes = (kHeaderSize + text.size() + kPage - 1) / kPage * kPage;
            dst = reinterpret_cast<char*>(newBlock(bytes, false)) + kHeaderSize; // its count of 1 is this text's
        } else {
            Filler& f = t_filler;
            if (!f.block || f.used + text.size() > kBlockSize) {
                if (f.block)
                    releaseBlock(f.block);
                f.block = nullptr; // takeBlock() may throw
                f.block = takeBlock();
                f.used = kHeaderSize;
            }
            dst = reinterpret_cast<char*>(f.block) + f.used;
            f.used += text.size();
            f.block->refs.fetch_add(1, std::memory_order_relaxed);
        }
        EL_UNPOISON(dst, text.size());
        std::memcpy(dst, text.data(), text.size());
        made.m_data = dst;
        made.m_size = text.size();
    }
    swap(made);
}

void KeptText::release() noexcept
{
    if (m_data)
        releaseBlock(blockOf(m_data));
    m_data = nullptr;
    m_size = 0;
}

KeptText::Stats KeptText::stats()
{
    Pool& p = pool();
    Stats s;
    std::lock_guard<std::mutex> lock(p.mutex);
    s.cachedBlocks = p.cached.size();
    s.blocks = p.blocks.load(std::memory_order_relaxed) - s.cachedBlocks;
    s.bytes = p.bytes.load(std::memory_order_relaxed);
    return s;
}

} // namespace el
