// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace el {

/**
 * \brief An immutable text that is kept for long (an event's compact JSON), packed with other kept texts into
 * 2 MiB blocks instead of one allocation each.
 *
 * Every kept event's text is new memory, and on a VM where a page fault is dear the first touch of it cost more
 * than judging did (Performance: "Page faults"). Huge pages for the whole process took memory from 1.50× to 1.62×:
 * short-lived buffers landed on them too. Here only the kept texts are on huge pages (where the kernel offers
 * them: `madvise` or `always` in /sys/kernel/mm/transparent_hugepage/enabled), one fault per 2 MiB instead of per
 * 4 KiB, and packed end to end, so there is no allocator size class to round up to either.
 *
 * Each thread fills a block of its own (no lock per text); a block goes when the last text in it does (a count
 * of references in its header), and a few empty blocks are kept for reuse, so texts that come and go (`check`)
 * do not fault in fresh memory again. A text larger than 256 KiB gets a block of its own size. Copies share the
 * text. A default KeptText is empty.
 */
class KeptText
{
public:
    KeptText() noexcept = default;
    explicit KeptText(std::string_view text) { assign(text); }
    KeptText(const KeptText& other) noexcept;
    KeptText(KeptText&& other) noexcept
        : m_data(std::exchange(other.m_data, nullptr))
        , m_size(std::exchange(other.m_size, 0))
    { }
    KeptText& operator=(const KeptText& other) noexcept
    {
        KeptText(other).swap(*this);
        return *this;
    }
    KeptText& operator=(KeptText&& other) noexcept
    {
        KeptText(std::move(other)).swap(*this);
        return *this;
    }
    /** Copies \a text into a block (the previous text is let go). */
    KeptText& operator=(std::string_view text)
    {
        assign(text);
        return *this;
    }
    ~KeptText() { release(); }

    const char* data() const noexcept { return m_data ? m_data : ""; }
    std::size_t size() const noexcept { return m_size; }
    bool empty() const noexcept { return m_size == 0; }
    const char* begin() const noexcept { return data(); }
    const char* end() const noexcept { return data() + m_size; }
    std::string_view view() const noexcept { return {data(), m_size}; }
    operator std::string_view() const noexcept { return view(); }

    void swap(KeptText& other) noexcept
    {
        std::swap(m_data, other.m_data);
        std::swap(m_size, other.m_size);
    }

    friend bool operator==(const KeptText& a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator!=(const KeptText& a, std::string_view b) noexcept { return a.view() != b; }
    friend bool operator==(const KeptText& a, const KeptText& b) noexcept { return a.view() == b.view(); }
    friend bool operator!=(const KeptText& a, const KeptText& b) noexcept { return a.view() != b.view(); }

    /** What the blocks hold now, for tests and benchmarks. */
    struct Stats
    {
        std::size_t blocks = 0; ///< blocks in use (any text or a thread's current block in them)
        std::size_t cachedBlocks = 0; ///< empty blocks kept for reuse
        std::size_t bytes = 0; ///< mapped bytes of both
    };
    static Stats stats();
    /** The size of a shared block (2 MiB, a huge page on x86-64 and arm64). */
    static constexpr std::size_t kBlockSize = std::size_t(2) << 20;

private:
    void assign(std::string_view text);
    void release() noexcept;

    const char* m_data = nullptr; ///< inside a block whose header starts at the kBlockSize boundary at or below it
    std::size_t m_size = 0;
};

} // namespace el
