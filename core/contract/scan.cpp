// SPDX-License-Identifier: MIT
// The detector table, scanText() over a value and the masking of what it finds. The detectors themselves are in
// scan/secrets.cpp and scan/pii.cpp, the first pass that decides which of them run in scan/firstpass.cpp.
#include "scan.h"

#include "scan/chars.h"
#include "scan/firstpass.h"

#include <algorithm>

namespace el {

using namespace scan_detail;

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6"; // …

} // namespace

const std::vector<ScanDetector>& scanDetectors()
{
    static const std::vector<ScanDetector> all {
        {"anthropic", ScanKind::Secret, "an Anthropic API key", detect::anthropic},
        {"openai", ScanKind::Secret, "an OpenAI API key", detect::openai},
        {"google", ScanKind::Secret, "a Google API key", detect::google},
        {"aws", ScanKind::Secret, "an AWS access key id", detect::aws},
        {"github", ScanKind::Secret, "a GitHub token", detect::github},
        {"posthog", ScanKind::Secret, "a PostHog personal API key", detect::posthog},
        {"slack", ScanKind::Secret, "a Slack token", detect::slack},
        {"pem", ScanKind::Secret, "a PEM private key", detect::pem},
        {"jwt", ScanKind::Secret, "a JSON Web Token", detect::jwt},
        {"bearer", ScanKind::Secret, "a bearer token", detect::bearer},
        {"email", ScanKind::Pii, "an e-mail address", detect::email},
        {"card", ScanKind::Pii, "a payment card number", detect::card},
        {"phone", ScanKind::Pii, "a phone number", detect::phone},
    };
    return all;
}

int scanDetectorIndex(std::string_view name)
{
    const auto& all = scanDetectors();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].name == name)
            return int(i);
    }
    return -1;
}

DetectorMask scanDetectorsOf(ScanKind kind)
{
    DetectorMask m = 0;
    const auto& all = scanDetectors();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].kind == kind)
            m |= DetectorMask(1) << i;
    }
    return m;
}

std::string_view toString(ScanKind kind)
{
    return kind == ScanKind::Secret ? "secret" : "pii";
}

bool scanText(std::string_view text, DetectorMask detectors, std::vector<ScanHit>& out, std::size_t max)
{
    out.clear();
    if (text.size() < kScanShortest)
        return false;
    DetectorMask run = triggered(text, detectors);
    if (!run)
        return false;
    const auto& all = scanDetectors();
    for (std::size_t d = 0; run && out.size() < max; ++d, run >>= 1) {
        if (!(run & 1u))
            continue;
        for (std::size_t from = 0; from < text.size() && out.size() < max;) {
            const std::optional<ScanMatch> m = all[d].find(text, from);
            if (!m)
                break;
            from = std::max(m->end, m->begin + 1);
            // Detectors run in precedence order: a match overlapping an earlier one is dropped.
            const bool overlaps = std::any_of(out.begin(), out.end(),
                [&](const ScanHit& h) { return m->begin < h.match.end && h.match.begin < m->end; });
            if (!overlaps)
                out.push_back({d, *m});
        }
    }
    std::sort(out.begin(), out.end(), [](const ScanHit& a, const ScanHit& b) { return a.match.begin < b.match.begin; });
    return !out.empty();
}

bool containsMatch(std::string_view text, DetectorMask detectors)
{
    std::vector<ScanHit> hits;
    return scanText(text, detectors, hits, 1);
}

std::string maskMatch(std::size_t detector, std::string_view m)
{
    std::string out;
    auto lastDigits = [&](std::size_t n) {
        std::string tail;
        for (std::size_t i = m.size(); i-- > 0 && tail.size() < n;) {
            if (isDigit(m[i]))
                tail.insert(tail.begin(), m[i]);
        }
        return tail;
    };
    auto keep = [&](std::size_t prefix) {
        prefix = std::min(prefix, m.size());
        out.assign(m.substr(0, prefix));
        out += kEllipsis;
        if (m.size() - prefix >= 12)
            out += m.substr(m.size() - 4);
        return out;
    };
    switch (detector) {
    case Anthropic:
        return keep(7);
    case OpenAI: {
        for (std::string_view v : {"sk-proj-", "sk-svcacct-", "sk-admin-"}) {
            if (m.substr(0, v.size()) == v)
                return keep(v.size());
        }
        return keep(3);
    }
    case Google:
    case Aws:
    case Posthog:
        return keep(4);
    case Github:
        return keep(m.substr(0, 11) == "github_pat_" ? 11 : 4);
    case Slack:
        return keep(5);
    case Jwt:
        return keep(3);
    case Bearer: {
        // The word as written, one space, the token masked.
        const std::size_t token = runEnd(m, 6, [](char ch) { return ch == ' ' || ch == '\t'; });
        out.assign(m.substr(0, 6));
        out += ' ';
        out += kEllipsis;
        if (m.size() - token >= 12)
            out += m.substr(m.size() - 4);
        return out;
    }
    case Pem: {
        const std::size_t header = m.find("-----", 11);
        out.assign(m.substr(0, header == std::string_view::npos ? std::min<std::size_t>(m.size(), 11) : header + 5));
        out += kEllipsis;
        return out;
    }
    case Email: {
        const std::size_t at = m.rfind('@');
        const std::string_view local = m.substr(0, at);
        const std::string_view domain = m.substr(at + 1);
        const std::string_view first = domain.substr(0, domain.find('.'));
        const std::string_view tld = domain.substr(domain.rfind('.') + 1);
        if (local.size() >= 3)
            out += local[0];
        out += kEllipsis;
        out += '@';
        if (first.size() >= 3)
            out += first[0];
        out += kEllipsis;
        out += tld;
        return out;
    }
    case Card:
        out.assign(kEllipsis);
        out += lastDigits(4);
        return out;
    case Phone:
        if (!m.empty() && m[0] == '+')
            out += '+';
        out += kEllipsis;
        out += lastDigits(2);
        return out;
    default:
        return std::string(kEllipsis);
    }
}

std::string redactText(std::string_view text, DetectorMask detectors)
{
    std::vector<ScanHit> hits;
    if (!scanText(text, detectors, hits, std::size_t(-1)))
        return std::string(text);
    std::string out;
    out.reserve(text.size());
    std::size_t at = 0;
    for (const ScanHit& h : hits) {
        out.append(text.substr(at, h.match.begin - at));
        out += maskMatch(h.detector, text.substr(h.match.begin, h.match.size()));
        at = h.match.end;
    }
    out.append(text.substr(at));
    return out;
}

} // namespace el
