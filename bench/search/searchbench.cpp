// SPDX-License-Identifier: MIT
// eventlens-searchbench: times el::matchAll (core/model/textsearch), the GUI text filter's case-insensitive search,
// over N event texts (default 1,000,000) built from the open-design sample events (one compact JSON line each,
// ~1.5 KB; each copy gets its own uuid), stored back to back in one buffer.
//
// Prints one line per case:
//   label=search needle=byok kernel=avx2 threads=2 rows=1000000 bytes=... ms=... ms_min=... matches=...
//   GBps=... GBps_per_thread=...
// ms is the median of --reps runs (ms_min the fastest); GBps = bytes / ms. A label=memread line per thread count
// gives the machine's ceiling: the same bytes only loaded and OR-ed together, no search.
#include "model/textsearch.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

using namespace el;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/** Reads every byte of every text (16 at a time), so the compiler cannot skip the loads. */
unsigned char memread(const std::vector<std::string_view>& texts, int threads)
{
    std::vector<unsigned char> perChunk((texts.size() + 2047) / 2048 + 1, 0);
    parallelChunks(texts.size(), threads, [&](std::size_t begin, std::size_t end) {
#if defined(__SSE2__)
        __m128i acc = _mm_setzero_si128(), acc1 = acc, acc2 = acc, acc3 = acc;
        unsigned char tail = 0;
        for (std::size_t i = begin; i < end; ++i) {
            const std::string_view t = texts[i];
            const auto* p = reinterpret_cast<const __m128i*>(t.data());
            std::size_t j = 0;
            for (; j + 64 <= t.size(); j += 64, p += 4) {
                acc = _mm_or_si128(acc, _mm_loadu_si128(p));
                acc1 = _mm_or_si128(acc1, _mm_loadu_si128(p + 1));
                acc2 = _mm_or_si128(acc2, _mm_loadu_si128(p + 2));
                acc3 = _mm_or_si128(acc3, _mm_loadu_si128(p + 3));
            }
            for (; j + 16 <= t.size(); j += 16, ++p)
                acc1 = _mm_or_si128(acc1, _mm_loadu_si128(p));
            if (j < t.size() && t.size() >= 16) // the last 16 bytes, overlapping
                acc2 = _mm_or_si128(acc2, _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data() + t.size() - 16)));
            else
                for (; j < t.size(); ++j)
                    tail |= static_cast<unsigned char>(t[j]);
        }
        acc = _mm_or_si128(_mm_or_si128(acc, acc1), _mm_or_si128(acc2, acc3));
        alignas(16) unsigned char lanes[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(lanes), acc);
        for (unsigned char l : lanes)
            tail |= l;
        perChunk[begin / 2048] = tail;
#else
        unsigned char acc = 0;
        for (std::size_t i = begin; i < end; ++i)
            for (char c : texts[i])
                acc |= static_cast<unsigned char>(c);
        perChunk[begin / 2048] = acc;
#endif
    });
    unsigned char all = 0;
    for (unsigned char c : perChunk)
        all |= c;
    return all;
}

struct Timing
{
    double median = 0, min = 0;
};

template<class F> Timing timeIt(int reps, F&& f)
{
    std::vector<double> ms;
    for (int r = 0; r < reps; ++r) {
        const auto start = Clock::now();
        f();
        ms.push_back(msSince(start));
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.front()};
}

} // namespace

int main(int argc, char** argv)
{
    std::size_t rows = 1000000;
    int reps = 5;
    std::string templates = EVENTLENS_BENCH_TEMPLATES;
    std::vector<int> threadCounts = {1, 2};
    std::vector<std::string> needles = {"byok", "amr_cloud", "BYOK", "nonexistent-needle-xyz", "run_"};
    std::vector<TextMatcher::Kernel> kernels = {TextMatcher::Kernel::Auto};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
        if (a == "--rows") {
            rows = std::strtoull(next().c_str(), nullptr, 10);
        } else if (a == "--reps") {
            reps = std::max(1, std::atoi(next().c_str()));
        } else if (a == "--templates") {
            templates = next();
        } else if (a == "--threads") {
            threadCounts = {std::atoi(next().c_str())};
        } else if (a == "--needle") {
            needles = {next()};
        } else if (a == "--kernel") {
            const std::string k = next();
            if (k == "all")
                kernels = {TextMatcher::Kernel::Scalar, TextMatcher::Kernel::Sse2, TextMatcher::Kernel::Avx2};
            else if (k == "scalar")
                kernels = {TextMatcher::Kernel::Scalar};
            else if (k == "sse2")
                kernels = {TextMatcher::Kernel::Sse2};
            else if (k == "avx2")
                kernels = {TextMatcher::Kernel::Avx2};
            else
                kernels = {TextMatcher::Kernel::Auto};
        } else {
            std::fprintf(stderr,
                "usage: eventlens-searchbench [--rows N] [--reps N] [--threads N] [--needle TEXT] "
                "[--kernel auto|scalar|sse2|avx2|all] [--templates FILE.ndjson]\n");
            return a == "--help" ? 0 : 2;
        }
    }

    // --- the texts -------------------------------------------------------------------------------------------------
    std::vector<std::string> lines;
    {
        std::ifstream in(templates);
        std::string line;
        while (std::getline(in, line))
            if (!line.empty())
                lines.push_back(line);
    }
    if (lines.empty()) {
        std::fprintf(stderr, "searchbench: no events in %s\n", templates.c_str());
        return 1;
    }
    const auto buildStart = Clock::now();
    std::size_t total = 0;
    for (std::size_t r = 0; r < rows; ++r)
        total += lines[r % lines.size()].size();
    std::vector<char> arena(total);
    std::vector<std::string_view> texts;
    texts.reserve(rows);
    std::size_t at = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::string& t = lines[r % lines.size()];
        char* out = arena.data() + at;
        std::memcpy(out, t.data(), t.size());
        // A different uuid per copy (same length, so the text keeps its size).
        static const char key[] = "\"uuid\":\"";
        const std::size_t u = t.find(key);
        if (u != std::string::npos && u + sizeof(key) - 1 + 36 <= t.size()) {
            char id[40];
            std::snprintf(id, sizeof id, "0197c2a1-%04x-7%03x-8%03x-%012llx", static_cast<unsigned>((r >> 32) & 0xffff),
                static_cast<unsigned>((r >> 20) & 0xfff), static_cast<unsigned>((r >> 8) & 0xfff),
                static_cast<unsigned long long>(r));
            std::memcpy(out + u + sizeof(key) - 1, id, 36);
        }
        texts.emplace_back(out, t.size());
        at += t.size();
    }
    std::fprintf(stderr, "searchbench: %zu rows, %zu bytes (%.0f bytes/row) built in %.0f ms\n", rows, total,
        rows ? double(total) / double(rows) : 0.0, msSince(buildStart));

    const double gb = double(total) / 1e9;
    auto rate = [&](double ms) { return ms > 0 ? gb / (ms / 1000.0) : 0.0; };

    // --- the memory ceiling ------------------------------------------------------------------------------------------
    unsigned char sink = 0;
    for (int threads : threadCounts) {
        const Timing t = timeIt(reps, [&] { sink |= memread(texts, threads); });
        std::printf("label=memread threads=%d rows=%zu bytes=%zu ms=%.1f ms_min=%.1f GBps=%.2f GBps_per_thread=%.2f\n",
            threads, rows, total, t.median, t.min, rate(t.median), rate(t.median) / threads);
        std::fflush(stdout);
    }

    // --- the searches ------------------------------------------------------------------------------------------------
    int failures = 0;
    for (TextMatcher::Kernel kernel : kernels) {
        if (kernel != TextMatcher::Kernel::Auto && !TextMatcher::kernelAvailable(kernel)) {
            std::fprintf(
                stderr, "searchbench: kernel %s not available here, skipped\n", TextMatcher::kernelName(kernel));
            continue;
        }
        for (const std::string& needle : needles) {
            const TextMatcher m(needle, kernel);
            std::vector<char> reference;
            for (int threads : threadCounts) {
                std::vector<char> result;
                matchAll(texts, m, threads); // warm-up (the arena was just written; thread start-up)
                const Timing t = timeIt(reps, [&] { result = matchAll(texts, m, threads); });
                const std::size_t matches = static_cast<std::size_t>(std::count(result.begin(), result.end(), 1));
                std::printf("label=search needle=%s kernel=%s threads=%d rows=%zu bytes=%zu ms=%.1f ms_min=%.1f "
                            "matches=%zu GBps=%.2f GBps_per_thread=%.2f\n",
                    needle.c_str(), TextMatcher::kernelName(m.kernel()), threads, rows, total, t.median, t.min, matches,
                    rate(t.median), rate(t.median) / threads);
                std::fflush(stdout);
                if (reference.empty()) {
                    reference = result;
                    // Spot-check against the scalar kernel.
                    const TextMatcher scalar(needle, TextMatcher::Kernel::Scalar);
                    for (std::size_t i = 0; i < texts.size(); i += 997)
                        if ((reference[i] != 0) != scalar.matches(texts[i])) {
                            std::fprintf(stderr, "searchbench: row %zu differs from the scalar kernel\n", i);
                            ++failures;
                            break;
                        }
                } else if (result != reference) {
                    std::fprintf(
                        stderr, "searchbench: %d threads disagree with %d thread(s)\n", threads, threadCounts.front());
                    ++failures;
                }
            }
        }
    }
    if (sink == 0)
        std::fprintf(stderr, "searchbench: the texts read as all zero bytes?\n");
    return failures == 0 ? 0 : 1;
}
