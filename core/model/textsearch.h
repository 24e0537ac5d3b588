// SPDX-License-Identifier: MIT
// Case-insensitive substring search over many texts (the GUI's text filter), without a per-row cache.
//
// TextMatcher folds ASCII letters only (A-Z == a-z); every other byte, including each byte of a UTF-8
// multi-byte sequence, is compared exactly. So "Ä" does not match "ä" (different bytes) and "é" only
// matches "é" written with the same bytes (NFC vs NFD is not normalised). Good enough for event JSON,
// whose keys and most values are ASCII.
//
// matches() uses Wojciech Muła's "generic SIMD" substring search: the folded first and last needle bytes
// are compared against 16 (SSE2) or 32 (AVX2, chosen at run time) haystack positions at a time and only
// positions where both agree are verified byte by byte. It never reads outside the haystack, allocates
// nothing, and is memory-bound on large inputs (~1.5 GB of event JSON: 1M rows in about 70 ms on one core
// of the benchmark machine, see bench/search). A TextMatcher is immutable: matches() may be called from
// several threads at once.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace el {

class TextMatcher
{
public:
    /** Search kernels; Auto picks the fastest the CPU supports (AVX2 if the CPU and OS support it, else SSE2). */
    enum class Kernel { Auto, Scalar, Sse2, Avx2 };

    /** An empty needle matches everything. A kernel the CPU lacks falls back to the next simpler one. */
    explicit TextMatcher(std::string_view needle, Kernel kernel = Kernel::Auto);

    /** True if the needle occurs in haystack, ASCII letters compared case-insensitively. */
    bool matches(std::string_view haystack) const;

    bool empty() const { return m_folded.empty(); }
    /** The needle with ASCII letters lower-cased. */
    const std::string& foldedNeedle() const { return m_folded; }

    /** The kernel matches() uses (never Auto). */
    Kernel kernel() const { return m_kernel; }
    static const char* kernelName(Kernel kernel);
    /** True if this build and CPU can run kernel. */
    static bool kernelAvailable(Kernel kernel);

private:
    friend struct TextSearchKernels;
    using SearchFn = bool (*)(const TextMatcher&, const unsigned char*, std::size_t);

    std::string m_folded;
    Kernel m_kernel = Kernel::Scalar;
    SearchFn m_search = nullptr;
    // For the first and last needle bytes: OR-ing 0x20 into a haystack byte folds it exactly when the needle
    // byte is a letter (x | 0x20 == 'a' only for 'a' and 'A'); for any other needle byte the mask is 0 and
    // the comparison is exact. So the SIMD filter neither misses a match nor admits a folding false positive.
    unsigned char m_first = 0, m_last = 0, m_firstMask = 0, m_lastMask = 0;
};

/** Lower-cases ASCII letters and leaves every other byte alone. */
inline unsigned char foldAscii(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c | 0x20) : c;
}

/**
 * Runs fn(begin, end) over consecutive chunks covering [0, count) on up to `threads` threads (<= 0: one
 * per hardware thread); the calling thread takes part. Chunks are handed out dynamically, so a thread
 * slowed down by other load does less of the work. fn is called once per chunk (thousands of rows), not
 * per row, and must be safe to call concurrently for disjoint ranges.
 */
void parallelChunks(std::size_t count, int threads, const std::function<void(std::size_t, std::size_t)>& fn);

/**
 * For each i in [0, count): result[i] = m.matches(text(i)) ? 1 : 0, scanned on `threads` threads.
 * text is called from several threads at once and must return a std::string_view (or something
 * convertible) that stays valid until it returns; it is inlined here, so it costs nothing per row.
 */
template<class TextAt>
std::vector<char> matchAllWith(std::size_t count, TextAt&& text, const TextMatcher& m, int threads)
{
    std::vector<char> result(count, m.empty() ? 1 : 0);
    if (m.empty() || count == 0)
        return result;
    char* out = result.data();
    parallelChunks(count, threads, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i)
            out[i] = m.matches(std::string_view(text(i))) ? 1 : 0;
    });
    return result;
}

/** matchAllWith over an array of texts. */
std::vector<char> matchAll(const std::string_view* texts, std::size_t count, const TextMatcher& m, int threads);
inline std::vector<char> matchAll(const std::vector<std::string_view>& texts, const TextMatcher& m, int threads)
{
    return matchAll(texts.data(), texts.size(), m, threads);
}

} // namespace el
