// SPDX-License-Identifier: MIT
// libFuzzer target: the detectors of `scans` (contract/scan) on any bytes. scanText() (the first pass, then only the
// detectors it lets through) must find exactly what every detector run on its own finds; the SSE2 first pass must
// note what the byte-by-byte one does; every match lies in the text; the masked text is the text with each match
// replaced by its mask, and no match is left in it. (Masking is not idempotent, and need not be: the product masks
// each text once, and a mask changes its neighbours' context: "(415) 555-2671 030 12345678" holds one phone number,
// the trunk one, as a digit follows the first; masked, "(415) 555-2671 …78" holds the first.)
#include "contract/scan.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& text)
{
    std::cerr << "scan: " << what << " on " << text.size() << " bytes\n";
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto& detectors = el::scanDetectors();
    const el::DetectorMask all = el::scanDetectorsOf(el::ScanKind::Secret) | el::scanDetectorsOf(el::ScanKind::Pii);
    if (!el::detect::firstPassAgrees(text))
        fail("the SSE2 first pass disagrees with the scalar one", text);
    std::vector<el::ScanHit> want;
    for (std::size_t d = 0; d < detectors.size(); ++d) {
        for (std::size_t from = 0; from < text.size();) {
            const auto m = detectors[d].find(text, from);
            if (!m)
                break;
            if (m->begin < from || m->end <= m->begin || m->end > text.size())
                fail(std::string(detectors[d].name) + " returned a match outside the text", text);
            from = std::max(m->end, m->begin + 1);
            const bool overlaps = std::any_of(want.begin(), want.end(),
                [&](const el::ScanHit& h) { return m->begin < h.match.end && h.match.begin < m->end; });
            if (!overlaps)
                want.push_back({d, *m});
        }
    }
    std::sort(want.begin(), want.end(),
        [](const el::ScanHit& a, const el::ScanHit& b) { return a.match.begin < b.match.begin; });
    std::vector<el::ScanHit> hits;
    el::scanText(text, all, hits, std::size_t(-1));
    bool same = hits.size() == want.size();
    for (std::size_t i = 0; same && i < hits.size(); ++i)
        same = hits[i].detector == want[i].detector && hits[i].match == want[i].match;
    if (!same)
        fail("scanText differs from the detectors run one by one", text);
    const std::string redacted = el::redactText(text, all);
    std::size_t masks = 0;
    for (const el::ScanHit& h : hits) {
        const std::string mask
            = el::maskMatch(h.detector, std::string_view(text).substr(h.match.begin, h.match.size()));
        masks += mask.size();
        if (redacted.find(mask) == std::string::npos)
            fail(std::string(detectors[h.detector].name) + " match not replaced by its mask", text);
    }
    std::size_t matched = 0;
    for (const el::ScanHit& h : hits)
        matched += h.match.size();
    if (redacted.size() != text.size() - matched + masks)
        fail("the masked text is not the text with each match replaced", text);
    // Each match is gone from the masked text (the same bytes may still stand elsewhere, glued to a word and so not
    // found: count them).
    auto occurrences = [](const std::string& hay, const std::string& needle) {
        std::size_t n = 0;
        for (std::size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1))
            ++n;
        return n;
    };
    for (const el::ScanHit& h : hits) {
        const std::string match = text.substr(h.match.begin, h.match.size());
        if (occurrences(redacted, match) >= occurrences(text, match))
            fail(std::string(detectors[h.detector].name) + " match left unmasked", text);
    }
    return 0;
}
