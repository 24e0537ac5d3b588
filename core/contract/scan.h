// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Secrets and personal data in string values (issue 18, part 3): the detectors of the contract's `scan` rules.
namespace el {

/** \brief What a `scan` rule looks for. Wire names: "secret", "pii". */
enum class ScanKind { Secret, Pii };

/** \brief Where a detector found something: the bytes [begin, end) of the text it was given. */
struct ScanMatch
{
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t size() const { return end - begin; }
    bool operator==(const ScanMatch& o) const { return begin == o.begin && end == o.end; }
};

/**
 * The detectors, one function each: the first match in \a text that begins at or after \a from, or nullopt. Each
 * runs in time linear in the text and never allocates (jwt decodes a header of at most 512 bytes on the stack).
 * The exact rules are in the README (Secrets and personal data) and above each function in scan/secrets.cpp and
 * scan/pii.cpp.
 */
namespace detect {
std::optional<ScanMatch> anthropic(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> openai(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> google(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> aws(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> github(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> posthog(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> slack(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> pem(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> jwt(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> bearer(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> email(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> card(std::string_view text, std::size_t from = 0);
std::optional<ScanMatch> phone(std::string_view text, std::size_t from = 0);
/** The Luhn (mod 10) check over the digits of \a text (other characters skipped); false without digits. */
bool luhn(std::string_view text);
/** True when the SSE2 first pass of scanText() notes the same characters and digits as the byte-by-byte one. */
bool firstPassAgrees(std::string_view text);
} // namespace detect

/** \brief One built-in detector. */
struct ScanDetector
{
    std::string_view name; ///< as written in a contract's `detectors`, e.g. "anthropic"
    ScanKind kind;
    std::string_view what; ///< for messages, e.g. "an Anthropic API key"
    std::optional<ScanMatch> (*find)(std::string_view text, std::size_t from);
};

/** A set of detectors: bit i stands for scanDetectors()[i]. */
using DetectorMask = std::uint32_t;

/**
 * Every detector, in precedence order: where two matches overlap, the earlier detector's is kept (an Anthropic key
 * after "Bearer " is reported as an Anthropic key, not as a bearer token; digits inside a key are no phone number).
 */
const std::vector<ScanDetector>& scanDetectors();
/** The index of the detector named \a name in scanDetectors(), or -1. */
int scanDetectorIndex(std::string_view name);
/** Every detector of \a kind. */
DetectorMask scanDetectorsOf(ScanKind kind);
std::string_view toString(ScanKind kind);

/** No detector matches a string shorter than this ("a@b.co"; every key is longer). */
inline constexpr std::size_t kScanShortest = 6;

/** \brief One match of scanText(): which detector and where. */
struct ScanHit
{
    std::size_t detector = 0; ///< index in scanDetectors()
    ScanMatch match;
};

/**
 * The matches of the detectors in \a detectors in \a text, in text order, none overlapping (see scanDetectors() for
 * which one wins). A cheap first pass looks at each byte once and notes the characters the detectors need ("sk-"
 * keys '-' and 'k', a JWT 'J', 'y' and '.', an address '@' and '.', ...); a value of hexadecimal digits and dashes
 * with a letter (an id, a uuid) stops there; a card or phone number needs 13 or 8 digits in one number not glued to
 * a letter (counted branch-free, only when the value has that many digits at all). A detector runs only when the
 * first pass says it could match: the result is the same as running every detector. At most \a max hits. Returns
 * false when nothing was found (then \a out is left empty).
 */
bool scanText(std::string_view text, DetectorMask detectors, std::vector<ScanHit>& out, std::size_t max = 64);

/**
 * \a match (found by detector \a detector) masked for a report: its recognisable prefix, "…", its last 4
 * characters (`sk-ant-…3fQa`); no tail when fewer than 12 characters would be hidden; an e-mail address as
 * `j…@e…com`; a card number as `…4242`; a phone number as `+…67`; a PEM key as its BEGIN line and "…".
 */
std::string maskMatch(std::size_t detector, std::string_view match);
/** \a text with every match of \a detectors masked (maskMatch()); \a text itself when there is none. */
std::string redactText(std::string_view text, DetectorMask detectors);
/** True when \a text holds a match of \a detectors (cheaper than redactText() when there is none). */
bool containsMatch(std::string_view text, DetectorMask detectors);

} // namespace el
